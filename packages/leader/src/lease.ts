/**
 * The pure part of leader election: timings, what a candidate does on seeing a Lease, and the
 * record it writes. Times are milliseconds on the caller's monotonic clock, never the wall
 * clock of another machine: a candidate measures a lease's age from when it saw the lease
 * change, as client-go does, so clock skew between nodes cannot shorten a lease.
 */

/** A Lease's spec as the election reads and writes it. */
export interface LeaseRecord {
  /** Who holds the lease; absent when nobody does (released). */
  holderIdentity?: string | undefined;
  /** How long after its last renewal the holder's claim lasts, as the holder declared it. */
  leaseDurationSeconds?: number | undefined;
  acquireTime?: Date | undefined;
  renewTime?: Date | undefined;
  leaseTransitions?: number | undefined;
}

/** A Lease as read from the API server: its record and the version a write must match. */
export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

export interface LeaseTiming {
  /** How long others wait after the last renewal they saw before taking the lease. */
  leaseDurationMs: number;
  /**
   * The holder gives up (fences itself) when no renewal succeeded for this long, counted from
   * when the last successful renewal was sent: before anyone else can take the lease.
   */
  renewDeadlineMs: number;
  /** How often the holder renews. */
  renewPeriodMs: number;
  /** How often a candidate looks at the lease while someone else holds it. */
  retryPeriodMs: number;
}

export const DEFAULT_LEASE_DURATION_MS = 10_000;

/**
 * The timings for a lease duration: renew and retry about every 2 s (a fifth of a short lease),
 * and a renew deadline at 70 % of the duration, so a holder cut off from the API server stops
 * at least 30 % of the duration (3 s by default) before another candidate may take over.
 */
export function leaseTiming(leaseDurationMs = DEFAULT_LEASE_DURATION_MS): LeaseTiming {
  const timing = {
    leaseDurationMs,
    renewDeadlineMs: Math.floor(leaseDurationMs * 0.7),
    renewPeriodMs: Math.min(2000, Math.floor(leaseDurationMs / 5)),
    retryPeriodMs: Math.min(2000, Math.floor(leaseDurationMs / 5)),
  };
  checkTiming(timing);
  return timing;
}

/** Throws unless renewals fit in the deadline and the deadline ends before the lease does. */
export function checkTiming(timing: LeaseTiming): void {
  const { leaseDurationMs, renewDeadlineMs, renewPeriodMs, retryPeriodMs } = timing;
  if (leaseDurationMs % 1000 !== 0 || leaseDurationMs < 1000) {
    throw new Error(`lease duration ${leaseDurationMs} ms: a Lease records whole seconds`);
  }
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new Error('the renew deadline must be shorter than the lease duration');
  }
  if (!(renewPeriodMs > 0 && renewPeriodMs < renewDeadlineMs)) {
    throw new Error('the renew period must be positive and shorter than the renew deadline');
  }
  if (!(retryPeriodMs > 0)) throw new Error('the retry period must be positive');
}

/** When a candidate first saw the lease at its current version (monotonic ms). */
export interface Observed {
  resourceVersion: string;
  at: number;
}

/** The observation after reading `lease` at `now`: the clock restarts only when it changed. */
export function observe(
  previous: Observed | undefined,
  lease: StoredLease | undefined,
  now: number,
): Observed | undefined {
  if (!lease) return undefined;
  if (previous?.resourceVersion === lease.resourceVersion) return previous;
  return { resourceVersion: lease.resourceVersion, at: now };
}

export type Decision =
  /** No Lease exists: create it, holding it. */
  | { action: 'create' }
  /** Write the lease as held by us, at the version read; `transition` when the holder changes. */
  | { action: 'take'; transition: boolean }
  /** Someone else holds it: look again after `retryInMs`. */
  | { action: 'wait'; holder: string; retryInMs: number };

/**
 * What a candidate does with the lease it just read. A lease nobody holds is taken at once;
 * one we hold (a restarted process keeps its identity) is taken back at once; another
 * holder's lease is taken only once it has not changed for its whole declared duration on our
 * clock. A lease without a duration counts ours.
 */
export function decide(
  lease: StoredLease | undefined,
  observed: Observed | undefined,
  identity: string,
  timing: LeaseTiming,
  now: number,
): Decision {
  if (!lease) return { action: 'create' };
  const holder = lease.record.holderIdentity;
  if (holder === undefined || holder === '') return { action: 'take', transition: true };
  if (holder === identity) return { action: 'take', transition: false };
  const durationMs =
    (lease.record.leaseDurationSeconds ?? 0) > 0
      ? lease.record.leaseDurationSeconds! * 1000
      : timing.leaseDurationMs;
  const since = observed?.resourceVersion === lease.resourceVersion ? observed.at : now;
  const expiresInMs = since + durationMs - now;
  if (expiresInMs <= 0) return { action: 'take', transition: true };
  return { action: 'wait', holder, retryInMs: Math.min(timing.retryPeriodMs, expiresInMs) };
}

/** The record that says `identity` holds the lease from `now`, after `previous`. */
export function heldRecord(
  identity: string,
  previous: LeaseRecord | undefined,
  timing: LeaseTiming,
  now: Date,
  transition: boolean,
): LeaseRecord {
  const transitions = previous?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(timing.leaseDurationMs / 1000),
    acquireTime: transition || !previous?.acquireTime ? now : previous.acquireTime,
    renewTime: now,
    leaseTransitions: transition && previous ? transitions + 1 : transitions,
  };
}

/** The record of a released lease: no holder, so the next candidate takes it at once. */
export function releasedRecord(previous: LeaseRecord, now: Date): LeaseRecord {
  return {
    ...previous,
    holderIdentity: undefined,
    leaseDurationSeconds: 1,
    renewTime: now,
  };
}

/** A retry delay with up to 20 % added, so candidates that started together drift apart. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 + 0.2 * random()));
}
