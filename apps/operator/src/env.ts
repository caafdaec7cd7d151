import {
  SASL_MECHANISMS,
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseUrl,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  parseEnv,
  z,
  type Env,
} from '@wikipulse/config';
import { SECRET_FILES, type Connection, type SecretFileVariable } from './children.js';

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
    APP_METRICS_PORT: envVar.port(9464),
    ...appConnection,
    METRICS_PORT: envVar.port(9464),
    METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: envVar.logLevel(),
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
