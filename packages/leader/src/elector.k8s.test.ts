import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@wikipulse/logger';
import { repoRoot } from '@wikipulse/testing';
import {
  adminKubeConfig,
  ApiServerLink,
  createTestNamespace,
  leaseHolderKubeConfig,
} from '@wikipulse/testing/k8s';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { kubeLeaseElector, leaseTiming, type LeaseElector } from './index.js';

const LEASES = ['crash', 'release', 'race', 'fence'];
const timing = leaseTiming();
const log = createLogger({ name: 'leader-test', level: 'warn' });

let admin: KubeConfig;
let asIngestor: KubeConfig;
let namespace: string;
let dir: string;
const electors: LeaseElector[] = [];
const links: ApiServerLink[] = [];

function elector(
  name: string,
  identity: string,
  kubeConfig = asIngestor,
  onLost: (reason: string) => void = () => {},
) {
  const candidate = kubeLeaseElector({
    kubeConfig,
    namespace,
    name,
    identity,
    log: log.child({ identity }),
    onLost,
  });
  electors.push(candidate);
  return candidate;
}

async function readLease(name: string) {
  return (await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name }))
    .spec!;
}

/** Resolves with the time `promise` settled, in ms since `from`. */
async function timed<T>(promise: Promise<T>, from: number): Promise<{ value: T; ms: number }> {
  const value = await promise;
  return { value, ms: performance.now() - from };
}

beforeAll(async () => {
  admin = adminKubeConfig();
  namespace = await createTestNamespace(admin, 'leader');
  // Exactly the RBAC docs/leader-election.md gives the ingestor's service account.
  asIngestor = await leaseHolderKubeConfig(admin, namespace, LEASES);
  dir = await mkdtemp(join(tmpdir(), 'wikipulse-leader-'));
  execFileSync('npx', ['tsc', '-b', 'packages/leader'], { cwd: repoRoot, stdio: 'inherit' });
});

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.release()));
  await Promise.all(links.splice(0).map((l) => l.close()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('leader election on a Lease', () => {
  it('one of two holds; when the holder is killed the other takes over within 15 s', async () => {
    // The holder is a process of its own, killed with SIGKILL: no release, no last renewal.
    const script = join(dir, 'hold.mjs');
    const url = (path: string) => pathToFileURL(join(repoRoot, path)).href;
    await writeFile(
      script,
      `import { KubeConfig } from '${url('node_modules/@kubernetes/client-node/dist/index.js')}';
import { kubeLeaseElector } from '${url('packages/leader/dist/index.js')}';
import { createLogger } from '${url('packages/logger/dist/index.js')}';
const [file, namespace, name, identity] = process.argv.slice(2);
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(file);
const elector = kubeLeaseElector({
  kubeConfig, namespace, name, identity,
  log: createLogger({ name: identity, level: 'warn' }),
  onLost: () => process.exit(1),
});
if (await elector.acquire()) process.stdout.write('leading\\n');
`,
    );
    const kubeconfigFile = join(dir, 'kubeconfig');
    await writeFile(kubeconfigFile, asIngestor.exportConfig());
    const holder = spawn(process.execPath, [script, kubeconfigFile, namespace, 'crash', 'a'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    try {
      let out = '';
      holder.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      await vi.waitFor(() => expect(out).toBe('leading\n'), { timeout: 30_000, interval: 50 });

      const standby = elector('crash', 'b');
      const acquired = standby.acquire();
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(standby.leading).toBe(false);
      expect(standby.holder).toBe('a');
      expect((await readLease('crash')).holderIdentity).toBe('a');

      const killedAt = performance.now();
      holder.kill('SIGKILL');
      await exited;
      const { value, ms } = await timed(acquired, killedAt);
      console.log(`[leader] takeover after kill -9: ${(ms / 1000).toFixed(2)} s`);
      expect(value).toBe(true);
      expect(standby.leading).toBe(true);
      expect(ms).toBeLessThan(15_000);
      // Not before the lease could have expired: the standby waited out the duration.
      expect(ms).toBeGreaterThan(timing.leaseDurationMs - timing.renewPeriodMs);
      const spec = await readLease('crash');
      expect(spec.holderIdentity).toBe('b');
      expect(spec.leaseTransitions).toBe(1);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a release hands the lease over at once', async () => {
    const first = elector('release', 'a');
    expect(await first.acquire()).toBe(true);
    const second = elector('release', 'b');
    const acquired = second.acquire();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(second.leading).toBe(false);

    const releasedAt = performance.now();
    await first.release();
    expect(first.leading).toBe(false);
    const { value, ms } = await timed(acquired, releasedAt);
    console.log(`[leader] takeover after a release: ${(ms / 1000).toFixed(2)} s`);
    expect(value).toBe(true);
    // One look at the lease (a retry period plus jitter), not a lease duration.
    expect(ms).toBeLessThan(timing.retryPeriodMs * 1.2 + 1000);
    expect((await readLease('release')).holderIdentity).toBe('b');
  });

  it('candidates that start together yield exactly one leader, on a new and a released lease', async () => {
    const candidates = ['a', 'b', 'c'].map((identity) => elector('race', identity));
    const acquired = candidates.map((c) => c.acquire());
    const first = await Promise.race(acquired.map((p, i) => p.then(() => candidates[i]!)));
    // Longer than a retry period: a second leader would have appeared by now.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(candidates.filter((c) => c.leading)).toEqual([first]);
    expect((await readLease('race')).holderIdentity).toBe(first.identity);

    await first.release();
    const rest = candidates.filter((c) => c !== first);
    await vi.waitFor(() => expect(rest.some((c) => c.leading)).toBe(true), {
      timeout: 10_000,
      interval: 50,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const leaders = rest.filter((c) => c.leading);
    expect(leaders).toHaveLength(1);
    expect((await readLease('race')).holderIdentity).toBe(leaders[0]!.identity);
  });

  it('a holder cut off from the API server fences itself before the lease can be taken', async () => {
    const link = await ApiServerLink.start(asIngestor);
    links.push(link);
    const start = performance.now();
    let lostAt: number | undefined;
    let lostReason = '';
    const holder = elector('fence', 'a', link.kubeConfig(asIngestor), (reason) => {
      lostAt = performance.now() - start;
      lostReason = reason;
    });
    expect(await holder.acquire()).toBe(true);
    const standby = elector('fence', 'b');
    const acquired = standby.acquire();
    // A few renewals through the link.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(holder.leading).toBe(true);
    expect(standby.leading).toBe(false);

    const cutAt = performance.now() - start;
    link.cut();
    const { ms: wonAt } = await timed(acquired, start);
    expect(lostAt).toBeDefined();
    console.log(
      `[leader] cut off at ${(cutAt / 1000).toFixed(2)} s: holder fenced at +${((lostAt! - cutAt) / 1000).toFixed(2)} s, ` +
        `standby took over at +${((wonAt - cutAt) / 1000).toFixed(2)} s (${((wonAt - lostAt!) / 1000).toFixed(2)} s after the fence)`,
    );
    expect(lostReason).toMatch(/renew deadline/);
    expect(holder.leading).toBe(false);
    // The last renewal was sent before the cut, so the fence falls within the renew deadline.
    expect(lostAt! - cutAt).toBeLessThanOrEqual(timing.renewDeadlineMs + 100);
    expect(lostAt!).toBeLessThan(wonAt);
    expect((await readLease('fence')).holderIdentity).toBe('b');
  });
});
