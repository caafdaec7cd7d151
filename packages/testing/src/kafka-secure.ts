import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KafkaConnection, SaslMechanism } from '@wikipulse/kafka';
import { repoRoot } from './paths.js';
import { LOCAL_KAFKA_PORT } from './services.js';

const run = promisify(execFile);

export interface KafkaSecureUser {
  username: string;
  password: string;
}

/**
 * A `SASL_SSL` listener for tests, as tools/kafka/kafka.sh describes its own in `secure.json`.
 * File names are absolute; the files hold PEM.
 */
export interface KafkaSecureInfo {
  brokers: string[];
  /** The CA that signed the broker's certificate (for `localhost` and `127.0.0.1`). */
  caFile: string;
  /** A CA that signed nothing the broker uses: a client trusting only it must refuse the broker. */
  otherCaFile: string;
  /** A client certificate and its key, signed by the CA of `caFile`, for mutual TLS. */
  clientCertFile: string;
  clientKeyFile: string;
  /** Each SCRAM user has a credential for its own mechanism only. */
  users: { scram256: KafkaSecureUser; scram512: KafkaSecureUser; plain: KafkaSecureUser };
}

export type KafkaSecureUserName = keyof KafkaSecureInfo['users'];

/** What the global setup provides: the listener, or why the run has none. */
export type KafkaSecureFacts = { info: KafkaSecureInfo } | { missing: string };

const mechanisms: Record<KafkaSecureUserName, SaslMechanism> = {
  scram256: 'scram-sha-256',
  scram512: 'scram-sha-512',
  plain: 'plain',
};

/**
 * Reads a `secure.json`. Errors name the file and the field, never a value: the file holds
 * passwords.
 */
export function parseKafkaSecureInfo(text: string, source: string): KafkaSecureInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  const field = (path: string): unknown =>
    path.split('.').reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), json);
  const requireString = (path: string): string => {
    const value = field(path);
    if (typeof value !== 'string' || value === '') {
      throw new Error(`${source}: ${path} must be a non-empty string`);
    }
    return value;
  };
  const brokers = field('brokers');
  if (
    !Array.isArray(brokers) ||
    brokers.length === 0 ||
    !brokers.every((b) => typeof b === 'string' && b !== '')
  ) {
    throw new Error(`${source}: brokers must be a non-empty list of host:port strings`);
  }
  const user = (name: KafkaSecureUserName): KafkaSecureUser => ({
    username: requireString(`users.${name}.username`),
    password: requireString(`users.${name}.password`),
  });
  return {
    brokers: brokers as string[],
    caFile: requireString('caFile'),
    otherCaFile: requireString('otherCaFile'),
    clientCertFile: requireString('clientCertFile'),
    clientKeyFile: requireString('clientKeyFile'),
    users: { scram256: user('scram256'), scram512: user('scram512'), plain: user('plain') },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The SASL_SSL listener of the tests' Kafka, when the test kit knows one: the `secure.json`
 * named by `KAFKA_SECURE_INFO` when `KAFKA_BROKERS` names the Kafka, or tools/kafka's own
 * when its broker is the tests' Kafka. A broker in a container has none.
 */
export async function provideKafkaSecure(brokers: readonly string[]): Promise<KafkaSecureFacts> {
  if (process.env['KAFKA_BROKERS']) {
    const file = process.env['KAFKA_SECURE_INFO'];
    if (!file) {
      return { missing: 'KAFKA_BROKERS is set without KAFKA_SECURE_INFO (a secure.json)' };
    }
    return { info: parseKafkaSecureInfo(await readFile(file, 'utf8'), file) };
  }
  const local = `127.0.0.1:${LOCAL_KAFKA_PORT}`;
  if (brokers.length !== 1 || brokers[0] !== local) {
    return { missing: `the tests' Kafka (${brokers.join(',')}) is not tools/kafka's broker` };
  }
  const script = join(repoRoot, 'tools', 'kafka', 'kafka.sh');
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, 'secure-info']));
  } catch (error) {
    // The script says why on stderr, e.g. a broker an older kafka.sh started.
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return { missing: stderr || `kafka.sh secure-info failed: ${String(error)}` };
  }
  return { info: parseKafkaSecureInfo(stdout, 'kafka.sh secure-info') };
}

/**
 * How a bus reaches the secure listener as one of its users, trusting the test CA (PEM text,
 * as `KafkaConnection` takes it).
 */
export async function kafkaSecureConnection(
  info: KafkaSecureInfo,
  user: KafkaSecureUserName,
): Promise<KafkaConnection> {
  const { username, password } = info.users[user];
  return {
    brokers: info.brokers,
    tls: { ca: await readFile(info.caFile, 'utf8') },
    sasl: { mechanism: mechanisms[user], username, password },
  };
}
