import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { ConfigError, type Config } from '../config/config.js';
import {
  DataDirLockedError,
  inspectDataDirLock,
  type DataDirLock,
  type LockHolder,
} from '../db/data-dir-lock.js';

/**
 * The Cassa that holds the embedded database, as the command line sees it. While Cassa runs on a data
 * directory, the CLI must not open the database a second time (src/db/data-dir-lock.ts): an administrative
 * command goes through the running Cassa's admin API instead, with the same input, the same output and the
 * same exit codes; a command the admin API cannot do is refused, saying what to run instead.
 */

/** Exit code of a command refused because another process holds the embedded database. */
export const EXIT_IN_USE = 4;

/** A command that cannot run now, with what to do instead; `exitCode` is the CLI's. */
export class CommandRefused extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandRefused';
  }
}

/** One call of the admin API (paths below /admin/api/v1). */
export interface AdminCall {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
}

/** How long an administrative command waits for a Cassa that is starting (migrations, demo data) to listen. */
const WAIT_FOR_LISTEN_MS = 30_000;

/**
 * Who holds the embedded database, for an administrative command: undefined when nobody does (or only a
 * dead process did: the command opens the database itself and takes the stale lock over); the holder, when
 * it is a running Cassa that listens; otherwise the command is refused (CommandRefused, DataDirLockedError).
 */
export async function runningCassaFor(
  config: Config,
  command: string,
  call: AdminCall,
): Promise<LockHolder | undefined> {
  const dir = join(config.dataDir, 'pglite');
  const deadline = Date.now() + WAIT_FOR_LISTEN_MS;
  let told = false;
  for (;;) {
    const found = inspectDataDirLock(dir);
    if (!found || found.state.state === 'stale') return undefined;
    if (found.state.state === 'unknown')
      throw new DataDirLockedError(dir, found.file, found.holder, found.state);
    const h = found.holder;
    if (h.adminUrl) return h;
    const listens = h.role === 'web' || h.role === 'all';
    if (!listens) throw new CommandRefused(noAdminApi(config, dir, h, command, call), EXIT_IN_USE);
    if (Date.now() > deadline)
      throw new CommandRefused(
        `${inUse(dir, h)} It has not started listening after ${WAIT_FOR_LISTEN_MS / 1000} s: try \`${command}\` again once it answers.`,
        EXIT_IN_USE,
      );
    if (!told)
      process.stderr.write(
        `cassa: waiting for Cassa (pid ${h.pid}), which is starting on ${dir}, to listen...\n`,
      );
    told = true;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function inUse(dir: string, h: LockHolder): string {
  return `the embedded database in ${dir} is in use by ${h.command} (pid ${h.pid}, since ${h.since}), and a second process must never open it.`;
}

function noAdminApi(config: Config, dir: string, h: LockHolder, command: string, call: AdminCall): string {
  if (!h.role) return `${inUse(dir, h)} Wait for it to finish, then run \`${command}\` again.`;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.port}/admin/api/v1`;
  return [
    `${inUse(dir, h)} It is Cassa's ${h.role} role, which serves no admin API. Either:`,
    `  - stop it (kill -TERM ${h.pid}), run \`${command}\`, and start it again; or`,
    `  - run Cassa as one process with the web role (\`cassa start\`, role all: the embedded database is for one process): then \`${command}\` goes through its admin API, as does`,
    `    ${curlOf(call, base, config)}`,
  ].join('\n');
}

/** The same call as a curl command line, for the operator to copy. */
export function curlOf(call: AdminCall, base: string, config: Config): string {
  const token =
    config.adminToken !== undefined ? '$CASSA_ADMIN_TOKEN' : `$(cat ${join(config.dataDir, 'admin.token')})`;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const parts = [
    'curl',
    '-sS',
    ...(call.method === 'GET' ? [] : ['-X', call.method]),
    '-H',
    `"authorization: Bearer ${token}"`,
  ];
  if (call.body !== undefined)
    parts.push('-H', quote('content-type: application/json'), '-d', quote(JSON.stringify(call.body)));
  parts.push(`${base}${call.path}`);
  return parts.join(' ');
}

/**
 * What a command that needs the database to itself (migrate, seed-demo, secrets rekey, start, demo) says
 * when another process holds it: the exact command to run instead.
 */
export function refusalOf(err: DataDirLockedError, command: string): string {
  if (err.holderState.state === 'unknown') return err.message;
  const h = err.holder;
  const stop = `stop it first (kill -TERM ${h.pid}, or Ctrl-C where it runs)`;
  const instead: Record<string, string> = {
    start: `Use the Cassa that runs there, ${stop}, or give this one another CASSA_DATA_DIR.`,
    demo: `Use the Cassa that runs there, ${stop}, or give this one another CASSA_DATA_DIR.`,
    migrate: `Cassa applies the migrations itself when it starts: ${stop}, then run \`${command}\` (or start the new version, which migrates).`,
    'seed-demo': `${stop[0]!.toUpperCase()}${stop.slice(1)}, then run \`${command}\`, or restart it with \`cassa demo\`, which loads the demo data and starts.`,
    secrets: `${stop[0]!.toUpperCase()}${stop.slice(1)}, run \`${command}\`, then start it again with the same CASSA_SECRET_KEYS.`,
  };
  const first = command.split(' ')[1] ?? '';
  return `${err.message} ${instead[first] ?? `Try \`${command}\` again.`}`;
}

/** The admin token the CLI presents to a running Cassa: CASSA_ADMIN_TOKEN, or the one generated in the data directory. */
export function adminTokenFor(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const file = join(config.dataDir, 'admin.token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new ConfigError(
    `Cassa runs on ${config.dataDir}: its admin API needs the token it runs with; set CASSA_ADMIN_TOKEN (there is no ${file})`,
  );
}

/**
 * Calls the running Cassa's admin API and returns the JSON it answers. A problem+json answer becomes the
 * exit code and message the same command has on the database itself: 1 for input and domain errors (4xx),
 * 2 for a token the server refuses, 3 for the server's own failures.
 */
export async function callRunningCassa(holder: LockHolder, token: string, call: AdminCall): Promise<unknown> {
  const url = new URL(`${holder.adminUrl!.replace(/\/+$/, '')}${call.path}`);
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body !== undefined)
    Object.assign(headers, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
  let answer: { status: number; text: string };
  try {
    answer = await send(url, call.method, headers, body, holder.tlsCertSha256);
  } catch (e) {
    throw new CommandRefused(
      `could not reach the admin API of the Cassa running on this directory (pid ${holder.pid}) at ${holder.adminUrl}: ${(e as Error).message}`,
      3,
    );
  }
  const json = parseJson(answer.text);
  if (answer.status >= 200 && answer.status < 300) return json;
  const p = (json ?? {}) as { detail?: unknown; code?: unknown; field?: unknown };
  const detail = typeof p.detail === 'string' ? p.detail : answer.text.slice(0, 300);
  if (answer.status === 401)
    throw new CommandRefused(
      `the admin API of the running Cassa (pid ${holder.pid}) refused the token: give the CLI the CASSA_ADMIN_TOKEN Cassa runs with`,
      2,
    );
  if (answer.status >= 500)
    throw new CommandRefused(`the running Cassa (pid ${holder.pid}) failed: ${detail}`, 3);
  // as the direct path prints them: a domain error's message and field; a validation error's "campo …: …"
  if (p.code === 'VALIDATION') throw new CommandRefused(detail.replace(/^Campo /, 'campo '), 1);
  throw new CommandRefused(`${detail}${typeof p.field === 'string' ? ` (${p.field})` : ''}`, 1);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const CALL_TIMEOUT_MS = 30_000;

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  pin: string | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options: http.RequestOptions = { method, headers, timeout: CALL_TIMEOUT_MS };
    const go = (socket?: tls.TLSSocket) => {
      const req = (socket ? https : http).request(
        url,
        socket ? { ...options, createConnection: () => socket } : options,
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(body);
    };
    if (url.protocol !== 'https:') {
      go();
      return;
    }
    // Cassa serving HTTPS itself: the certificate is the one the lock file names (by fingerprint), whoever signed
    // it and whatever name it carries; the token is sent only once the peer has shown it.
    const socket = tls.connect(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 443),
        rejectUnauthorized: false,
      },
      () => {
        const seen = socket.getPeerCertificate().fingerprint256;
        if (!pin || seen !== pin) {
          socket.destroy();
          reject(new Error(`its certificate (${seen}) is not the one Cassa announced in the lock file`));
          return;
        }
        go(socket);
      },
    );
    socket.on('error', reject);
  });
}

/**
 * Writes in the lock where this process's admin API listens, once the web server does: the URL a command
 * line on the same machine reaches it at (a wildcard address becomes the loopback one), and the certificate's
 * fingerprint when Cassa serves HTTPS itself.
 */
export function announceAdminApi(
  lock: DataDirLock,
  config: Config,
  address: AddressInfo | string | null,
): void {
  if (!address || typeof address === 'string') return;
  const host =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const shown = host.includes(':') ? `[${host}]` : host;
  lock.announce({
    adminUrl: `${config.tls ? 'https' : 'http'}://${shown}:${address.port}/admin/api/v1`,
    ...(config.tls
      ? { tlsCertSha256: new X509Certificate(readFileSync(config.tls.certFile)).fingerprint256 }
      : {}),
  });
}
