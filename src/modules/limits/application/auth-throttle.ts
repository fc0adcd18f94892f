import type { Database } from '../../../db/database.js';
import type { AuthThrottleKeys, AuthThrottleRow } from '../domain/auth-throttle-state.js';
import { TooManyAuthFailures } from '../domain/errors.js';
import { clear, hit, LIMIT_KEYS, purge, rememberAddress } from '../infra/limits-repository.js';

export interface AuthThrottleConfig {
  /** Failed authentications per codiceChiamante in a window (0 = no limit). */
  maxFailuresPerCaller: number;
  /** Failed authentications per client address in a window, whatever the caller (0 = no limit). */
  maxFailuresPerAddress: number;
  /** Length of a window; a block ends when its window ends. */
  windowMs: number;
  /** How long an address a caller authenticated from stays exempt from that caller's block. */
  knownAddressMs: number;
}

/** A known address's last success is rewritten at most this often (writes only on a rare success). */
const KNOWN_ADDRESS_REFRESH_MS = 24 * 3600 * 1000;

/**
 * The throttle on the gestionali's HTTP Basic (epayapi, Enti2EPaywsoService): fixed-window failure
 * counters per caller and per address, in PostgreSQL (shared by every web instance). The state is
 * read by the call-context statement itself; this class decides on it and writes on failures and on
 * the first success from an address. See docs/security.md.
 */
export class AuthThrottle {
  constructor(
    private readonly db: Database,
    private readonly config: AuthThrottleConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The keys the call-context statement reads for a call from `address` (none without an address). */
  keys(codiceChiamante: string, address: string | undefined): AuthThrottleKeys {
    const now = this.clock();
    if (address === undefined) return { callerKey: null, addressKey: null, address: null, now };
    return {
      callerKey: LIMIT_KEYS.authCaller(codiceChiamante),
      addressKey: LIMIT_KEYS.authAddress(address),
      address,
      now,
    };
  }

  /** Throws TooManyAuthFailures when the address, or the caller from an address not known for it, is over its limit. */
  check(state: AuthThrottleRow, now: Date): void {
    const { maxFailuresPerAddress, maxFailuresPerCaller, knownAddressMs } = this.config;
    if (
      maxFailuresPerAddress > 0 &&
      state.addressResetAt &&
      (state.addressFailures ?? 0) >= maxFailuresPerAddress
    ) {
      throw new TooManyAuthFailures(secondsUntil(state.addressResetAt, now), 'address');
    }
    const known =
      state.addressKnownAt !== null && now.getTime() - state.addressKnownAt.getTime() < knownAddressMs;
    if (
      maxFailuresPerCaller > 0 &&
      !known &&
      state.callerResetAt &&
      (state.callerFailures ?? 0) >= maxFailuresPerCaller
    ) {
      throw new TooManyAuthFailures(secondsUntil(state.callerResetAt, now), 'caller');
    }
  }

  /** Counts a failed authentication from `address`, and against the caller when it exists. */
  async failed(codiceChiamante: string | null, address: string, now: Date): Promise<void> {
    const keys = [LIMIT_KEYS.authAddress(address)];
    if (codiceChiamante !== null) keys.push(LIMIT_KEYS.authCaller(codiceChiamante));
    await hit(this.db, keys, now, this.config.windowMs);
  }

  /** Remembers the address of a successful authentication, once a day at most per caller and address. */
  async succeeded(
    codiceChiamante: string,
    address: string,
    state: AuthThrottleRow,
    now: Date,
  ): Promise<void> {
    const refreshMs = Math.min(KNOWN_ADDRESS_REFRESH_MS, this.config.knownAddressMs / 2);
    if (state.addressKnownAt !== null && now.getTime() - state.addressKnownAt.getTime() < refreshMs) return;
    await rememberAddress(this.db, codiceChiamante, address, now);
  }

  /** Ends a caller's failure window at once (and an address's, when given): the operator's unblock. */
  async unblock(codiceChiamante: string, address?: string): Promise<{ cleared: number }> {
    const keys = [
      LIMIT_KEYS.authCaller(codiceChiamante),
      ...(address ? [LIMIT_KEYS.authAddress(address)] : []),
    ];
    return { cleared: await clear(this.db, keys) };
  }

  /** Housekeeping: deletes every limit's counters whose window is over (the Sportello's too) and the known addresses past their time. */
  async purgeExpired(): Promise<number> {
    const now = this.clock();
    return purge(this.db, now, new Date(now.getTime() - this.config.knownAddressMs));
  }
}

function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}
