import { mkdirSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createContainer, type Container } from '../../src/app/container.js';
import type { AuditRecord } from '../../src/modules/audit/application/audit-journal.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/http/server.js';
import { projectPath } from '../../src/shared/paths.js';
import { SecretBox } from '../../src/shared/secret-box.js';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { needlesOf } from './pii.js';
import { caseRng, type Rng } from './prng.js';

// ------------------------------------------------------------------ the app, with its log captured

export interface LogLine {
  level: number;
  msg: string;
  raw: string;
  reqId?: string;
  err?: { type?: string; message?: string; code?: string };
}

/** A pino destination that keeps every line in memory. */
export class LogCapture {
  private lines: LogLine[] = [];
  write(chunk: string): void {
    for (const raw of chunk.split('\n')) {
      if (raw.trim() === '') continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        o = { level: 60, msg: `unparseable log line: ${raw.slice(0, 200)}` };
      }
      const err = o.err as { type?: string; message?: string; code?: string } | undefined;
      this.lines.push({
        level: Number(o.level ?? 0),
        msg: typeof o.msg === 'string' ? o.msg : o.msg === undefined ? '' : JSON.stringify(o.msg),
        raw,
        reqId: typeof o.reqId === 'string' ? o.reqId : undefined,
        err,
      });
    }
  }
  drain(): LogLine[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }
}

export interface FuzzApp {
  app: FastifyInstance;
  c: Container;
  logs: LogCapture;
  close(): Promise<void>;
}

/** Cassa as test/helpers/app.ts builds it, but logging at info into memory (the log is under test). */
export async function buildFuzzApp(env: Record<string, string> = {}): Promise<FuzzApp> {
  const { db, drop } = await createTestDatabase();
  const config = loadConfig({
    CASSA_ENV: 'test',
    CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
    CASSA_ADMIN_TOKEN: ADMIN_TOKEN,
    CASSA_LOG_LEVEL: 'info',
    CASSA_PORTAL_RATE_LIMIT: '0',
    // the gestionali's Basic-auth throttle (when present) would lock the demo caller out after the first wrong passwords
    CASSA_AUTH_MAX_FAILURES_PER_CALLER: '0',
    CASSA_AUTH_MAX_FAILURES_PER_ADDRESS: '0',
    ...env,
  });
  const logs = new LogCapture();
  const logger = createLogger(config, logs);
  const c = await createContainer(config, { db, logger });
  const app = await buildServer(c);
  await app.ready();
  return {
    app,
    c,
    logs,
    close: async () => {
      await app.close();
      await c.close();
      await drop();
    },
  };
}

// ------------------------------------------------------------------ cases and their outcome

export interface Needle {
  /** fiscal-code, name, email, iban, secret... */
  kind: string;
  value: string;
}

export interface FuzzCase {
  /** Route template, e.g. `POST /epayapi/api/v1/.../debtpositions`. */
  route: string;
  /** Kind of mutation (the report groups by it), e.g. `body:char:nul`. */
  mutation: string;
  /** Where and what, for people, e.g. `body.nome: inserted U+0000 at 3`. */
  describe: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer | undefined;
  /** Personal data and secrets the request carries: none may reach the log. */
  pii: Needle[];
  /** Interface specific facts for the oracle (e.g. libxml2's verdict on an XML body). */
  facts?: Record<string, unknown>;
}

export interface Response {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

export interface Outcome {
  res?: Response;
  injectError?: string;
  lines: LogLine[];
  crashes: string[];
  ms: number;
}

export interface Problem {
  /** Stable signature (part of the class key), e.g. `http-500`, `error-log: epayapi internal error`. */
  sig: string;
  /** The evidence for this instance (a log line, a fault string...). */
  detail?: string | undefined;
}

export interface InterfaceSpec {
  name: string;
  /** One case from its own generator. */
  generate(rng: Rng, index: number): FuzzCase;
  /** Problems specific to the interface's protocol (5xx it documents, faults, acks...). */
  check(fc: FuzzCase, res: Response): Problem[];
  /** Whether a status >= 500 is a documented outcome (e.g. a SOAP Client fault). */
  allows5xx?(fc: FuzzCase, res: Response): boolean;
  /** Anything the cases need from the running app first (a CSRF token, a session). */
  prepare?(h: Harness): Promise<void>;
  /** Valid requests that must still succeed afterwards: throws if one does not. */
  alive(h: Harness): Promise<void>;
}

export interface FailureClass {
  interface: string;
  key: string;
  route: string;
  mutation: string;
  status: number | null;
  problems: string[];
  count: number;
  /** Distinct `describe`s (where the mutation was), up to 8. */
  where: string[];
  example: {
    caseIndex: number;
    replay: string;
    describe: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string | null;
    bodyEncoding: 'utf8' | 'base64';
    bodyBytes: number;
    status: number | null;
    response: string | null;
    logLines: string[];
    details: string[];
  };
}

export interface CampaignStats {
  cases: number;
  failing: number;
  /** The whole campaign, and the parts spent generating inputs and judging answers (the rest is Cassa). */
  ms: number;
  generateMs: number;
  checkMs: number;
  statuses: Record<string, number>;
  slowestKinds?: Record<string, string>;
}

export interface FailureGroup {
  interface: string;
  mutation: string;
  problems: string[];
  statuses: (number | null)[];
  routes: string[];
  count: number;
  example: FailureClass['example'];
}

/** Requests whose journal is written together (and whose problems are decided together). */
const GROUP = 16;
/** The journal's own error lines (no request id: written after the answer, in batches). */
const JOURNAL_LINE = /journal|audit/i;
const MAX_SHOWN_BODY = 3000;

/** Rows of the report: what was sent and what went wrong, de-duplicated by class. */
export class Harness {
  readonly classes = new Map<string, FailureClass>();
  readonly stats = new Map<string, CampaignStats>();
  /** Needles looked for in every line (the demo debtor, the demo passphrase...). */
  globalNeedles: Needle[] = [];
  private crashes: string[] = [];
  private pending: { i: number; fc: FuzzCase; o: Outcome }[] = [];
  private readonly pendingById = new Map<string, { i: number; fc: FuzzCase; o: Outcome }>();
  /** Error lines of the journal's own writes, waiting to be pinned on a request. */
  private readonly journalLines: LogLine[] = [];
  /** The journal records of the pending requests. */
  private groupRecords: AuditRecord[] = [];
  private readonly recordOriginal: (r: AuditRecord) => void;
  private readonly onCrash = (kind: string) => (e: unknown) => {
    this.crashes.push(`${kind}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 500));
  };
  private readonly uncaught = this.onCrash('uncaughtException');
  private readonly unhandled = this.onCrash('unhandledRejection');

  constructor(
    readonly fz: FuzzApp,
    readonly seed: number,
    readonly runs: number,
    readonly db: string,
  ) {
    // every journal record of the pending requests is kept, to write them again one by one if a write fails
    const journal = fz.c.audit;
    this.recordOriginal = journal.record.bind(journal);
    journal.record = (r: AuditRecord) => {
      this.groupRecords.push(r);
      this.recordOriginal(r);
    };
  }

  get app(): FastifyInstance {
    return this.fz.app;
  }

  listen(): void {
    process.on('uncaughtException', this.uncaught);
    process.on('unhandledRejection', this.unhandled);
  }

  unlisten(): void {
    process.off('uncaughtException', this.uncaught);
    process.off('unhandledRejection', this.unhandled);
  }

  /**
   * Sends one request and collects what it caused: its answer, its log lines (by request id; a line
   * without one belongs to the request in flight), crashes. The journal is written in groups (see
   * settle): a per-request flush would cost as much as the request.
   */
  async execute(fc: Pick<FuzzCase, 'method' | 'url' | 'headers' | 'payload'>): Promise<Outcome> {
    this.crashes = [];
    const t0 = performance.now();
    let res: Response | undefined;
    let injectError: string | undefined;
    try {
      const r = await this.fz.app.inject({
        method: fc.method,
        url: fc.url,
        headers: fc.headers,
        ...(fc.payload === undefined ? {} : { payload: fc.payload }),
      });
      res = { status: r.statusCode, headers: r.headers, body: r.body };
    } catch (e) {
      injectError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const ms = performance.now() - t0;
    // onResponse hooks (journal, access log) run after inject resolves: let them
    await new Promise((r) => setImmediate(r));
    return {
      res,
      injectError,
      lines: this.route(this.fz.logs.drain(), fc.headers['x-correlation-id']),
      crashes: this.crashes.splice(0),
      ms,
    };
  }

  /** Lines of the journal's writes wait for settle(); lines of another pending request go to it. */
  private route(lines: LogLine[], own: string | undefined): LogLine[] {
    const mine: LogLine[] = [];
    for (const l of lines) {
      if (!l.reqId && JOURNAL_LINE.test(l.msg)) this.journalLines.push(l);
      else if (l.reqId && l.reqId !== own && this.pendingById.has(l.reqId))
        this.pendingById.get(l.reqId)!.o.lines.push(l);
      else mine.push(l);
    }
    return mine;
  }

  /**
   * Writes the journal of the pending requests. When a write fails (an error line of the journal),
   * their journal records are written again one by one, so that the failure is pinned on the
   * request whose record PostgreSQL refuses.
   */
  private async settle(): Promise<void> {
    await this.fz.c.audit.flush();
    for (const l of this.route(this.fz.logs.drain(), undefined)) this.pending.at(-1)?.o.lines.push(l);
    if (this.journalLines.length > 0) {
      const failed = this.journalLines.splice(0);
      let pinned = false;
      for (const r of this.groupRecords) {
        this.recordOriginal(r);
        await this.fz.c.audit.flush();
        const lines = this.fz.logs.drain();
        const errors = lines.filter((l) => l.level >= 50);
        const owner = this.pendingById.get(r.correlationId);
        if (errors.length > 0 && owner) {
          owner.o.lines.push(...errors);
          pinned = true;
        }
        this.journalLines.length = 0;
      }
      if (!pinned) this.pending.at(-1)?.o.lines.push(...failed);
    }
    this.groupRecords = [];
  }

  /** The problems of one outcome: generic ones (5xx, error lines, personal data, crashes) and the interface's. */
  problemsOf(spec: InterfaceSpec, fc: FuzzCase, o: Outcome): Problem[] {
    // timings are not asserted (a slow answer is a figure for bench/; a hang still fails by the test's timeout)
    const problems: Problem[] = [];
    if (o.injectError) problems.push({ sig: 'request-failed', detail: o.injectError });
    for (const c of o.crashes)
      problems.push({
        sig: c.startsWith('unhandledRejection') ? 'unhandled-rejection' : 'uncaught-exception',
        detail: c,
      });
    if (o.res) {
      if (o.res.status >= 500 && !(spec.allows5xx?.(fc, o.res) ?? false))
        problems.push({ sig: `http-${o.res.status}`, detail: o.res.body.slice(0, 300) });
      problems.push(...spec.check(fc, o.res));
    }
    for (const line of o.lines) {
      if (line.level >= 50)
        problems.push({ sig: `error-log: ${logSignature(line)}`, detail: line.raw.slice(0, 1500) });
    }
    const needles = [...fc.pii, ...this.globalNeedles].flatMap((n) =>
      needlesOf(n.value).map((s) => ({ kind: n.kind, s })),
    );
    const leaked = new Map<string, string>();
    for (const line of o.lines) {
      const low = line.raw.toLowerCase();
      for (const n of needles)
        if (!leaked.has(n.kind) && low.includes(n.s))
          leaked.set(n.kind, `${n.s} in ${line.raw.slice(0, 1200)}`);
    }
    // one signature whatever the kinds (fiscal code, name, e-mail...): they are the same defect; the kinds are the evidence
    if (leaked.size > 0)
      problems.push({
        sig: 'personal-data-in-log',
        detail: `${[...leaked.keys()].join(', ')}: ${[...leaked.values()][0]}`,
      });
    return problems;
  }

  /** Runs `runs` cases of an interface, recording failures; returns the number of failing cases. */
  async campaign(spec: InterfaceSpec, only?: number): Promise<number> {
    const stat: CampaignStats = { cases: 0, failing: 0, ms: 0, generateMs: 0, checkMs: 0, statuses: {} };
    const byKind = new Map<string, { n: number; ms: number }>();
    this.stats.set(spec.name, stat);
    const t0 = performance.now();
    await spec.prepare?.(this);
    this.fz.logs.drain();
    const evaluate = async () => {
      await this.settle();
      for (const { i, fc, o } of this.pending) {
        const tc = performance.now();
        const problems = this.problemsOf(spec, fc, o);
        stat.checkMs += performance.now() - tc;
        if (problems.length > 0) {
          stat.failing++;
          this.record(spec.name, i, fc, o, problems);
        }
      }
      this.pending = [];
      this.pendingById.clear();
    };
    for (let i = 0; i < this.runs; i++) {
      if (only !== undefined && i !== only) continue;
      const tg = performance.now();
      const fc = spec.generate(caseRng(this.seed, spec.name, i), i);
      stat.generateMs += performance.now() - tg;
      const o = await this.execute(fc);
      stat.cases++;
      const k = byKind.get(fc.mutation) ?? { n: 0, ms: 0 };
      k.n++;
      k.ms += o.ms;
      byKind.set(fc.mutation, k);
      const s = o.res ? String(o.res.status) : 'error';
      stat.statuses[s] = (stat.statuses[s] ?? 0) + 1;
      const p = { i, fc, o };
      this.pending.push(p);
      const id = fc.headers['x-correlation-id'];
      if (id) this.pendingById.set(id, p);
      if (this.pending.length >= GROUP) await evaluate();
    }
    await evaluate();
    stat.ms = Math.round(performance.now() - t0);
    stat.generateMs = Math.round(stat.generateMs);
    stat.checkMs = Math.round(stat.checkMs);
    // where the time goes (to keep the campaign bounded)
    stat.slowestKinds = Object.fromEntries(
      [...byKind]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 8)
        .map(([kind, v]) => [kind, `${v.n} inputs, ${Math.round(v.ms)} ms`]),
    );
    return stat.failing;
  }

  private record(iface: string, index: number, fc: FuzzCase, o: Outcome, problems: Problem[]): void {
    const sigs = [...new Set(problems.map((p) => p.sig))].sort();
    const status = o.res?.status ?? null;
    const key = [iface, fc.route, fc.mutation, ...sigs].join(' | ');
    const size = fc.payload === undefined ? 0 : Buffer.byteLength(fc.payload);
    const weight = size + fc.url.length;
    const existing = this.classes.get(key);
    if (existing) {
      existing.count++;
      if (existing.where.length < 8 && !existing.where.includes(fc.describe))
        existing.where.push(fc.describe);
      if (weight >= existing.example.bodyBytes + existing.example.url.length) return;
    }
    const buf =
      fc.payload === undefined
        ? undefined
        : Buffer.isBuffer(fc.payload)
          ? fc.payload
          : Buffer.from(fc.payload, 'utf8');
    const isUtf8 = buf === undefined || Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
    const body = buf === undefined ? null : isUtf8 ? buf.toString('utf8') : buf.toString('base64');
    const cls: FailureClass = existing ?? {
      interface: iface,
      key,
      route: fc.route,
      mutation: fc.mutation,
      status,
      problems: sigs,
      count: 1,
      where: [fc.describe],
      example: undefined as never,
    };
    cls.example = {
      caseIndex: index,
      replay: `CASSA_FUZZ_SEED=${this.seed} CASSA_FUZZ_ONLY=${iface}:${index} npm test -- --db=${this.db} test/fuzz.test.ts`,
      describe: fc.describe,
      method: fc.method,
      url: fc.url.length > 600 ? `${fc.url.slice(0, 600)}…(${fc.url.length} characters)` : fc.url,
      headers: Object.fromEntries(
        Object.entries(fc.headers).map(([k, v]) => [
          k,
          v.length > 300 ? `${v.slice(0, 300)}…(${v.length} characters)` : v,
        ]),
      ),
      body:
        body === null
          ? null
          : body.length > MAX_SHOWN_BODY
            ? `${body.slice(0, MAX_SHOWN_BODY)}…(truncated)`
            : body,
      bodyEncoding: isUtf8 ? 'utf8' : 'base64',
      bodyBytes: size,
      status,
      response: o.res ? o.res.body.slice(0, 600) : null,
      logLines: o.lines
        .filter((l) => l.level >= 40)
        .map((l) => l.raw.slice(0, 1500))
        .slice(0, 5),
      details: problems.map((p) => `${p.sig}${p.detail ? `: ${p.detail.slice(0, 800)}` : ''}`),
    };
    cls.status = status;
    this.classes.set(key, cls);
  }

  classesOf(iface: string): FailureClass[] {
    return [...this.classes.values()]
      .filter((c) => c.interface === iface)
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  /** test-results/fuzz-report.json (and fuzz-report-<db>.json): every class with its smallest example. */
  writeReport(extra: Record<string, unknown> = {}): string {
    const dir = projectPath('test-results');
    mkdirSync(dir, { recursive: true });
    const report = {
      generatedAt: new Date().toISOString(),
      db: this.db,
      seed: this.seed,
      runsPerInterface: this.runs,
      interfaces: Object.fromEntries(
        [...this.stats].map(([name, s]) => [name, { ...s, failureClasses: this.classesOf(name).length }]),
      ),
      failureGroups: [...new Set([...this.classes.values()].map((c) => c.interface))].flatMap((i) =>
        this.groupsOf(i).map(({ example, ...g }) => ({
          ...g,
          example: {
            caseIndex: example.caseIndex,
            describe: example.describe,
            method: example.method,
            url: example.url,
          },
        })),
      ),
      failureClasses: [...this.classes.values()].sort(
        (a, b) => a.interface.localeCompare(b.interface) || a.key.localeCompare(b.key),
      ),
      ...extra,
    };
    const text = `${JSON.stringify(report, null, 2)}\n`;
    const path = `${dir}/fuzz-report.json`;
    writeFileSync(path, text);
    writeFileSync(`${dir}/fuzz-report-${this.db}.json`, text);
    return path;
  }

  /**
   * Classes that differ only by route: one defect reached through several routes (a NUL in the
   * Basic user name fails every epayapi operation the same way). Their smallest example.
   */
  groupsOf(iface: string): FailureGroup[] {
    const groups = new Map<string, FailureGroup>();
    for (const c of this.classesOf(iface)) {
      const key = [c.mutation, ...c.problems].join(' | ');
      const g = groups.get(key);
      if (!g) {
        groups.set(key, {
          interface: iface,
          mutation: c.mutation,
          problems: c.problems,
          statuses: [c.status],
          routes: [c.route],
          count: c.count,
          example: c.example,
        });
        continue;
      }
      g.count += c.count;
      if (!g.routes.includes(c.route)) g.routes.push(c.route);
      if (!g.statuses.includes(c.status)) g.statuses.push(c.status);
      if (c.example.bodyBytes + c.example.url.length < g.example.bodyBytes + g.example.url.length)
        g.example = c.example;
    }
    return [...groups.values()];
  }

  /** A readable summary of an interface's failures, for the assertion message. */
  summary(iface: string): string {
    const classes = this.classesOf(iface);
    const groups = this.groupsOf(iface);
    const lines = [
      `${classes.length} failure class(es) (${groups.length} once routes are merged) on ${iface} (seed ${this.seed}, ${this.runs} inputs, db ${this.db}); replay a case with CASSA_FUZZ_SEED=${this.seed} CASSA_FUZZ_ONLY=${iface}:<case>; all of them in test-results/fuzz-report.json`,
    ];
    for (const g of groups) {
      const e = g.example;
      const body =
        e.body === null
          ? ''
          : ` body(${e.bodyEncoding})=${JSON.stringify(e.body.slice(0, 200))}${e.body.length > 200 ? '…' : ''}`;
      lines.push(`- [${g.count}×] ${g.mutation} → ${g.statuses.join('/')} · ${g.problems.join(' + ')}`);
      lines.push(`    routes: ${g.routes.join(', ')}`);
      lines.push(`    smallest, case ${e.caseIndex}: ${e.describe}`);
      const headers = Object.entries(e.headers)
        .filter(([k]) => k !== 'x-correlation-id')
        .map(([k, v]) => `${k}: ${v.slice(0, 80)}`);
      lines.push(
        `    ${e.method} ${e.url.slice(0, 200)}${headers.length > 0 ? ` [${headers.join('; ')}]` : ''}${body}`,
      );
      for (const prefix of ['error-log', 'personal-data', 'soap-fault', 'malformed', 'well-formed', 'ack-']) {
        const d = e.details.find((x) => x.startsWith(prefix));
        if (d) lines.push(`    ${d.slice(0, 300)}`);
      }
    }
    return lines.join('\n');
  }
}

/** The part of an error line that names the defect: the message, the error's type and code. */
export function logSignature(line: LogLine): string {
  const parts = [line.msg.replace(/\b\d+\b/g, 'N').slice(0, 100)];
  if (line.err?.type) parts.push(line.err.type);
  // an error code names the defect better than its message (which repeats the input)
  const code = line.err?.code ?? line.raw.match(/"code":"([0-9A-Z]{5})"/)?.[1];
  if (code) parts.push(code);
  const cause = line.err?.message
    ?.split('\n')[0]
    ?.replace(/\b\d+\b/g, 'N')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 80);
  if (!code && cause && !line.err?.message?.startsWith('Failed query')) parts.push(cause);
  return parts.join(' · ');
}
