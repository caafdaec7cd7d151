import { z } from 'zod';
import { envVar } from './vars.js';

/**
 * The topics of an installation unless its settings name others. Each name is written here
 * only, so the ingestor, the sink and the bot agree on them without being told.
 */
export const TOPICS = {
  /** Validated events: the ingestor writes, the sink and the bot's watch notifier read. */
  events: 'wikipulse.recentchange',
  /** Messages the ingestor or the sink could not use, with headers saying why. */
  deadLetter: 'wikipulse.recentchange.dead-letter',
  /** The ingestor's stream position. */
  positions: 'wikipulse.ingestor.positions',
  /** Commands the bot's gateway hands to its workers. */
  botCommands: 'wikipulse.bot.commands',
} as const;

/** A topic variable with its default from `TOPICS`. */
export const topicVar = (fallback: string) => z.string().min(1).default(fallback);

/**
 * How long a graceful stop may take before the process exits anyway: below the pods' 30 s
 * `terminationGracePeriodSeconds`, so an app reports its own overrun instead of being killed.
 */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 25_000;

/** Every app: how much it logs and how long it may take to stop. */
export const processEnv = {
  LOG_LEVEL: envVar.logLevel(),
  SHUTDOWN_DEADLINE_MS: envVar.positiveInt(DEFAULT_SHUTDOWN_DEADLINE_MS),
};

/** A service's ops server: `/metrics`, `/healthz` and `/readyz`, apart from any public port. */
export const opsEnv = {
  METRICS_PORT: envVar.port(9464),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
};

/** The database an app reads or writes. */
export const databaseEnv = {
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a ClickHouse identifier')
    .default('wikipulse'),
};

/** Days of history the database keeps unless its owner is told otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * The TTL of the stored tables: set by the database's owner when it migrates, and read by the
 * bot to know how far back it may answer.
 */
export const retentionEnv = {
  RETENTION_DAYS: envVar.positiveInt(DEFAULT_RETENTION_DAYS),
};

/** Where the embedded engine keeps its data, for an app run without `CLICKHOUSE_URL`. */
export const embeddedPathEnv = {
  CLICKHOUSE_PATH: z.string().min(1).default('.data/clickhouse'),
};

export type ProcessEnv = z.output<z.ZodObject<typeof processEnv>>;
export type OpsEnv = z.output<z.ZodObject<typeof opsEnv>>;
