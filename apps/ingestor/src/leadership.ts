import type { LeaseElector } from '@wikipulse/leader';
import type { Logger } from '@wikipulse/logger';
import type { IngestorEnv } from './env.js';

/**
 * The candidate for the pipeline's Lease (docs/leader-election.md), or undefined when
 * `LEASE_NAME` is unset and this process ingests without election. The API server is the one
 * `KUBECONFIG` names, else the pod's own (in-cluster service account). The Kubernetes client is
 * loaded only with an election: it would otherwise sit in the heap that every garbage
 * collection of the busy ingestor marks.
 */
export async function createElector(
  env: IngestorEnv,
  log: Logger,
  onLost: (reason: string) => void,
): Promise<LeaseElector | undefined> {
  if (env.LEASE_NAME === undefined) return undefined;
  const [{ KubeConfig }, { kubeLeaseElector }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('@wikipulse/leader'),
  ]);
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
