/**
 * The failed-authentication counters of the caller and of the address the call comes from, and when
 * the caller last authenticated from that address (migration 0009): read by the
 * same statement as the call context, so the throttle costs the successful path no round trip.
 */
export interface AuthThrottleRow {
  callerFailures: number | null;
  callerResetAt: Date | null;
  addressFailures: number | null;
  addressResetAt: Date | null;
  addressKnownAt: Date | null;
}

/** Where the throttle state is read: the counters' keys, the address and "now"; nulls read nothing. */
export interface AuthThrottleKeys {
  callerKey: string | null;
  addressKey: string | null;
  address: string | null;
  now: Date;
}
