import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../paths.js';
import { applyYaml, serviceAccountKubeConfig } from './client.js';

/**
 * Applies the lease holder's RBAC exactly as `docs/leader-election.md` gives it (its first YAML
 * block), for `namespace` and the named leases, and returns a kubeconfig acting as that
 * service account: a test of the election then proves the documented rules suffice.
 */
export async function leaseHolderKubeConfig(
  admin: KubeConfig,
  namespace: string,
  leases: readonly string[],
): Promise<KubeConfig> {
  const doc = await readFile(join(repoRoot, 'docs/leader-election.md'), 'utf8');
  const rbac = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  if (rbac === undefined) throw new Error('docs/leader-election.md has no YAML block');
  const named = rbac
    .replaceAll('namespace: wikipulse', `namespace: ${namespace}`)
    .replace('resourceNames: [wikipulse-ingestor]', `resourceNames: [${leases.join(', ')}]`);
  if (!named.includes(`resourceNames: [${leases.join(', ')}]`)) {
    throw new Error('the documented Role names no wikipulse-ingestor lease');
  }
  await applyYaml(admin, named);
  return serviceAccountKubeConfig(admin, namespace, 'wikipulse-ingestor');
}
