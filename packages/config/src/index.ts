import { redactSecrets } from '@wikipulse/logger';
import { z } from 'zod';

export { z };
export { envVar } from './vars.js';
export { fileVar, type FileText } from './files.js';
export {
  SASL_MECHANISMS,
  kafkaConnection,
  kafkaEnv,
  kafkaEnvRules,
  type KafkaConnectionSettings,
  type KafkaEnv,
  type SaslMechanism,
} from './kafka.js';
export {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SHUTDOWN_DEADLINE_MS,
  TOPICS,
  databaseEnv,
  embeddedPathEnv,
  opsEnv,
  processEnv,
  retentionEnv,
  topicVar,
  type OpsEnv,
  type ProcessEnv,
} from './process.js';
export {
  clickHouseEnv,
  clickHouseEnvRules,
  clickHouseServer,
  clickHouseTarget,
  clickHouseUrl,
  type ClickHouseEnv,
  type ClickHouseServerSettings,
  type ClickHouseTargetSettings,
} from './clickhouse.js';

/** Raised when the environment does not satisfy a schema; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Variables whose value is a secret by their name: a problem with one says only `(set)`. */
const SECRET_NAME = /(?:PASSWORD|TOKEN|SECRET|KEY)$/;

/**
 * Parses the environment once against a zod object schema. Every bad variable is reported
 * together, so an operator fixes a deployment in one round instead of one variable per crash.
 * Each problem shows the value received, except a secret's (see `SECRET_NAME`), and with any
 * URL's credentials and Discord token redacted.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    const value = issue.path.length === 1 ? env[name] : undefined;
    return `${name}: ${issue.message} (${shown(name, value)})`;
  });
  throw new ConfigError(problems);
}

function shown(name: string, value: string | undefined): string {
  if (value === undefined) return 'unset';
  if (SECRET_NAME.test(name)) return 'set';
  const redacted = redactSecrets(value);
  return `got ${JSON.stringify(redacted.length > 60 ? `${redacted.slice(0, 57)}...` : redacted)}`;
}
