/**
 * Issue 10, item 4: the audit journal cannot be erased by a request. One payload with a NUL byte used to make
 * PostgreSQL refuse the whole 50 ms batch, which was dropped: 19 of 20 concurrent admin changes vanished.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from './helpers/app.js';
import { AuditJournal, journalText } from '../src/modules/audit/application/audit-journal.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('journalText', () => {
  it('keeps every character PostgreSQL can store and writes NUL and lone surrogates so that it can', () => {
    expect(journalText('àèìòù € 😀 \t\n')).toBe('àèìòù € 😀 \t\n');
    expect(journalText('<a>\u0000</a>')).toBe('<a>\\u0000</a>');
    expect(journalText('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
  });
});

describe('the audit journal under hostile payloads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.c.organizations.createEnte({
      codiceFiscale: '00429440068',
      denominazione: 'Comune di Alessandria',
      codiceSegregazione: '01',
      ibanBancario: 'IT60X0542811101000000123456',
    });
  });
  afterAll(async () => t?.close());

  it('a NUL byte posted without credentials does not erase the concurrent calls of the same batch', async () => {
    const changes = Array.from({ length: 20 }, (_, i) =>
      t.app.inject({
        method: 'PATCH',
        url: '/admin/api/v1/enti/00429440068',
        headers: auth,
        payload: { denominazione: `Comune di Alessandria ${i}` },
      }),
    );
    const nul = t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml', 'x-correlation-id': 'nul-payload-0001' },
      payload: Buffer.from('<a>\u0000</a>', 'latin1'),
    });
    const answers = await Promise.all([...changes, nul]);
    expect(answers.slice(0, 20).every((r) => r.statusCode === 200)).toBe(true);
    await t.c.audit.flush();
    const updates = await t.c.db.rows<{ n: number }>(
      sql`select count(*)::int as n from audit_event where operation = 'updateEnte'`,
    );
    expect(updates[0]!.n).toBe(20);
    const [row] = await t.c.db.rows<{ request_payload: string }>(
      sql`select request_payload from audit_event where correlation_id = 'nul-payload-0001'`,
    );
    expect(row!.request_payload).toBe('<a>\\u0000</a>');
  });

  it('a row PostgreSQL still refuses costs only itself: kept without its payloads, or given up and counted', async () => {
    // a refusal the escaping cannot prevent (as a constraint or a defect would give)
    await t.c.db.rows(
      sql.raw(`create function test_refuse_audit() returns trigger language plpgsql as $$
      begin
        if new.request_payload like '%POISON%' or new.outcome = 'POISON' then raise exception 'test: refused'; end if;
        return new;
      end $$`),
    );
    await t.c.db.rows(
      sql.raw(
        'create trigger test_refuse_audit before insert on audit_event for each row execute function test_refuse_audit()',
      ),
    );
    let given = 0;
    const errors: unknown[] = [];
    const journal = new AuditJournal(
      t.c.db,
      { keepPayloads: true, payloadMaxBytes: 65536, onWriteFailure: (n) => (given += n) },
      (e) => errors.push(e),
    );
    try {
      const at = new Date();
      for (let i = 0; i < 10; i++) {
        journal.record({
          at,
          interface: 'test',
          direction: 'IN',
          operation: 'robustness',
          outcome: i === 7 ? 'POISON' : 'OK',
          durationMs: 1,
          correlationId: `robust-${i}`,
          requestPayload: i === 3 ? 'a POISON payload' : `payload ${i}`,
        });
      }
      await journal.flush();
    } finally {
      await t.c.db.rows(sql.raw('drop trigger test_refuse_audit on audit_event'));
      await t.c.db.rows(sql.raw('drop function test_refuse_audit()'));
    }
    const rows = await t.c.db.rows<{
      correlation_id: string;
      request_payload: string | null;
      detail: string | null;
    }>(
      sql`select correlation_id, request_payload, detail from audit_event where operation = 'robustness' order by correlation_id`,
    );
    expect(rows.map((r) => r.correlation_id)).toEqual([
      'robust-0',
      'robust-1',
      'robust-2',
      'robust-3',
      'robust-4',
      'robust-5',
      'robust-6',
      'robust-8',
      'robust-9',
    ]);
    expect(rows.find((r) => r.correlation_id === 'robust-3')).toMatchObject({
      request_payload: '[non memorizzabile: P0001]',
      detail: '[non memorizzabile: P0001]',
    });
    expect(given).toBe(1);
    expect(journal.lost).toBe(1);
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});
