import type { TestProject } from 'vitest/node';
import { provideClickHouse, provideKafka, type ClickHouseService } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    clickhouse: ClickHouseService;
  }
}

/** Starts the integration services once for the whole run and stops what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [kafka, clickhouse] = await Promise.all([provideKafka(), provideClickHouse()]);
  console.log(`[services] ${kafka.description}`);
  console.log(`[services] ${clickhouse.description}`);
  project.provide('kafkaBrokers', kafka.value);
  project.provide('clickhouse', clickhouse.value);
  return async () => {
    await Promise.all([kafka.stop(), clickhouse.stop()]);
  };
}
