import { z } from 'zod';
import { fileVar, keyMatchesCertificate } from './files.js';
import { rule, type Problem } from './rules.js';
import { envVar } from './vars.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * How an app reaches Kafka: the same shape as `KafkaConnection` of `@wikipulse/kafka`, which
 * apps hand it to (`new KafkaBus({ ...kafkaConnection(env), clientId })`). Certificates and
 * keys are PEM text; the OAUTHBEARER token stays a file, read again at every authentication.
 */
export interface KafkaConnectionSettings {
  brokers: string[];
  tls?: { ca?: string; cert?: string; key?: string };
  sasl?: { mechanism: SaslMechanism; username?: string; password?: string; tokenFile?: string };
  /** How long a write may take, the client's retries included, before it fails, ms. */
  deliveryTimeoutMs: number;
}

/** Kafka's variables, spread into an app's schema, which then applies `kafkaEnvRules`. */
export const kafkaEnv = {
  KAFKA_BROKERS: envVar.list(),
  // Java's delivery.timeout.ms: past it a write fails, and its owner restarts or retries.
  KAFKA_DELIVERY_TIMEOUT_MS: envVar.positiveInt(120_000),
  /** Unset: TLS when a CA or client certificate is given. */
  KAFKA_TLS: envVar.optional(envVar.flag()),
  KAFKA_TLS_CA_FILE: envVar.optional(fileVar.certificates()),
  KAFKA_TLS_CERT_FILE: envVar.optional(fileVar.certificates()),
  KAFKA_TLS_KEY_FILE: envVar.optional(fileVar.privateKey()),
  KAFKA_SASL_MECHANISM: envVar.optional(
    z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(SASL_MECHANISMS)),
  ),
  KAFKA_SASL_USERNAME: envVar.optional(z.string()),
  KAFKA_SASL_PASSWORD: envVar.optional(z.string()),
  KAFKA_SASL_PASSWORD_FILE: envVar.optional(fileVar.secret()),
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: envVar.optional(fileVar.readable()),
};

export type KafkaEnv = z.output<z.ZodObject<typeof kafkaEnv>>;

const MUTUAL_TLS = 'mutual TLS takes a certificate and its key';

function checkTls(env: KafkaEnv, problem: Problem<KafkaEnv>): void {
  if (env.KAFKA_TLS === false) {
    for (const name of [
      'KAFKA_TLS_CA_FILE',
      'KAFKA_TLS_CERT_FILE',
      'KAFKA_TLS_KEY_FILE',
    ] as const) {
      if (env[name] !== undefined) problem(name, 'set, but KAFKA_TLS=false turns TLS off');
    }
  }
  const cert = env.KAFKA_TLS_CERT_FILE;
  const key = env.KAFKA_TLS_KEY_FILE;
  if (cert !== undefined && key === undefined) {
    problem('KAFKA_TLS_CERT_FILE', `needs KAFKA_TLS_KEY_FILE (${MUTUAL_TLS})`);
  }
  if (key !== undefined && cert === undefined) {
    problem('KAFKA_TLS_KEY_FILE', `needs KAFKA_TLS_CERT_FILE (${MUTUAL_TLS})`);
  }
  if (cert !== undefined && key !== undefined && !keyMatchesCertificate(cert.text, key.text)) {
    problem('KAFKA_TLS_KEY_FILE', `is not the key of the certificate in ${cert.path}`);
  }
}

function checkSasl(env: KafkaEnv, problem: Problem<KafkaEnv>): void {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  const isSet = (name: keyof KafkaEnv) => env[name] !== undefined;
  const credentials = [
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_PASSWORD_FILE',
  ] as const;
  if (mechanism === undefined) {
    for (const name of [...credentials, 'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'] as const) {
      if (isSet(name)) problem(name, 'set, but KAFKA_SASL_MECHANISM is not');
    }
    return;
  }
  if (mechanism === 'oauthbearer') {
    if (!isSet('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE')) {
      problem(
        'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE',
        'required with KAFKA_SASL_MECHANISM=oauthbearer',
      );
    }
    for (const name of credentials) {
      if (isSet(name)) problem(name, 'not used with oauthbearer (the token authenticates)');
    }
    return;
  }
  if (!isSet('KAFKA_SASL_USERNAME')) {
    problem('KAFKA_SASL_USERNAME', `required with KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  if (isSet('KAFKA_SASL_PASSWORD') && isSet('KAFKA_SASL_PASSWORD_FILE')) {
    problem(
      'KAFKA_SASL_PASSWORD',
      'set only one of KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE',
    );
  } else if (!isSet('KAFKA_SASL_PASSWORD') && !isSet('KAFKA_SASL_PASSWORD_FILE')) {
    problem(
      'KAFKA_SASL_PASSWORD',
      `required with KAFKA_SASL_MECHANISM=${mechanism} (or KAFKA_SASL_PASSWORD_FILE)`,
    );
  }
  if (isSet('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE')) {
    problem('KAFKA_SASL_OAUTHBEARER_TOKEN_FILE', 'only with KAFKA_SASL_MECHANISM=oauthbearer');
  }
}

/**
 * The rules between Kafka's variables, for `.check(...kafkaEnvRules)` on an app's schema: TLS
 * and SASL separately, so a bad certificate file does not hide a missing SASL user name.
 */
export const kafkaEnvRules = [
  rule<KafkaEnv>(
    ['KAFKA_TLS', 'KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE'],
    checkTls,
  ),
  rule<KafkaEnv>(
    [
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE',
    ],
    checkSasl,
  ),
] as const;

/** The connection an app's parsed Kafka variables describe (after `kafkaEnvRules` held). */
export function kafkaConnection(env: KafkaEnv): KafkaConnectionSettings {
  const connection: KafkaConnectionSettings = {
    brokers: env.KAFKA_BROKERS,
    deliveryTimeoutMs: env.KAFKA_DELIVERY_TIMEOUT_MS,
  };
  const ca = env.KAFKA_TLS_CA_FILE;
  const cert = env.KAFKA_TLS_CERT_FILE;
  const key = env.KAFKA_TLS_KEY_FILE;
  if (env.KAFKA_TLS ?? (ca !== undefined || cert !== undefined)) {
    connection.tls = {
      ...(ca !== undefined ? { ca: ca.text } : {}),
      ...(cert !== undefined && key !== undefined ? { cert: cert.text, key: key.text } : {}),
    };
  }
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (mechanism === 'oauthbearer') {
    connection.sasl = { mechanism, tokenFile: env.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE! };
  } else if (mechanism !== undefined) {
    connection.sasl = {
      mechanism,
      username: env.KAFKA_SASL_USERNAME!,
      password: env.KAFKA_SASL_PASSWORD ?? env.KAFKA_SASL_PASSWORD_FILE!.text,
    };
  }
  return connection;
}
