import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };
export { scrapedCounter, scrapedGauge, type ScrapedOptions, type ScrapedTotal } from './scraped.js';

/** A registry with Node's default process metrics, every series labelled with the app name. */
export function createRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** One check's answer; a check that is not ready may say why. */
export type ReadinessState = boolean | { ready: boolean; reason?: string };

/** What `/readyz` reports: ready only when every named check passes. */
export type ReadinessCheck = () => ReadinessState | Promise<ReadinessState>;

export interface OpsServerOptions {
  registry: Registry;
  port: number;
  host?: string;
  /**
   * Named checks for `/readyz`; the response lists each one's state, and under `reasons` why
   * each failing check that gives a reason is not ready.
   */
  readiness?: Record<string, ReadinessCheck>;
  /** Facts added to `/readyz`'s body beside the checks (a replica's role), not checked. */
  details?: () => Record<string, unknown>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/metrics`, `/healthz` and `/readyz` on their own port, apart from any public port, so a
 * NetworkPolicy can open them to Prometheus and the kubelet only.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { registry, readiness = {}, details } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const { checks, reasons } = await checkAll(readiness);
        const ready = Object.values(checks).every(Boolean);
        const body =
          Object.keys(reasons).length > 0 ? { ready, checks, reasons } : { ready, checks };
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...body, ...details?.() }));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function checkAll(
  named: Record<string, ReadinessCheck>,
): Promise<{ checks: Record<string, boolean>; reasons: Record<string, string> }> {
  const checks: Record<string, boolean> = {};
  const reasons: Record<string, string> = {};
  await Promise.all(
    Object.entries(named).map(async ([name, check]) => {
      let state: ReadinessState;
      try {
        state = await check();
      } catch {
        // An error's text may carry addresses or more; the check says what it wants said.
        state = false;
      }
      const ready = typeof state === 'boolean' ? state : state.ready;
      checks[name] = ready;
      if (!ready && typeof state !== 'boolean' && state.reason !== undefined) {
        reasons[name] = state.reason;
      }
    }),
  );
  return { checks, reasons };
}
