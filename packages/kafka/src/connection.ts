import { readFile } from 'node:fs/promises';
import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { KafkaConnection, KafkaSasl } from './types.js';

/** How long a connection attempt (TCP, TLS and SASL together) may take, ms. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long one request may wait for its response, ms (fetches wait at most their maxWait). */
const REQUEST_TIMEOUT_MS = 30_000;

const MECHANISM = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
  oauthbearer: 'OAUTHBEARER',
} as const;

function sasl(settings: KafkaSasl): SASLOptions {
  const mechanism = MECHANISM[settings.mechanism];
  if (settings.mechanism === 'oauthbearer') {
    const file = settings.tokenFile;
    if (file === undefined) throw new Error('SASL oauthbearer needs a token file');
    // Read at every authentication: a projected or rotated token replaces the file's content.
    return { mechanism, token: async () => (await readFile(file, 'utf8')).trim() };
  }
  return {
    mechanism,
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
  };
}

/** The client options every Wikipulse Kafka client shares: where the brokers are and how to reach them. */
export function clientOptions(connection: KafkaConnection, clientId: string): BaseOptions {
  return {
    clientId,
    bootstrapBrokers: [...connection.brokers],
    connectTimeout: CONNECT_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // A topic that does not exist is a configuration error, never a silent creation.
    autocreateTopics: false,
    ...(connection.tls
      ? {
          tls: {
            ...(connection.tls.ca !== undefined ? { ca: connection.tls.ca } : {}),
            ...(connection.tls.cert !== undefined ? { cert: connection.tls.cert } : {}),
            ...(connection.tls.key !== undefined ? { key: connection.tls.key } : {}),
          },
        }
      : {}),
    ...(connection.sasl ? { sasl: sasl(connection.sasl) } : {}),
  };
}

/** Every error in a chain of causes and aggregates, outermost first. */
function* errorChain(error: unknown, depth = 0): Generator<Error> {
  if (!(error instanceof Error) || depth > 8) return;
  yield error;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* errorChain(inner, depth + 1);
  }
  yield* errorChain(error.cause, depth + 1);
}

const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/**
 * One line that says why Kafka could not be used, naming the cause a person can fix (refused
 * credentials, an untrusted certificate, a mechanism the broker does not offer, nothing
 * listening), without any secret: the client's own messages carry none, and nothing else is
 * quoted.
 */
export function explainKafkaError(error: unknown): string {
  return explain(error).replace(/\s+/g, ' ').trim();
}

function explain(error: unknown): string {
  const chain = [...errorChain(error)];
  const codes = chain.map((e) => (e as { code?: unknown }).code).filter((c) => c !== undefined);
  const messages = chain.map((e) => e.message);
  const has = (pattern: RegExp) => messages.some((m) => pattern.test(m));
  if (has(/suitable SASL mechanism/)) {
    return 'Kafka refused the SASL mechanism: the broker does not offer it on this listener (KAFKA_SASL_MECHANISM)';
  }
  if (has(/SASL authentication failed/) || codes.includes('SASL_AUTHENTICATION_FAILED')) {
    return 'Kafka refused the credentials: SASL authentication failed (KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD)';
  }
  const tlsCode = codes.find((c): c is string => typeof c === 'string' && TLS_TRUST_CODES.has(c));
  if (tlsCode !== undefined) {
    return `Kafka's TLS certificate is not trusted (${tlsCode}): set KAFKA_TLS_CA_FILE to the CA that signed it`;
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return "Kafka's TLS certificate does not name the broker's host (ERR_TLS_CERT_ALTNAME_INVALID)";
  }
  if (has(/wrong version number|packet length too long|EPROTO/) || codes.includes('EPROTO')) {
    return 'Kafka did not speak TLS where TLS was expected, or the reverse (KAFKA_TLS and the listener disagree)';
  }
  if (codes.includes('ECONNREFUSED'))
    return 'Kafka refused the connection: nothing listens at KAFKA_BROKERS';
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) {
    return "Kafka's broker address does not resolve (KAFKA_BROKERS)";
  }
  if (codes.includes('PLT_KFK_TIMEOUT') || has(/timed? ?out/i)) {
    return 'Kafka did not answer in time (a listener that expects TLS or SASL may be silent without them)';
  }
  const refusal = chain.find((e) => typeof (e as { apiId?: unknown }).apiId === 'string');
  if (refusal) {
    return `Kafka answered ${String((refusal as { apiId?: unknown }).apiId)}: ${refusal.message}`;
  }
  const innermost = chain[chain.length - 1];
  return `Kafka failed: ${innermost?.message ?? String(error)}`;
}

/**
 * A Kafka failure whose message is one line that says what to fix (`explainKafkaError`); the
 * client's own error is its cause.
 */
export class KafkaError extends Error {
  /** Its message is complete in one line: processes log it without a stack. */
  readonly explained = true;

  constructor(cause: unknown) {
    super(explainKafkaError(cause), { cause });
    this.name = 'KafkaError';
  }
}

/** Settles `work` within `ms`, or rejects saying what took too long. */
export function withDeadline<T>(work: Promise<T>, ms: number, doing: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`Kafka did not answer within ${ms} ms while ${doing}`));
    }, ms);
  });
  // The race's loser must not surface later as an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
