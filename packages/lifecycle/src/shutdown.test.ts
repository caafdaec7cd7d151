import { describe, expect, it } from 'vitest';
import { createLogger } from '@wikipulse/logger';
import { Shutdown } from './shutdown.js';

const log = createLogger({ name: 'unit', level: 'silent' });

describe('Shutdown', () => {
  it('closes steps in reverse order, once, and exits 0', async () => {
    const order: string[] = [];
    const codes: number[] = [];
    const shutdown = new Shutdown({ log, deadlineMs: 1000, exit: (c) => codes.push(c) });
    shutdown.add('kafka', () => void order.push('kafka'));
    shutdown.add('http', async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('http');
    });
    const first = shutdown.trigger('SIGTERM');
    const second = shutdown.trigger('SIGINT');
    expect(shutdown.signal.aborted).toBe(true);
    await Promise.all([first, second]);
    expect(order).toEqual(['http', 'kafka']);
    expect(codes).toEqual([0]);
  });

  it('exits non-zero when a step fails but still runs the others', async () => {
    const codes: number[] = [];
    const closed: string[] = [];
    const shutdown = new Shutdown({ log, deadlineMs: 1000, exit: (c) => codes.push(c) });
    shutdown.add('a', () => void closed.push('a'));
    shutdown.add('b', () => {
      throw new Error('boom');
    });
    await shutdown.trigger('SIGTERM');
    expect(closed).toEqual(['a']);
    expect(codes).toEqual([1]);
  });

  it('exits at the hard deadline when a step hangs', async () => {
    const codes: number[] = [];
    const shutdown = new Shutdown({ log, deadlineMs: 20, exit: (c) => codes.push(c) });
    shutdown.add('stuck', () => new Promise(() => {}));
    void shutdown.trigger('SIGTERM');
    await new Promise((r) => setTimeout(r, 60));
    expect(codes).toEqual([1]);
  });
});
