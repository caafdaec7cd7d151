import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  PolicyV1Api,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { MANAGED_BY, type ChildSettings } from './children.js';
import { KubeCluster } from './cluster.js';
import { WorkQueue } from './queue.js';
import { Reconciler, type Outcome, type Schema, type Topics } from './reconciler.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type WikiStream } from './wikistream.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  /** The namespace whose WikiStreams this operator manages. */
  namespace: string;
  topics: Topics;
  schema: Schema;
  settings: ChildSettings;
  log: Logger;
  /** Names this replica in Events. */
  instance: string;
  /** Told after every reconcile; for metrics. */
  onReconciled?: (outcome: Outcome | 'failed', seconds: number) => void;
  /** Stamps conditions and Events; the system clock by default. */
  clock?: Clock;
}

export interface Operator {
  /** True once every informer has listed and is watching. */
  readonly watching: boolean;
  stop(): Promise<void>;
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Watches WikiStreams and the Deployments, Services, budgets and policies they own, and reconciles each changed stream through
 * a serialised queue. The informers' list-then-watch gives a full resync at every (re)connect.
 */
export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const { kubeConfig, namespace, log } = options;
  const reconciler = new Reconciler({
    cluster: new KubeCluster(kubeConfig, options.instance, options.clock),
    topics: options.topics,
    schema: options.schema,
    settings: options.settings,
    log,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const queue = new WorkQueue(
    async (k) => {
      const [ns = '', name = ''] = k.split('/');
      const started = performance.now();
      try {
        const outcome = await reconciler.reconcile(ns, name);
        options.onReconciled?.(outcome, (performance.now() - started) / 1000);
      } catch (error) {
        options.onReconciled?.('failed', (performance.now() - started) / 1000);
        throw error;
      }
    },
    {
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      onError: (k, error, retryInMs) =>
        log.warn({ key: k, err: error, retryInMs }, 'reconcile failed'),
    },
  );

  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const streams = makeInformer<WikiStream>(
    kubeConfig,
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
    () =>
      custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
      }) as Promise<KubernetesListObject<WikiStream>>,
  );
  // The children whose change or loss the operator undoes at once; the others are set back
  // at the stream's next reconcile.
  const selector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const policy = kubeConfig.makeApiClient(PolicyV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  const listed = { namespace, labelSelector: selector };
  const children: Record<string, Informer<KubernetesObject>> = {
    deployments: makeInformer(
      kubeConfig,
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      () => apps.listNamespacedDeployment(listed),
      selector,
    ),
    services: makeInformer(
      kubeConfig,
      `/api/v1/namespaces/${namespace}/services`,
      () => core.listNamespacedService(listed),
      selector,
    ),
    poddisruptionbudgets: makeInformer(
      kubeConfig,
      `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
      () => policy.listNamespacedPodDisruptionBudget(listed),
      selector,
    ),
    networkpolicies: makeInformer(
      kubeConfig,
      `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`,
      () => networking.listNamespacedNetworkPolicy(listed),
      selector,
    ),
  };

  const enqueueStream = (stream: KubernetesObject) => {
    const { namespace: ns, name } = stream.metadata ?? {};
    if (ns && name) queue.add(key(ns, name));
  };
  const enqueueOwner = (child: KubernetesObject) => {
    const owner = child.metadata?.ownerReferences?.find(
      (ref) => ref.controller && ref.apiVersion === API_VERSION && ref.kind === KIND,
    );
    const ns = child.metadata?.namespace;
    if (owner && ns) queue.add(key(ns, owner.name));
  };
  streams.on('add', enqueueStream);
  streams.on('update', enqueueStream);
  for (const informer of Object.values(children)) {
    informer.on('update', enqueueOwner);
    informer.on('delete', enqueueOwner);
  }

  let stopping = false;
  const connected = new Set<string>();
  const restartOnError = (name: string, informer: Informer<KubernetesObject>) => {
    informer.on('connect', () => connected.add(name));
    informer.on('error', (error: unknown) => {
      connected.delete(name);
      if (stopping) return;
      log.warn({ informer: name, err: error }, 'watch failed, restarting');
      setTimeout(() => {
        if (!stopping)
          informer.start().catch((e: unknown) => log.error({ err: e }, 'watch restart failed'));
      }, 2000).unref();
    });
  };
  const informers: Record<string, Informer<KubernetesObject>> = {
    [PLURAL]: streams,
    ...children,
  };
  for (const [name, informer] of Object.entries(informers)) restartOnError(name, informer);

  await Promise.all(Object.values(informers).map((informer) => informer.start()));
  log.info({ namespace }, 'operator watching');

  return {
    get watching() {
      return connected.size === Object.keys(informers).length;
    },
    async stop() {
      stopping = true;
      await Promise.all(Object.values(informers).map((informer) => informer.stop()));
      await queue.close();
    },
  };
}
