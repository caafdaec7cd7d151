import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { KafkaBus } from '@wikipulse/kafka';
import { openClickHouse, type ClickHouseClient, type ClickHouseTarget } from '@wikipulse/store';
import type { KafkaSecureInfo } from './kafka-secure.js';

/** A name no other test or run uses: topics, groups, databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers');
}

/**
 * The SASL_SSL listener of the tests' Kafka, or undefined where the test kit knows none; a
 * test then skips with the reason: `const info = kafkaSecure() ?? skip(kafkaSecureMissing())`.
 */
export function kafkaSecure(): KafkaSecureInfo | undefined {
  const facts = inject('kafkaSecure');
  return 'info' in facts ? facts.info : undefined;
}

/** Why `kafkaSecure()` is undefined. */
export function kafkaSecureMissing(): string | undefined {
  const facts = inject('kafkaSecure');
  return 'missing' in facts ? facts.missing : undefined;
}

export function testBus(clientId = 'wikipulse-test'): KafkaBus {
  return new KafkaBus({ brokers: kafkaBrokers(), clientId });
}

export interface TestClickHouse {
  client: ClickHouseClient;
  /** A database created for this test file only. */
  database: string;
  target: ClickHouseTarget;
  close(): Promise<void>;
}

/**
 * Opens the ClickHouse chosen by the global setup with a fresh database. The embedded engine
 * gets a fresh data folder too, removed on close.
 */
export async function openTestClickHouse(): Promise<TestClickHouse> {
  const service = inject('clickhouse');
  const database = uniqueName('wikipulse_test');
  let dataDir: string | undefined;
  let target: ClickHouseTarget;
  if (service.kind === 'server') {
    target = { kind: 'server', url: service.url };
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'wikipulse-ch-'));
    target = { kind: 'embedded', path: dataDir };
  }
  const client = openClickHouse(target);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  const ch: TestClickHouse = {
    client,
    database,
    target,
    // `withRoleClient` replaces the client: close the one in use.
    close: async () => {
      if (service.kind === 'server') {
        await ch.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      }
      await ch.client.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return ch;
}
export { kafkaSecureConnection, type KafkaSecureInfo } from './kafka-secure.js';
export { withRoleClient } from './clickhouse-roles.js';
