import {
  SASL_MECHANISMS,
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseUrl,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  opsEnv,
  parseEnv,
  processEnv,
  z,
  type Env,
} from '@wikipulse/config';
import type {
  V1Affinity,
  V1EnvFromSource,
  V1EnvVar,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyPeer,
  V1ResourceRequirements,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import {
  SECRET_FILES,
  type ChildSettings,
  type Connection,
  type PodSettings,
  type SecretFileVariable,
} from './children.js';

/**
 * A variable holding JSON (the chart renders it with `toJson`). Kubernetes objects inside are
 * checked for their shape only; the API server checks the rest when the operator applies them.
 */
function json<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const object = z.record(z.string(), z.unknown());
const objects = <T>() => z.array(object).transform((items) => items as T[]);
const strings = z.record(z.string(), z.string());

/** The operator's settings for one app's pods: the chart's `ingestor` or `sink` values. */
const podSettings = z.object({
  nodeFlags: z
    .array(z.string().regex(/^--[a-z0-9-]+(=\S+)?$/, 'a Node flag such as --max-old-space-size=96'))
    .default([]),
  logLevel: envVar.logLevel(),
  resources: object.default({}).transform((r) => r as V1ResourceRequirements),
  extraEnv: objects<V1EnvVar>().default([]),
  extraEnvFrom: objects<V1EnvFromSource>().default([]),
  extraVolumes: objects<V1Volume>().default([]),
  extraVolumeMounts: objects<V1VolumeMount>().default([]),
  nodeSelector: strings.default({}),
  tolerations: objects<V1Toleration>().default([]),
  affinity: object.optional().transform((a) => a as V1Affinity | undefined),
  topologySpreadConstraints: objects<V1TopologySpreadConstraint>().default([]),
  priorityClassName: z.string().min(1).optional(),
  podLabels: strings.default({}),
  podAnnotations: strings.default({}),
  pdbMaxUnavailable: z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d+%?$/)])
    .optional(),
});

const egress = objects<V1NetworkPolicyEgressRule>();
const networkPolicy = z.object({
  metricsFrom: objects<V1NetworkPolicyPeer>(),
  dns: egress,
  kafka: egress,
  clickhouse: egress,
  eventStreams: egress,
});

/** A Secret key as `name/key` (neither may hold a slash): where a child pod's file or user name comes from. */
const secretKeyRef = envVar.optional(
  z
    .string()
    .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?\/[-._a-zA-Z0-9]+$/, 'a Secret key as name/key')
    .transform((value) => {
      const [name = '', key = ''] = value.split('/');
      return { name, key };
    }),
);

/**
 * What the operator passes on to the ingestor and sink pods it creates, so they reach a secured
 * Kafka and ClickHouse as the chart's own pods do: APP_<VARIABLE>_SECRET names the Secret key
 * that fills the app variable <VARIABLE>_FILE (mounted read-only) or, for user names, <VARIABLE>.
 */
const appConnection = {
  APP_KAFKA_TLS: envVar.boolean(false),
  APP_KAFKA_SASL_MECHANISM: envVar.optional(z.enum(SASL_MECHANISMS)),
  APP_KAFKA_SASL_USERNAME: envVar.optional(z.string()),
  APP_KAFKA_SASL_USERNAME_SECRET: secretKeyRef,
  APP_KAFKA_TLS_CA_SECRET: secretKeyRef,
  APP_KAFKA_TLS_CERT_SECRET: secretKeyRef,
  APP_KAFKA_TLS_KEY_SECRET: secretKeyRef,
  APP_KAFKA_SASL_PASSWORD_SECRET: secretKeyRef,
  APP_KAFKA_SASL_OAUTHBEARER_TOKEN_SECRET: secretKeyRef,
  APP_CLICKHOUSE_USER: envVar.optional(z.string()),
  APP_CLICKHOUSE_USER_SECRET: secretKeyRef,
  APP_CLICKHOUSE_PASSWORD_SECRET: secretKeyRef,
  APP_CLICKHOUSE_TLS_CA_SECRET: secretKeyRef,
  APP_CLICKHOUSE_TLS_CERT_SECRET: secretKeyRef,
  APP_CLICKHOUSE_TLS_KEY_SECRET: secretKeyRef,
} satisfies Record<FileSecretVariable, unknown> & z.ZodRawShape;

type FileSecretVariable = SecretFileVariable extends infer V
  ? V extends `${infer Base}_FILE`
    ? `APP_${Base}_SECRET`
    : never
  : never;

function fileSecretVariable(variable: SecretFileVariable): FileSecretVariable {
  return `APP_${variable.slice(0, -'_FILE'.length)}_SECRET` as FileSecretVariable;
}

type AppConnectionEnv = z.output<z.ZodObject<typeof appConnection>>;

/**
 * Settings the child pods could not start with, refused here once rather than by every pod
 * the operator would create with them (the apps' own rules, `kafkaEnvRules` and
 * `clickHouseEnvRules`, seen from the Secrets' side).
 */
function checkAppConnection(
  env: AppConnectionEnv,
  problem: (variable: keyof AppConnectionEnv, message: string) => void,
): void {
  const mechanism = env.APP_KAFKA_SASL_MECHANISM;
  if (env.APP_KAFKA_SASL_USERNAME !== undefined && env.APP_KAFKA_SASL_USERNAME_SECRET) {
    problem('APP_KAFKA_SASL_USERNAME', 'set it or APP_KAFKA_SASL_USERNAME_SECRET, not both');
  }
  if (env.APP_CLICKHOUSE_USER !== undefined && env.APP_CLICKHOUSE_USER_SECRET) {
    problem('APP_CLICKHOUSE_USER', 'set it or APP_CLICKHOUSE_USER_SECRET, not both');
  }
  const hasUsername =
    env.APP_KAFKA_SASL_USERNAME !== undefined || env.APP_KAFKA_SASL_USERNAME_SECRET;
  if (mechanism === 'oauthbearer') {
    if (!env.APP_KAFKA_SASL_OAUTHBEARER_TOKEN_SECRET) {
      problem('APP_KAFKA_SASL_OAUTHBEARER_TOKEN_SECRET', 'required by oauthbearer');
    }
  } else if (mechanism !== undefined) {
    if (!hasUsername) problem('APP_KAFKA_SASL_USERNAME', `required by ${mechanism}`);
    if (!env.APP_KAFKA_SASL_PASSWORD_SECRET) {
      problem('APP_KAFKA_SASL_PASSWORD_SECRET', `required by ${mechanism}`);
    }
  }
  if ((mechanism === 'plain' || mechanism === 'oauthbearer') && !env.APP_KAFKA_TLS) {
    problem('APP_KAFKA_TLS', `must be true with ${mechanism}: it sends its secret in clear`);
  }
  if (!env.APP_KAFKA_TLS) {
    for (const variable of [
      'APP_KAFKA_TLS_CA_SECRET',
      'APP_KAFKA_TLS_CERT_SECRET',
      'APP_KAFKA_TLS_KEY_SECRET',
    ] as const) {
      if (env[variable]) problem(variable, 'needs APP_KAFKA_TLS=true');
    }
  }
  for (const service of ['KAFKA', 'CLICKHOUSE'] as const) {
    const cert = env[`APP_${service}_TLS_CERT_SECRET`];
    const key = env[`APP_${service}_TLS_KEY_SECRET`];
    if (Boolean(cert) !== Boolean(key)) {
      problem(
        `APP_${service}_TLS_${cert ? 'KEY' : 'CERT'}_SECRET`,
        'a client certificate needs its key, and a key its certificate',
      );
    }
  }
  if (env.APP_CLICKHOUSE_TLS_CERT_SECRET && !env.APP_CLICKHOUSE_TLS_CA_SECRET) {
    // The apps' ClickHouse client takes a client certificate only together with the CAs it trusts.
    problem('APP_CLICKHOUSE_TLS_CA_SECRET', 'required with APP_CLICKHOUSE_TLS_CERT_SECRET');
  }
}

/**
 * The operator reaches Kafka (topics) and ClickHouse (schema) itself, with the same variables
 * as the apps; the apps it deploys get the brokers and the ClickHouse URL from it, and the
 * Secrets that authenticate them from the APP_* settings above.
 */
const schema = z
  .object({
    WATCH_NAMESPACE: z.string().min(1),
    POD_NAME: z.string().min(1).default('wikipulse-operator'),
    ...kafkaEnv,
    KAFKA_BROKERS: kafkaEnv.KAFKA_BROKERS.refine((v) => v.length > 0, 'at least one broker'),
    ...clickHouseEnv,
    CLICKHOUSE_URL: clickHouseUrl,
    /** When set, the sinks read their ClickHouse URL from this Secret instead of a plain value. */
    CLICKHOUSE_URL_SECRET: z.string().min(1).optional(),
    CLICKHOUSE_URL_SECRET_KEY: z.string().min(1).default('url'),
    APP_IMAGE: z.string().min(1),
    APP_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    APP_IMAGE_PULL_SECRETS: envVar.list(),
    APP_METRICS_PORT: envVar.port(9464),
    /** How each app's pods run (JSON): resources, Node flags, scheduling, labels, budget. */
    APP_INGESTOR_POD: json(podSettings).default(podSettings.parse({})),
    APP_SINK_POD: json(podSettings).default(podSettings.parse({})),
    /** The NetworkPolicy rules of the pipeline's pods (JSON); no policies when unset. */
    APP_NETWORK_POLICY: envVar.optional(json(networkPolicy)),
    APP_SERVICE_MONITOR_INTERVAL: z
      .string()
      .regex(/^\d+[smh]$/)
      .default('30s'),
    APP_SERVICE_MONITOR_LABELS: envVar.optional(json(strings)),
    ...appConnection,
    ...opsEnv,
    ...processEnv,
  })
  .check(
    ...kafkaEnvRules,
    ...clickHouseEnvRules,
    // Like the apps' rules: it runs whatever problems other variables have, so all come at once.
    z.superRefine<AppConnectionEnv>(
      (env, ctx) =>
        checkAppConnection(env, (variable, message) =>
          ctx.addIssue({ code: 'custom', path: [variable], message }),
        ),
      {
        when: (payload) =>
          !payload.issues.some((issue) => String(issue.path?.[0]).startsWith('APP_')),
      },
    ),
  );

export type OperatorEnv = z.output<typeof schema>;

export function loadEnv(env: Env = process.env): OperatorEnv {
  return parseEnv(schema, env);
}

/** The connection settings the operator gives the pods it creates. */
export function childConnection(env: OperatorEnv): Connection {
  const files: Connection['files'] = {};
  for (const variable of Object.keys(SECRET_FILES) as SecretFileVariable[]) {
    const ref = env[fileSecretVariable(variable)];
    if (ref) files[variable] = ref;
  }
  const kafkaSaslUsername = env.APP_KAFKA_SASL_USERNAME ?? env.APP_KAFKA_SASL_USERNAME_SECRET;
  const clickhouseUser = env.APP_CLICKHOUSE_USER ?? env.APP_CLICKHOUSE_USER_SECRET;
  return {
    kafkaTls: env.APP_KAFKA_TLS,
    ...(env.APP_KAFKA_SASL_MECHANISM ? { kafkaSaslMechanism: env.APP_KAFKA_SASL_MECHANISM } : {}),
    ...(kafkaSaslUsername ? { kafkaSaslUsername } : {}),
    ...(clickhouseUser ? { clickhouseUser } : {}),
    files,
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Everything the operator gives the pods it creates, from its environment: the one place the
 * installation's settings become ChildSettings (the sink's ClickHouse user and password file
 * are `connection.clickhouseUser` and `connection.files.CLICKHOUSE_PASSWORD_FILE`).
 */
export function childSettings(env: OperatorEnv): ChildSettings {
  return {
    image: env.APP_IMAGE,
    imagePullPolicy: env.APP_IMAGE_PULL_POLICY,
    imagePullSecrets: env.APP_IMAGE_PULL_SECRETS,
    kafkaBrokers: env.KAFKA_BROKERS,
    clickhouse: env.CLICKHOUSE_URL_SECRET
      ? { secretName: env.CLICKHOUSE_URL_SECRET, secretKey: env.CLICKHOUSE_URL_SECRET_KEY }
      : { url: env.CLICKHOUSE_URL },
    connection: childConnection(env),
    metricsPort: env.APP_METRICS_PORT,
    pods: {
      ingestor: withoutUndefined(env.APP_INGESTOR_POD) as PodSettings,
      sink: withoutUndefined(env.APP_SINK_POD) as PodSettings,
    },
    ...(env.APP_NETWORK_POLICY ? { networkPolicy: env.APP_NETWORK_POLICY } : {}),
    serviceMonitor: {
      interval: env.APP_SERVICE_MONITOR_INTERVAL,
      labels: env.APP_SERVICE_MONITOR_LABELS ?? {},
    },
  };
}
