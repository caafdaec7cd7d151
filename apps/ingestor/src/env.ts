import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  TOPICS,
  envVar,
  fileVar,
  kafkaEnv,
  kafkaEnvRules,
  opsEnv,
  parseEnv,
  processEnv,
  topicVar,
  z,
  type Env,
} from '@wikipulse/config';
import type { Compression } from '@wikipulse/kafka';
// The timing alone: the Kubernetes client loads only when there is an election.
import { DEFAULT_LEASE_DURATION_MS } from '@wikipulse/leader/timing';
import { normaliseSince } from './position.js';

/** Where Kubernetes mounts the pod's namespace with its service account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace of the pod's service account; undefined outside a pod. */
function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A Kubernetes object name (DNS subdomain). */
const objectName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'a Kubernetes name: lower case, digits, - and .');

/** What the ingestor does, whoever connects its output (its own process, or `npm start`). */
const settings = {
  STREAM_URL: z.url().default('https://stream.wikimedia.org/v2/stream/recentchange'),
  // Wikimedia refuses requests without a descriptive agent (403): name, version, contact.
  USER_AGENT: z
    .string()
    .min(1)
    .default(
      'Wikipulse-ingestor/0.1.0 (https://github.com/wikipulse/wikipulse; wikipulse@example.org) eventsource/4',
    ),
  OUTPUT: z.enum(['kafka', 'stdout', 'jsonl']).default('kafka'),
  OUTPUT_FILE: z.string().default(''),
  TOPIC: topicVar(TOPICS.events),
  DEAD_LETTER_TOPIC: topicVar(TOPICS.deadLetter),
  CHECKPOINT_TOPIC: topicVar(TOPICS.positions),
  TOPIC_PARTITIONS: envVar.positiveInt(6),
  TOPIC_REPLICATION_FACTOR: z.coerce.number().int().min(-1).default(-1),
  COMPRESSION: z
    .enum(['none', 'gzip', 'zstd', 'lz4', 'snappy'] as const satisfies readonly Compression[])
    .default('none'),
  BATCH_MAX_EVENTS: envVar.positiveInt(200),
  BATCH_MAX_BYTES: envVar.positiveInt(1_000_000),
  // Below Kafka's default max.message.bytes (1 MiB) with room for the key and headers.
  MAX_EVENT_BYTES: envVar.positiveInt(1_000_000),
  LINGER_MS: envVar.nonNegativeInt(1),
  // The idempotent producer sends one request at a time per broker: more writes waiting add
  // latency, not throughput.
  MAX_IN_FLIGHT: envVar.positiveInt(2),
  CHECKPOINT_FILE: z.string().default(''),
  CHECKPOINT_INTERVAL_MS: envVar.positiveInt(1000),
  SINCE: z.string().default(''),
  WIKIS: envVar.list(),
  LANGS: envVar.list(),
  DEDUP_WINDOW: envVar.positiveInt(100_000),
  // One thread by default: at the stream's tens of events a second a reading thread only adds
  // memory, about 50 MB; a backfill runs about a quarter faster with it (docs/ingestor.md).
  PARSE_WORKER: envVar.boolean(false),
  RESTART_LOOKBACK_MS: envVar.nonNegativeInt(60_000),
  STALL_TIMEOUT_MS: envVar.positiveInt(30_000),
  RECONNECT_MIN_MS: envVar.positiveInt(500),
  RECONNECT_MAX_MS: envVar.positiveInt(30_000),
};

type Settings = z.output<z.ZodObject<typeof settings>>;

function checkSettings(env: Settings, ctx: z.RefinementCtx): void {
  if (env.OUTPUT === 'jsonl' && env.OUTPUT_FILE === '') {
    ctx.addIssue({ code: 'custom', path: ['OUTPUT_FILE'], message: 'required when OUTPUT=jsonl' });
  }
  if (env.SINCE !== '' && normaliseSince(env.SINCE) === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['SINCE'],
      message: 'must be epoch milliseconds or an ISO-8601 date',
    });
  }
}

const configSchema = z.object(settings).superRefine(checkSettings);

/** The ingestor's settings, as `createApp` takes them. */
export type IngestorConfig = z.output<typeof configSchema>;

/** The ingestor's settings alone, for a process that gives it its bus. */
export function loadIngestorConfig(env: Env = process.env): IngestorConfig {
  return parseEnv(configSchema, env);
}

/**
 * The ingestor process's whole configuration: its settings, how it reaches Kafka and the
 * leader election. Every variable is documented in docs/ingestor.md with its default;
 * `--since <time>` on the command line overrides `SINCE`.
 */
export const envSchema = z
  .object({
    ...settings,
    ...kafkaEnv,
    KAFKA_CLIENT_ID: z.string().min(1).default('wikipulse-ingestor'),
    ...opsEnv,
    ...processEnv,
    // Leader election (docs/leader-election.md): set, only the holder of this Lease ingests.
    LEASE_NAME: envVar.optional(objectName),
    POD_NAME: z.string().min(1).default(hostname()),
    POD_NAMESPACE: z.preprocess(
      (value) => (value === undefined || value === '' ? serviceAccountNamespace() : value),
      objectName.optional(),
    ),
    LEASE_DURATION_MS: z.coerce
      .number()
      .int()
      .min(3000)
      .max(300_000)
      .refine((ms) => ms % 1000 === 0, 'whole seconds (a Lease records seconds)')
      .default(DEFAULT_LEASE_DURATION_MS),
    // Without it, the pod's own service account (in-cluster configuration).
    KUBECONFIG: envVar.optional(fileVar.readable()),
    KUBERNETES_SERVICE_HOST: envVar.optional(z.string()),
  })
  .check(...kafkaEnvRules)
  .superRefine((env, ctx) => {
    checkSettings(env, ctx);
    if (env.OUTPUT === 'kafka' && env.KAFKA_BROKERS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_BROKERS'],
        message: 'required when OUTPUT=kafka',
      });
    }
    if (env.LEASE_NAME !== undefined && env.POD_NAMESPACE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['POD_NAMESPACE'],
        message: `required with LEASE_NAME outside a pod (no ${SERVICE_ACCOUNT_NAMESPACE_FILE})`,
      });
    }
    if (
      env.LEASE_NAME !== undefined &&
      env.KUBECONFIG === undefined &&
      env.KUBERNETES_SERVICE_HOST === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KUBECONFIG'],
        message: 'required with LEASE_NAME outside a pod (no in-cluster configuration)',
      });
    }
  });

export type IngestorEnv = z.output<typeof envSchema>;

/** `--since <time>` / `--since=<time>`; anything else on the command line is an error. */
export function argvOverrides(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--since') {
      const value = argv[i + 1];
      if (value === undefined) throw new Error('--since needs a time (epoch ms or ISO-8601)');
      out['SINCE'] = value;
      i += 1;
    } else if (arg.startsWith('--since=')) {
      out['SINCE'] = arg.slice('--since='.length);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)} (only --since <time> is accepted)`);
    }
  }
  return out;
}

export function loadEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
): IngestorEnv {
  return parseEnv(envSchema, { ...env, ...argvOverrides(argv) });
}
