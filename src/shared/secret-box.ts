import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Encrypts secrets at rest (passphrases, gestionale credentials) with AES-256-GCM.
 * Keys come from configuration as "kid:base64key" entries, comma separated; the first one
 * encrypts, every one decrypts, so a key can be rotated with `cassa secrets rekey`.
 * Stored form: `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url parts).
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  readonly activeKeyId: string;
  /** SHA-256 of decrypted secrets by their stored (encrypted) form, for `matches`: never the clear text. */
  private readonly digests = new Map<string, Buffer>();
  private static readonly MAX_DIGESTS = 10_000;
  private readonly unknownDigest = randomBytes(32);

  constructor(spec: string) {
    this.keys = new Map();
    const entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (entries.length === 0) throw new Error('no secret key configured');
    for (const entry of entries) {
      const idx = entry.indexOf(':');
      if (idx <= 0) throw new Error('secret keys must be "kid:base64key"');
      const kid = entry.slice(0, idx);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error(`invalid secret key id "${kid}"`);
      const key = Buffer.from(entry.slice(idx + 1), 'base64');
      if (key.length !== 32) throw new Error(`secret key "${kid}" must be 32 bytes (base64)`);
      this.keys.set(kid, key);
    }
    this.activeKeyId = entries[0]!.slice(0, entries[0]!.indexOf(':'));
  }

  static generateKeySpec(kid = 'k1'): string {
    return `${kid}:${randomBytes(32).toString('base64')}`;
  }

  encrypt(plain: string): string {
    const key = this.keys.get(this.activeKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(this.activeKeyId));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      'v1',
      this.activeKeyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  decrypt(stored: string): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Error('unrecognised secret format');
    const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
    const key = this.keys.get(kid);
    if (!key) throw new Error(`secret encrypted with unknown key "${kid}"`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * Whether `candidate` is the secret stored (encrypted) as `stored`, in constant time. The digest
   * of a decrypted secret is remembered by its stored form, so a caller's passphrase is decrypted
   * once, not at every call; a rotated passphrase has a new stored form, hence a new entry.
   * With `stored` null (unknown caller) the same work is done and the answer is false.
   */
  matches(stored: string | null, candidate: string): boolean {
    const given = createHash('sha256').update(candidate, 'utf8').digest();
    let expected: Buffer = this.unknownDigest;
    if (stored !== null) {
      const cached = this.digests.get(stored);
      if (cached) expected = cached;
      else {
        try {
          expected = createHash('sha256').update(this.decrypt(stored), 'utf8').digest();
          if (this.digests.size >= SecretBox.MAX_DIGESTS)
            this.digests.delete(this.digests.keys().next().value!);
          this.digests.set(stored, expected);
        } catch {
          expected = this.unknownDigest;
        }
      }
    }
    return timingSafeEqual(given, expected) && expected !== this.unknownDigest;
  }

  /** True when the stored secret is not under the active key (needs re-encryption). */
  isStale(stored: string): boolean {
    return stored.split('.')[1] !== this.activeKeyId;
  }
}

/** Constant-time string comparison (hashing first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
