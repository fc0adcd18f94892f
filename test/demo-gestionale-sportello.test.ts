import { describe, expect, it } from 'vitest';
import { callDigest, signedReturnDigest } from '../demo-gestionale/src/digest.js';
import { computeDigest, computeReturnDigest, matchDigest } from '../src/modules/portal/domain/digest.js';

// The demo gestionale computes its digests on its own (it imports nothing from Cassa at run time):
// here both implementations must agree, for the call and for the signed return, with either separator.

const fields = {
  passphrase: 'demo-gestionale%£AP_02',
  codiceChiamante: 'AP_02',
  identificativoPagamento: 'GEST_5f0c8a1e_2b7d_4c3e_9a61_0d8e7f6a5b4c',
  iuv: '190280072147087',
  returnUrl: 'http://127.0.0.1:8070/ritorno',
};

describe('demo gestionale and the Sportello agree on the digests', () => {
  for (const separator of ['%%%', '%%%%'] as const) {
    it(`call digest, separator '${separator}'`, () => {
      const d = callDigest({ ...fields, separator });
      expect(d).toBe(computeDigest(fields, separator));
      expect(matchDigest(d, fields, 'any')).toBe(separator);
    });

    it(`signed return digest, separator '${separator}'`, () => {
      for (const codEsito of ['000', '100'] as const)
        expect(signedReturnDigest({ ...fields, separator, codEsito })).toBe(
          computeReturnDigest(fields, codEsito, separator),
        );
    });
  }
});
