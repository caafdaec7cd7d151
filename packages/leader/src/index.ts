import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@wikipulse/logger';
import { LeaseElector } from './elector.js';
import { leaseTiming } from './lease.js';
import { KubeLeaseStore } from './store.js';

export { LeaseElector, type LeaseElectorOptions } from './elector.js';
export {
  DEFAULT_LEASE_DURATION_MS,
  checkTiming,
  decide,
  heldRecord,
  leaseTiming,
  observe,
  releasedRecord,
  type Decision,
  type LeaseRecord,
  type LeaseTiming,
  type Observed,
  type StoredLease,
} from './lease.js';
export { KubeLeaseStore, type LeaseStore } from './store.js';

export interface KubeLeaseElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The Lease's name. */
  name: string;
  identity: string;
  /** Defaults to 10 s; renewal, retry and the renew deadline follow from it. */
  leaseDurationMs?: number;
  log: Logger;
  onLost: (reason: string) => void;
}

/**
 * A candidate for a Lease on the API server `kubeConfig` points at. Each request is cut off
 * after a renew period, so a hung connection delays the next renewal by no more than that.
 */
export function kubeLeaseElector(options: KubeLeaseElectorOptions): LeaseElector {
  const timing = leaseTiming(options.leaseDurationMs);
  return new LeaseElector({
    store: new KubeLeaseStore(
      options.kubeConfig,
      options.namespace,
      options.name,
      timing.renewPeriodMs,
    ),
    identity: options.identity,
    timing,
    log: options.log,
    onLost: options.onLost,
  });
}
