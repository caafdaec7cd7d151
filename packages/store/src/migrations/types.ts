import type { ClickHouseClient } from '@clickhouse/client';

export interface SchemaOptions {
  database: string;
  /** Raw events and their per-day counts are kept this many days. */
  retentionDays: number;
}

export interface Migration {
  version: number;
  name: string;
  statements(options: SchemaOptions): string[];
  /**
   * Runs after the statements, for data changes that need Wikipulse's own logic (which wiki a
   * change belongs to lives in TypeScript, not SQL). Like the statements, it must be safe to
   * run again after an interruption.
   */
  apply?(client: ClickHouseClient, options: SchemaOptions): Promise<void>;
}
