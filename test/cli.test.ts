import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { createTestDatabase } from './helpers/db.js';

/**
 * The `cassa` command line against a real database: the PostgreSQL run uses a fresh database
 * through DATABASE_URL; the embedded run a fresh data directory.
 */
let dir: string;
let drop: () => Promise<void>;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassa-cli-'));
  const t = await createTestDatabase();
  if (t.url) process.env.DATABASE_URL = t.url;
  drop = t.drop;
  process.env.CASSA_DATA_DIR = dir;
  process.env.CASSA_LOG_LEVEL = 'silent';
  process.env.CASSA_SECRET_KEYS = SecretBox.generateKeySpec('cli1');
});

afterAll(async () => {
  process.env = saved;
  await drop?.();
  rmSync(dir, { recursive: true, force: true });
});

async function cassa(...args: string[]): Promise<{ code: number; out: any }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  try {
    const code = await main(args);
    const text = chunks.join('');
    let out: any = text;
    try {
      out = JSON.parse(text);
    } catch {
      /* plain text */
    }
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

describe('cassa CLI', () => {
  it('migrates, idempotently', async () => {
    const first = await cassa('migrate');
    expect(first.code).toBe(0);
    expect(first.out.applied).toContain('0001_foundation.sql');
    expect((await cassa('migrate')).out.applied).toEqual([]);
  });

  it('creates and changes enti, payment types and applications, and rotates a passphrase', async () => {
    const ente = await cassa(
      'ente',
      'create',
      '--json',
      JSON.stringify({
        codiceFiscale: '00429440068',
        denominazione: 'Comune di Alessandria',
        codiceSegregazione: '01',
        ibanBancario: 'IT60X0542811101000000123456',
      }),
    );
    expect(ente).toMatchObject({ code: 0, out: { codiceFiscale: '00429440068', codiceSegregazione: '01' } });
    expect(
      (await cassa('ente', 'update', '00429440068', '--json', '{"denominazione":"Città di Alessandria"}')).out
        .denominazione,
    ).toBe('Città di Alessandria');
    const pt = await cassa(
      'payment-type',
      'create',
      '00429440068',
      '--json',
      JSON.stringify({
        codiceVersamento: 'BIBL',
        descrizione: 'Biblioteca',
        iban: 'IT60X0542811101000000123456',
        transferCategory: '9/0201133IM/',
      }),
    );
    expect(pt.out).toMatchObject({ codiceVersamento: 'BIBL', enteCodiceFiscale: '00429440068' });
    const app = await cassa(
      'application',
      'create',
      '--json',
      JSON.stringify({
        codiceChiamante: 'CLI_APP',
        descrizione: 'Gestionale',
        scopes: ['CREAZIONE_IUV'],
        paymentTypes: [{ ente: '00429440068', codiceVersamento: 'BIBL' }],
      }),
    );
    expect(app.out.passphrase).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(app.out.paymentTypes).toEqual([{ ente: '00429440068', codiceVersamento: 'BIBL' }]);
    const rotated = await cassa('application', 'rotate-passphrase', 'CLI_APP');
    expect(rotated.out.passphrase).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(rotated.out.passphrase).not.toBe(app.out.passphrase);
    expect(
      (await cassa('application', 'rotate-passphrase', 'CLI_APP', '--passphrase', 'chosen-passphrase')).out,
    ).toEqual({ rotated: true });
    const list = await cassa('application', 'list');
    expect(list.out.map((a: { codiceChiamante: string }) => a.codiceChiamante)).toEqual(['CLI_APP']);
    expect(JSON.stringify(list.out)).not.toContain('chosen-passphrase');
  });

  it('refuses invalid input with the field named', async () => {
    await expect(
      cassa(
        'ente',
        'create',
        '--json',
        '{"codiceFiscale":"00429440069","denominazione":"X","codiceSegregazione":"01"}',
      ),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: ['codiceFiscale'] })],
    });
    await expect(cassa('ente', 'create')).rejects.toThrow(/--json or --file/);
  });

  it('re-encrypts stored secrets under a new first key', async () => {
    const old = process.env.CASSA_SECRET_KEYS!;
    process.env.CASSA_SECRET_KEYS = `${SecretBox.generateKeySpec('cli2')},${old}`;
    expect((await cassa('secrets', 'rekey')).out.reencrypted).toBeGreaterThanOrEqual(1);
    expect((await cassa('secrets', 'rekey')).out.reencrypted).toBe(0);
    // only the new key is needed now
    process.env.CASSA_SECRET_KEYS = process.env.CASSA_SECRET_KEYS.split(',')[0];
    expect(
      (await cassa('application', 'rotate-passphrase', 'CLI_APP', '--passphrase', 'after-rekey-1')).out,
    ).toEqual({ rotated: true });
  });

  it('prints a new key entry', async () => {
    const r = await cassa('secrets', 'generate-key', '--kid', 'k9');
    expect(r.out.trim()).toMatch(/^k9:[A-Za-z0-9+/]{43}=$/);
    expect(() => new SecretBox(r.out.trim())).not.toThrow();
  });
});
