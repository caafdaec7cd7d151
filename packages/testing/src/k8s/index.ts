import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { uniqueName } from '../vitest.js';
import { kubeConfigFromYaml } from './client.js';

export { applyYaml, kubeConfigFromYaml, serviceAccountKubeConfig } from './client.js';
export { leaseHolderKubeConfig } from './lease-rbac.js';
export { ApiServerLink } from './link.js';
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';

/** The admin kubeconfig of the API server the k8s global setup started. */
export function adminKubeConfig(): KubeConfig {
  return kubeConfigFromYaml(inject('k8sAdminKubeconfig'));
}

/** Creates a namespace only this test file uses; Kubernetes names allow no underscores. */
export async function createTestNamespace(
  admin: KubeConfig,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const name = uniqueName(prefix).replaceAll('_', '-').toLowerCase();
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels } } });
  return name;
}
