import type { TestProject } from 'vitest/node';
import { provideKafkaSecure, type KafkaSecureFacts } from './kafka-secure.js';
import { provideClickHouse, provideKafka, type ClickHouseService } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    kafkaSecure: KafkaSecureFacts;
    clickhouse: ClickHouseService;
  }
}

/** Starts the integration services once for the whole run and stops what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [kafka, clickhouse] = await Promise.all([provideKafka(), provideClickHouse()]);
  const stop = async () => {
    await Promise.all([kafka.stop(), clickhouse.stop()]);
  };
  let kafkaSecure: KafkaSecureFacts;
  try {
    kafkaSecure = await provideKafkaSecure(kafka.value);
  } catch (error) {
    await stop();
    throw error;
  }
  const secure =
    'info' in kafkaSecure
      ? `Kafka SASL_SSL listener ${kafkaSecure.info.brokers.join(',')}`
      : `no Kafka SASL_SSL listener: ${kafkaSecure.missing}`;
  console.log(`[services] ${kafka.description}`);
  console.log(`[services] ${secure}`);
  console.log(`[services] ${clickhouse.description}`);
  project.provide('kafkaBrokers', kafka.value);
  project.provide('kafkaSecure', kafkaSecure);
  project.provide('clickhouse', clickhouse.value);
  return stop;
}
