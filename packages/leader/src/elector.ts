import type { Logger } from '@wikipulse/logger';
import {
  decide,
  heldRecord,
  jittered,
  observe,
  releasedRecord,
  type LeaseTiming,
  type Observed,
  type StoredLease,
} from './lease.js';
import type { LeaseStore } from './store.js';

export interface LeaseElectorOptions {
  store: LeaseStore;
  /** This candidate's name in the lease (a pod's name). */
  identity: string;
  timing: LeaseTiming;
  log: Logger;
  /**
   * Leadership ended without `release()`: the renew deadline passed, or another candidate
   * holds the lease. Called once; whatever the leader does must stop now.
   */
  onLost: (reason: string) => void;
}

/** The monotonic clock every deadline is measured on (ms); the wall clock may jump. */
const now = () => performance.now();

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A failed request in one line: a timeout or refusal needs no stack. */
function problem(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Read through a call: an await may have changed it since the last check. */
function aborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/**
 * One candidate for one Lease. `acquire()` waits until it holds the lease; from then on it
 * renews every renew period and fences itself: when no renewal succeeded within the renew
 * deadline, counted on its own monotonic clock from when the last successful renewal was sent,
 * it calls `onLost`, which the caller turns into stopping all work. The deadline ends before
 * any other candidate may take the lease, whatever happened to the API server or the network.
 */
export class LeaseElector {
  readonly #options: LeaseElectorOptions;
  #leading = false;
  readonly #stop = new AbortController();
  #holder: string | undefined;
  #observed: Observed | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #fenceTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #lastContact: number | undefined;

  constructor(options: LeaseElectorOptions) {
    this.#options = options;
  }

  get identity(): string {
    return this.#options.identity;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the lease (undefined: nobody, or not read yet). */
  get holder(): string | undefined {
    return this.#holder;
  }

  /** The API server answered within the lease duration: a standby can take over. */
  get inContact(): boolean {
    return (
      this.#lastContact !== undefined &&
      now() - this.#lastContact < this.#options.timing.leaseDurationMs
    );
  }

  /**
   * Resolves true once this candidate holds the lease, false if `signal` aborts (or
   * `release()` is called) first. Errors talking to the API server are logged and retried.
   */
  async acquire(until?: AbortSignal): Promise<boolean> {
    const { timing, log } = this.#options;
    const signal = until ? AbortSignal.any([until, this.#stop.signal]) : this.#stop.signal;
    while (!signal.aborted) {
      let retryInMs = timing.retryPeriodMs;
      try {
        const sentAt = now();
        const lease = await this.#read();
        const decision = decide(lease, this.#observed, this.identity, timing, now());
        if (decision.action === 'wait') {
          retryInMs = decision.retryInMs;
        } else {
          const record = heldRecord(
            this.identity,
            lease?.record,
            timing,
            new Date(),
            decision.action === 'create' || decision.transition,
          );
          const written = lease
            ? await this.#options.store.update(record, lease.resourceVersion)
            : await this.#options.store.create(record);
          // The write may have taken long enough for a shutdown to begin.
          if (written && !aborted(signal)) {
            this.#won(written, sentAt);
            return true;
          }
          // Lost the race, or stopped meanwhile (a lease just won then expires unused).
        }
      } catch (error) {
        log.warn(
          { problem: problem(error), lease: this.#options.store.describe },
          'reading the lease failed',
        );
      }
      await sleep(jittered(retryInMs), signal);
    }
    return false;
  }

  /**
   * Stops renewing and, if this candidate leads, hands the lease over at once by clearing its
   * holder. Call it only after the work the lease guards has stopped.
   */
  async release(): Promise<void> {
    this.#stop.abort();
    this.#clearTimers();
    await this.#renewing;
    if (!this.#leading) return;
    this.#leading = false;
    const { store, log } = this.#options;
    try {
      const lease = await store.get();
      if (lease?.record.holderIdentity !== this.identity) return;
      const written = await store.update(
        releasedRecord(lease.record, new Date()),
        lease.resourceVersion,
      );
      if (written) log.info({ lease: store.describe, holder: this.identity }, 'lease released');
    } catch (error) {
      log.warn(
        { problem: problem(error), lease: store.describe },
        'releasing the lease failed; it expires',
      );
    }
  }

  async #read(): Promise<StoredLease | undefined> {
    const lease = await this.#options.store.get();
    this.#lastContact = now();
    this.#observed = observe(this.#observed, lease, now());
    const holder = lease?.record.holderIdentity || undefined;
    if (holder !== this.#holder) {
      this.#holder = holder;
      this.#options.log.info(
        { lease: this.#options.store.describe, holder: holder ?? null },
        'lease holder',
      );
    }
    return lease;
  }

  #won(lease: StoredLease, sentAt: number): void {
    const { log, store, timing } = this.#options;
    this.#leading = true;
    this.#holder = this.identity;
    this.#observed = observe(this.#observed, lease, now());
    log.info(
      {
        lease: store.describe,
        holder: this.identity,
        transitions: lease.record.leaseTransitions ?? 0,
        leaseDurationMs: timing.leaseDurationMs,
        renewDeadlineMs: timing.renewDeadlineMs,
      },
      'became leader',
    );
    this.#renewed(sentAt);
    this.#scheduleRenew(timing.renewPeriodMs);
  }

  /** A renewal sent at `sentAt` succeeded: the fence moves to `sentAt` + the renew deadline. */
  #renewed(sentAt: number): void {
    if (this.#fenceTimer) clearTimeout(this.#fenceTimer);
    const due = sentAt + this.#options.timing.renewDeadlineMs - now();
    this.#fenceTimer = setTimeout(
      () => {
        this.#lose(`no renewal succeeded within the renew deadline`);
      },
      Math.max(0, due),
    );
  }

  #scheduleRenew(ms: number): void {
    this.#renewTimer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = undefined;
      });
    }, ms);
  }

  async #renew(): Promise<void> {
    const { store, timing, log } = this.#options;
    const startedAt = now();
    try {
      const lease = await this.#read();
      if (!this.#leading) return;
      if (lease?.record.holderIdentity !== this.identity) {
        this.#lose(
          lease
            ? `the lease is held by ${lease.record.holderIdentity ?? 'nobody'}`
            : 'the lease was deleted',
        );
        return;
      }
      const record = heldRecord(this.identity, lease.record, timing, new Date(), false);
      const written = await store.update(record, lease.resourceVersion);
      // The fence may have fallen while the write was under way.
      if (!this.#stillLeading()) return;
      if (written) {
        this.#observed = observe(this.#observed, written, now());
        this.#renewed(startedAt);
      } else {
        log.warn({ lease: store.describe }, 'renewing the lease conflicted; retrying');
      }
    } catch (error) {
      if (this.#stillLeading()) {
        log.warn({ problem: problem(error), lease: store.describe }, 'renewing the lease failed');
      }
    }
    if (this.#leading && !this.#stop.signal.aborted) {
      this.#scheduleRenew(Math.max(0, startedAt + timing.renewPeriodMs - now()));
    }
  }

  #stillLeading(): boolean {
    return this.#leading;
  }

  #lose(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#clearTimers();
    this.#options.log.error(
      { lease: this.#options.store.describe, holder: this.identity, reason },
      'lost leadership',
    );
    this.#options.onLost(reason);
  }

  #clearTimers(): void {
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    if (this.#fenceTimer) clearTimeout(this.#fenceTimer);
    this.#renewTimer = undefined;
    this.#fenceTimer = undefined;
  }
}
