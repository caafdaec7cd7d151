import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '@wikipulse/kafka';
import { Batcher, type AckedMark } from './batcher.js';

interface Deferred {
  events: readonly OutgoingMessage[];
  dead: readonly OutgoingMessage[];
  resolve(): void;
  reject(error: Error): void;
}

function harness(overrides: { maxEvents?: number; maxInFlight?: number; lingerMs?: number } = {}) {
  const writes: Deferred[] = [];
  const errors: unknown[] = [];
  const acks: (AckedMark | undefined)[] = [];
  const batcher = new Batcher({
    writer: {
      write: (events, dead) =>
        new Promise<void>((resolve, reject) => writes.push({ events, dead, resolve, reject })),
    },
    maxEvents: overrides.maxEvents ?? 2,
    maxBytes: 1_000_000,
    lingerMs: overrides.lingerMs ?? 1,
    maxInFlight: overrides.maxInFlight ?? 2,
    onAcked: (mark) => acks.push(mark),
    onError: (error) => errors.push(error),
  });
  return { batcher, writes, errors, acks };
}

const message = (n: number): OutgoingMessage => ({ value: String(n) });
const mark = (n: number): AckedMark => ({ position: `p${n}`, receivedAt: n, dedupMark: n });
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Batcher', () => {
  it('sends a batch when full, with its dead letters, and advances on acknowledgement', async () => {
    const { batcher, writes } = harness();
    batcher.add(message(1), 1);
    batcher.mark(mark(1));
    batcher.addDeadLetter(message(2), 1);
    batcher.mark(mark(2));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.events.map((m) => m.value)).toEqual(['1']);
    expect(writes[0]!.dead.map((m) => m.value)).toEqual(['2']);
    expect(batcher.acked).toBeUndefined();
    writes[0]!.resolve();
    await tick();
    expect(batcher.acked).toEqual(mark(2));
  });

  it('advances only past batches whose predecessors are acknowledged', async () => {
    const { batcher, writes } = harness({ maxEvents: 1, maxInFlight: 5 });
    for (const n of [1, 2, 3]) {
      batcher.mark(mark(n - 0.5));
      batcher.add(message(n), 1);
      batcher.mark(mark(n));
    }
    expect(writes).toHaveLength(3);
    writes[2]!.resolve();
    writes[1]!.resolve();
    await tick();
    expect(batcher.acked).toBeUndefined();
    writes[0]!.resolve();
    await tick();
    // The last mark followed the last event: with every batch acknowledged, it is the position.
    expect(batcher.acked?.position).toBe('p3');
  });

  it('sends what lingered, and carries a position even when every event was dropped', async () => {
    const { batcher, writes } = harness({ maxEvents: 100, lingerMs: 5 });
    batcher.add(message(1), 1);
    batcher.mark(mark(1));
    expect(writes).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writes).toHaveLength(1);
    writes[0]!.resolve();
    batcher.mark(mark(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writes).toHaveLength(1);
    expect(batcher.acked).toEqual(mark(2));
  });

  it('pushes back while the in-flight limit is reached', async () => {
    const { batcher, writes } = harness({ maxEvents: 1, maxInFlight: 2 });
    batcher.add(message(1), 1);
    expect(batcher.writable()).toBeUndefined();
    batcher.add(message(2), 1);
    const wait = batcher.writable();
    expect(wait).toBeInstanceOf(Promise);
    let released = false;
    void wait!.then(() => (released = true));
    await tick();
    expect(released).toBe(false);
    writes[0]!.resolve();
    await tick();
    expect(released).toBe(true);
  });

  it('reports a failed write once and never moves the position past it', async () => {
    const { batcher, writes, errors } = harness({ maxEvents: 1, maxInFlight: 5 });
    batcher.add(message(1), 1);
    batcher.mark(mark(1));
    batcher.add(message(2), 1);
    batcher.mark(mark(2));
    writes[0]!.reject(new Error('broker gone'));
    writes[1]!.resolve();
    await tick();
    expect(errors).toHaveLength(1);
    expect(batcher.acked).toBeUndefined();
  });

  it('after a failed write takes no more writes and keeps nobody waiting', async () => {
    const { batcher, writes, errors } = harness({ maxEvents: 1, maxInFlight: 1 });
    batcher.add(message(1), 1);
    const room = batcher.writable();
    expect(room).toBeInstanceOf(Promise);
    writes[0]!.reject(new Error('broker gone'));
    await room;
    expect(errors).toHaveLength(1);
    expect(batcher.writable()).toBeUndefined();
    batcher.add(message(2), 1);
    batcher.mark(mark(2));
    batcher.flush();
    await tick();
    expect(writes).toHaveLength(1);
    await batcher.drain();
    expect(batcher.acked).toBeUndefined();
  });

  it('drains: resolves once everything added is acknowledged', async () => {
    const { batcher, writes } = harness({ maxEvents: 10 });
    batcher.add(message(1), 1);
    batcher.mark(mark(1));
    const drained = batcher.drain();
    expect(writes).toHaveLength(1);
    writes[0]!.resolve();
    await drained;
    expect(batcher.acked).toEqual(mark(1));
    expect(batcher.inFlight).toBe(0);
  });
});
