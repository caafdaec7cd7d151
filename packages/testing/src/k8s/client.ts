import { request, type RequestOptions } from 'node:https';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export function kubeConfigFromYaml(yaml: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(yaml);
  return kubeConfig;
}

/**
 * A kubeconfig that acts as a ServiceAccount, with a short-lived token from the TokenRequest
 * API: what a pod running as that account would get, so a test exercises its RBAC exactly.
 */
export async function serviceAccountKubeConfig(
  admin: KubeConfig,
  namespace: string,
  serviceAccount: string,
  expirationSeconds = 3600,
): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token: request.status?.token }],
    contexts: [{ name: user, cluster: cluster.name, user, namespace }],
    currentContext: user,
  });
  return kubeConfig;
}

/**
 * Server-side applies a CustomResourceDefinition as raw JSON. client-node's typed serializer
 * would rename or drop the OpenAPI schema's `default` and `x-kubernetes-*` keys on the way.
 */
async function applyCustomResourceDefinition(
  kubeConfig: KubeConfig,
  object: KubernetesObject,
): Promise<KubernetesObject> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster || !object.metadata?.name) throw new Error('no cluster, or a CRD without a name');
  const url = new URL(
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${object.metadata.name}?fieldManager=wikipulse-test&force=true`,
    cluster.server,
  );
  const options: RequestOptions = {
    method: 'PATCH',
    headers: { 'content-type': 'application/apply-patch+yaml' },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const body = JSON.stringify(object);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 300)
          reject(new Error(`apply CRD: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as KubernetesObject);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Server-side applies every object in a multi-document YAML text, in order. `namespace`
 * goes to objects that have none (cluster-scoped kinds ignore it).
 */
export async function applyYaml(
  kubeConfig: KubeConfig,
  yaml: string,
  namespace?: string,
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const applied: KubernetesObject[] = [];
  for (const document of parseAllDocuments(yaml)) {
    const object = document.toJS() as KubernetesObject | null;
    if (!object) continue;
    if (namespace && !object.metadata?.namespace) {
      object.metadata = { ...object.metadata, namespace };
    }
    if (object.kind === 'CustomResourceDefinition') {
      applied.push(await applyCustomResourceDefinition(kubeConfig, object));
      continue;
    }
    applied.push(
      await client.patch(
        object,
        undefined,
        undefined,
        'wikipulse-test',
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
  }
  return applied;
}
