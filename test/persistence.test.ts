import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContainer } from '../src/app/container.js';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { loadConfig } from '../src/config/config.js';

const dir = mkdtempSync(join(tmpdir(), 'cassa-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded database in the data directory', () => {
  it('survives a restart, with the generated development secrets', async () => {
    const config = loadConfig({ CASSA_DATA_DIR: dir, CASSA_LOG_LEVEL: 'silent' });
    const first = await createContainer(config);
    expect(first.db.kind).toBe('pglite');
    expect((await seedDemo(first)).created).toBe(true);
    const token = first.adminToken;
    await first.close();

    const again = await createContainer(config);
    try {
      expect(again.adminToken).toBe(token);
      expect((await seedDemo(again)).created).toBe(false);
      // the passphrase encrypted before the restart still decrypts with the persisted key
      const ctx = await again.debtPositions.authorize({
        codiceChiamante: DEMO.codiceChiamante,
        passphrase: DEMO.passphrase,
        enteCodiceFiscale: DEMO.ente,
        codiceVersamento: DEMO.paymentType,
        scope: 'RICHIESTA_STATO_POS_DEB',
      });
      expect((await again.debtPositions.status(ctx, DEMO.paid.iuv)).code).toBe('0');
    } finally {
      await again.close();
    }
  });
});
