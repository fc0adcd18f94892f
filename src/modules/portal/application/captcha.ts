/**
 * The captcha of the personal-data page: a self-hosted ALTCHA proof of work (altcha-lib, v1
 * challenges: find n such that SHA-256(salt + n) = challenge), served and verified by Cassa.
 * Challenges are signed (HMAC) and expire; a solution is accepted once: its signature is stored in
 * portal_captcha_used, shared by every instance, so a solved challenge cannot be replayed.
 */
import { createChallenge, verifySolution } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';
import type { Database } from '../../../db/database.js';
import { useCaptcha } from '../infra/portal-repository.js';

export const CAPTCHA_TTL_MS = 10 * 60 * 1000;

export type CaptchaCheck = 'ok' | 'missing' | 'invalid' | 'replayed';

export class Captcha {
  constructor(
    private readonly db: Database,
    private readonly hmacKey: string,
    /** Upper bound of the secret number: the work a browser does (about 1/2 of it on average). */
    private readonly maxNumber: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async challenge(): Promise<Challenge> {
    return createChallenge({
      hmacKey: this.hmacKey,
      maxNumber: this.maxNumber,
      expires: new Date(this.clock().getTime() + CAPTCHA_TTL_MS),
    });
  }

  /** Verifies the widget's payload (Base64 of the JSON solution) and uses it up. */
  async check(payload: string | undefined): Promise<CaptchaCheck> {
    if (!payload) return 'missing';
    let parsed: { signature?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { signature?: unknown };
    } catch {
      return 'invalid';
    }
    if (typeof parsed.signature !== 'string' || parsed.signature.length > 128) return 'invalid';
    let valid: boolean;
    try {
      valid = await verifySolution(payload, this.hmacKey, true);
    } catch {
      valid = false;
    }
    if (!valid) return 'invalid';
    const fresh = await useCaptcha(
      this.db,
      parsed.signature,
      new Date(this.clock().getTime() + CAPTCHA_TTL_MS),
    );
    return fresh ? 'ok' : 'replayed';
  }
}
