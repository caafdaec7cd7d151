import {
  ApiException,
  ApisApi,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { OptionalChild } from './children.js';
import type { Cluster, StreamEvent } from './reconciler.js';
import { GROUP, PLURAL, VERSION, type WikiStream, type WikiStreamStatus } from './wikistream.js';

export const FIELD_MANAGER = 'wikipulse-operator';

const API_VERSIONS: Record<OptionalChild, string> = {
  PodDisruptionBudget: 'policy/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
};

function notFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

async function orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

/** The reconciler's view of the API server, through `@kubernetes/client-node`. */
export class KubeCluster implements Cluster {
  readonly #apis: ApisApi;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #objects: KubernetesObjectApi;
  readonly #instance: string;
  readonly #clock: Clock;

  /** `clock` stamps the Events it records. */
  constructor(kubeConfig: KubeConfig, instance: string, clock: Clock = systemClock) {
    this.#apis = kubeConfig.makeApiClient(ApisApi);
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.#instance = instance;
    this.#clock = clock;
  }

  readWikiStream(namespace: string, name: string): Promise<WikiStream | undefined> {
    return orUndefined(
      this.#custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace,
        name,
      }) as Promise<WikiStream>,
    );
  }

  async listWikiStreams(namespace: string): Promise<WikiStream[]> {
    const list = (await this.#custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace,
    })) as KubernetesListObject<WikiStream>;
    return list.items;
  }

  async setFinalizers(stream: WikiStream, finalizers: readonly string[]): Promise<WikiStream> {
    // A merge patch carrying resourceVersion is applied only to that version (else 409).
    return (await this.#custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: stream.metadata.namespace,
        name: stream.metadata.name,
        body: {
          metadata: {
            finalizers: [...finalizers],
            resourceVersion: stream.metadata.resourceVersion,
          },
        },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as WikiStream;
  }

  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
    return orUndefined(this.#apps.readNamespacedDeployment({ namespace, name }));
  }

  apply<T extends KubernetesObject>(object: T): Promise<T> {
    // force: the operator owns these objects; a hand edit is overwritten, not a conflict.
    return this.#objects.patch(
      object,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  async listChildren(
    namespace: string,
    kind: OptionalChild,
    labels: Record<string, string>,
  ): Promise<KubernetesObject[]> {
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const list = await this.#objects.list(
      API_VERSIONS[kind],
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    // A list answers with bare items; the kind is needed to delete them.
    return list.items.map((item) => ({ ...item, apiVersion: API_VERSIONS[kind], kind }));
  }

  async deleteChild(object: KubernetesObject): Promise<void> {
    await orUndefined(this.#objects.delete(object));
  }

  async servesServiceMonitors(): Promise<boolean> {
    // Discovery, which every authenticated client may read: no RBAC on the CRD itself.
    const { groups } = await this.#apis.getAPIVersions();
    return groups.some(
      (group) =>
        group.name === 'monitoring.coreos.com' && group.versions.some((v) => v.version === 'v1'),
    );
  }

  async patchStatus(stream: WikiStream, status: WikiStreamStatus): Promise<void> {
    await this.#custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        namespace: stream.metadata.namespace,
        name: stream.metadata.name,
        body: { status },
        fieldManager: FIELD_MANAGER,
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async recordEvent(stream: WikiStream, event: StreamEvent): Promise<void> {
    const now = this.#clock();
    await this.#core.createNamespacedEvent({
      namespace: stream.metadata.namespace,
      body: {
        metadata: { generateName: `${stream.metadata.name}.` },
        involvedObject: {
          apiVersion: stream.apiVersion,
          kind: stream.kind,
          name: stream.metadata.name,
          namespace: stream.metadata.namespace,
          uid: stream.metadata.uid,
          ...(stream.metadata.resourceVersion
            ? { resourceVersion: stream.metadata.resourceVersion }
            : {}),
        },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        reportingInstance: this.#instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  }
}
