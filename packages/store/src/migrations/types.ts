export interface SchemaOptions {
  database: string;
  /** Raw events and their per-day counts are kept this many days. */
  retentionDays: number;
}

export interface Migration {
  version: number;
  name: string;
  statements(options: SchemaOptions): string[];
}
