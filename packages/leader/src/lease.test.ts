import { describe, expect, it } from 'vitest';
import {
  checkTiming,
  decide,
  heldRecord,
  jittered,
  leaseTiming,
  observe,
  releasedRecord,
  type StoredLease,
} from './lease.js';

const timing = leaseTiming();
const held = (holder: string | undefined, resourceVersion = '7', seconds = 10): StoredLease => ({
  resourceVersion,
  record: { holderIdentity: holder, leaseDurationSeconds: seconds, leaseTransitions: 3 },
});

describe('leaseTiming', () => {
  it('renews about every 2 s and fences 3 s before a 10 s lease can be taken', () => {
    expect(timing).toEqual({
      leaseDurationMs: 10_000,
      renewDeadlineMs: 7000,
      renewPeriodMs: 2000,
      retryPeriodMs: 2000,
    });
  });

  it('scales renewals down for short leases and keeps every deadline ordered', () => {
    const short = leaseTiming(3000);
    expect(short.renewPeriodMs).toBe(600);
    expect(short.renewDeadlineMs).toBe(2100);
    for (const ms of [2000, 5000, 15_000, 60_000]) {
      const t = leaseTiming(ms);
      expect(t.renewPeriodMs).toBeLessThan(t.renewDeadlineMs);
      expect(t.renewDeadlineMs).toBeLessThan(t.leaseDurationMs);
    }
  });

  it('refuses durations a Lease cannot record and deadlines that outlast the lease', () => {
    expect(() => leaseTiming(10_500)).toThrow(/whole seconds/);
    expect(() => checkTiming({ ...timing, renewDeadlineMs: 10_000 })).toThrow(/shorter/);
    expect(() => checkTiming({ ...timing, renewPeriodMs: 7000 })).toThrow(/renew period/);
  });
});

describe('observe', () => {
  it('starts the clock when the version changes and keeps it while it does not', () => {
    const first = observe(undefined, held('a', '1'), 100);
    expect(first).toEqual({ resourceVersion: '1', at: 100 });
    expect(observe(first, held('a', '1'), 5000)).toBe(first);
    expect(observe(first, held('a', '2'), 5000)).toEqual({ resourceVersion: '2', at: 5000 });
    expect(observe(first, undefined, 5000)).toBeUndefined();
  });
});

describe('decide', () => {
  it('creates a missing lease and takes a released one at once', () => {
    expect(decide(undefined, undefined, 'me', timing, 0)).toEqual({ action: 'create' });
    expect(decide(held(undefined), undefined, 'me', timing, 0)).toEqual({
      action: 'take',
      transition: true,
    });
    expect(decide(held(''), undefined, 'me', timing, 0).action).toBe('take');
  });

  it('takes back its own lease at once (a restarted process keeps its pod name)', () => {
    expect(decide(held('me'), undefined, 'me', timing, 0)).toEqual({
      action: 'take',
      transition: false,
    });
  });

  it("waits out another holder's declared duration from when the version was first seen", () => {
    const lease = held('other', '9', 15);
    const seen = observe(undefined, lease, 1000);
    expect(decide(lease, seen, 'me', timing, 1000)).toEqual({
      action: 'wait',
      holder: 'other',
      retryInMs: 2000,
    });
    // The last look is timed to the expiry, not a whole retry period after it.
    expect(decide(lease, seen, 'me', timing, 15_500)).toEqual({
      action: 'wait',
      holder: 'other',
      retryInMs: 500,
    });
    expect(decide(lease, seen, 'me', timing, 16_000)).toEqual({ action: 'take', transition: true });
  });

  it('restarts the wait when the holder renews, and without an observation', () => {
    const first = held('other', '9');
    const seen = observe(undefined, first, 0);
    const renewed = held('other', '10');
    expect(decide(renewed, seen, 'me', timing, 9000).action).toBe('wait');
    expect(decide(first, undefined, 'me', timing, 50_000).action).toBe('wait');
  });

  it("uses its own duration when the holder's lease declares none", () => {
    const lease: StoredLease = { resourceVersion: '3', record: { holderIdentity: 'other' } };
    const seen = observe(undefined, lease, 0);
    expect(decide(lease, seen, 'me', timing, 9999).action).toBe('wait');
    expect(decide(lease, seen, 'me', timing, 10_000).action).toBe('take');
  });
});

describe('records', () => {
  const now = new Date('2026-12-06T08:00:00.123Z');
  const earlier = new Date('2026-12-06T07:00:00Z');

  it('counts a transition when the holder changes and keeps acquireTime on renewal', () => {
    const previous = { ...held('other').record, acquireTime: earlier };
    expect(heldRecord('me', previous, timing, now, true)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 10,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 4,
    });
    const mine = { ...held('me').record, acquireTime: earlier };
    expect(heldRecord('me', mine, timing, now, false)).toMatchObject({
      acquireTime: earlier,
      renewTime: now,
      leaseTransitions: 3,
    });
    expect(heldRecord('me', undefined, timing, now, true).leaseTransitions).toBe(0);
  });

  it('a released record has no holder, so the next candidate takes it at once', () => {
    const released = releasedRecord(held('me').record, now);
    expect(released.holderIdentity).toBeUndefined();
    expect(released.leaseTransitions).toBe(3);
    expect(decide({ resourceVersion: '8', record: released }, undefined, 'b', timing, 0)).toEqual({
      action: 'take',
      transition: true,
    });
  });

  it('jitters retries by up to a fifth', () => {
    expect(jittered(2000, () => 0)).toBe(2000);
    expect(jittered(2000, () => 0.999)).toBe(2400);
  });
});
