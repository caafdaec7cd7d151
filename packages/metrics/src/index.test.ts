import { afterEach, describe, expect, it } from 'vitest';
import { Counter, createRegistry, startOpsServer, type OpsServer } from './index.js';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('ops server', () => {
  it('serves metrics with the app label, health, and readiness per check', async () => {
    const registry = createRegistry('unit');
    const events = new Counter({
      name: 'wikipulse_unit_events_total',
      help: 'events',
      registers: [registry],
    });
    events.inc(3);
    let connected = false;
    server = await startOpsServer({
      registry,
      port: 0,
      host: '127.0.0.1',
      readiness: { stream: () => connected, sink: () => Promise.resolve(true) },
    });
    const base = `http://127.0.0.1:${server.port}`;

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('wikipulse_unit_events_total{app="unit"} 3');
    expect(metrics).toContain('process_cpu_user_seconds_total');

    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { stream: false, sink: true } });

    connected = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('says why a check is not ready when the check gives a reason', async () => {
    let schema: { ready: boolean; reason?: string } = { ready: false, reason: 'no schema yet' };
    server = await startOpsServer({
      registry: createRegistry('unit'),
      port: 0,
      host: '127.0.0.1',
      readiness: {
        schema: () => schema,
        broken: () => Promise.reject(new Error('secret://address')),
      },
    });
    const readyz = () => fetch(`http://127.0.0.1:${server!.port}/readyz`);
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      ready: false,
      checks: { schema: false, broken: false },
      reasons: { schema: 'no schema yet' },
    });
    schema = { ready: true };
    expect(await (await readyz()).json()).toEqual({
      ready: false,
      checks: { schema: true, broken: false },
    });
  });

  it("adds the app's details to the readiness body without checking them", async () => {
    let leader = false;
    server = await startOpsServer({
      registry: createRegistry('unit'),
      port: 0,
      host: '127.0.0.1',
      readiness: { lease: () => true },
      details: () => ({ leader }),
    });
    const readyz = `http://127.0.0.1:${server.port}/readyz`;
    const standby = await fetch(readyz);
    expect(standby.status).toBe(200);
    expect(await standby.json()).toEqual({ ready: true, checks: { lease: true }, leader: false });
    leader = true;
    expect(await (await fetch(readyz)).json()).toMatchObject({ ready: true, leader: true });
  });
});
