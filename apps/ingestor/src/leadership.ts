import { KubeConfig } from '@kubernetes/client-node';
import { kubeLeaseElector, type LeaseElector } from '@wikipulse/leader';
import type { Logger } from '@wikipulse/logger';
import type { IngestorEnv } from './env.js';

/**
 * The candidate for the pipeline's Lease (docs/leader-election.md), or undefined when
 * `LEASE_NAME` is unset and this process ingests without election. The API server is the one
 * `KUBECONFIG` names, else the pod's own (in-cluster service account).
 */
export function createElector(
  env: IngestorEnv,
  log: Logger,
  onLost: (reason: string) => void,
): LeaseElector | undefined {
  if (env.LEASE_NAME === undefined) return undefined;
  // The environment's rules require a namespace whenever LEASE_NAME is set.
  const namespace = env.POD_NAMESPACE!;
  const kubeConfig = new KubeConfig();
  if (env.KUBECONFIG === undefined) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromFile(env.KUBECONFIG);
  return kubeLeaseElector({
    kubeConfig,
    namespace,
    name: env.LEASE_NAME,
    identity: env.POD_NAME,
    leaseDurationMs: env.LEASE_DURATION_MS,
    log: log.child({ component: 'leader' }),
    onLost,
  });
}
