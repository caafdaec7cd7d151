import {
  ApiException,
  CoordinationV1Api,
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type V1Lease,
  type V1LeaseSpec,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import type { LeaseRecord, StoredLease } from './lease.js';

/** One Lease on the API server, read and written with optimistic concurrency. */
export interface LeaseStore {
  /** `namespace/name`, for logs. */
  readonly describe: string;
  /** The lease, or undefined when it does not exist. */
  get(): Promise<StoredLease | undefined>;
  /** Creates the lease; undefined when another candidate created it first. */
  create(record: LeaseRecord): Promise<StoredLease | undefined>;
  /** Writes the lease if it is still at `resourceVersion`; undefined when it changed since. */
  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease | undefined>;
}

function status(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Request options that abort a request after `ms`: a lost API server must not stall a renewal. */
function withTimeout(ms: number): ConfigurationOptions {
  const timeout: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [timeout], middlewareMergeStrategy: 'append' };
}

/** The API server sends MicroTime as text; client-node passes it through undeserialised. */
function time(value: Date | string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}

/** MicroTime must be written with six fractional digits, which `V1MicroTime` prints. */
function microTime(value: Date | undefined): V1MicroTime | undefined {
  return value === undefined ? undefined : new V1MicroTime(value.getTime());
}

function toStored(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity,
      leaseDurationSeconds: spec.leaseDurationSeconds,
      acquireTime: time(spec.acquireTime),
      renewTime: time(spec.renewTime),
      leaseTransitions: spec.leaseTransitions,
    },
  };
}

function toSpec(record: LeaseRecord): V1LeaseSpec {
  const spec: V1LeaseSpec = {};
  if (record.holderIdentity !== undefined) spec.holderIdentity = record.holderIdentity;
  if (record.leaseDurationSeconds !== undefined) {
    spec.leaseDurationSeconds = record.leaseDurationSeconds;
  }
  const acquireTime = microTime(record.acquireTime);
  if (acquireTime) spec.acquireTime = acquireTime;
  const renewTime = microTime(record.renewTime);
  if (renewTime) spec.renewTime = renewTime;
  if (record.leaseTransitions !== undefined) spec.leaseTransitions = record.leaseTransitions;
  return spec;
}

/**
 * A `coordination.k8s.io/v1` Lease through `@kubernetes/client-node`. Writes are full
 * replacements carrying the resourceVersion read, so the API server refuses (409) a write based
 * on a lease that changed meanwhile: of two candidates, only one wins.
 */
export class KubeLeaseStore implements LeaseStore {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;
  readonly #options: ConfigurationOptions;
  /** The last lease read or written: a replacement keeps its labels and annotations. */
  #last: V1Lease | undefined;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string, requestTimeoutMs: number) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
    this.#options = withTimeout(requestTimeoutMs);
  }

  get describe(): string {
    return `${this.#namespace}/${this.#name}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      this.#last = await this.#api.readNamespacedLease(
        { namespace: this.#namespace, name: this.#name },
        this.#options,
      );
      return toStored(this.#last);
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }

  async create(record: LeaseRecord): Promise<StoredLease | undefined> {
    const metadata = { name: this.#name, namespace: this.#namespace };
    return this.#write(() =>
      this.#api.createNamespacedLease(
        { namespace: this.#namespace, body: leaseBody(metadata, record) },
        this.#options,
      ),
    );
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease | undefined> {
    const known = this.#last?.metadata;
    const metadata: V1ObjectMeta = {
      ...(known?.resourceVersion === resourceVersion ? known : {}),
      name: this.#name,
      namespace: this.#namespace,
      resourceVersion,
    };
    return this.#write(() =>
      this.#api.replaceNamespacedLease(
        { namespace: this.#namespace, name: this.#name, body: leaseBody(metadata, record) },
        this.#options,
      ),
    );
  }

  /** A write of the Lease: undefined on a conflict (someone else wrote it first). */
  async #write(send: () => Promise<V1Lease>): Promise<StoredLease | undefined> {
    try {
      this.#last = await send();
      return toStored(this.#last);
    } catch (error) {
      if (status(error) === 409) return undefined;
      throw error;
    }
  }
}

function leaseBody(metadata: V1ObjectMeta, record: LeaseRecord): V1Lease {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec: toSpec(record) };
}
