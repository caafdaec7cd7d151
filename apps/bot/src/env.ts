import {
  TOPICS,
  clickHouseEnv,
  clickHouseEnvRules,
  databaseEnv,
  embeddedPathEnv,
  envVar,
  fileVar,
  kafkaEnv,
  kafkaEnvRules,
  opsEnv,
  parseEnv,
  processEnv,
  retentionEnv,
  topicVar,
  z,
  type Env,
} from '@wikipulse/config';
import { MIN_KEY_BYTES } from './discord/signing.js';

const { optional } = envVar;

/**
 * The bot's configuration. Roles: `standalone` (one process: Discord gateway and command
 * handling), `gateway` (Discord gateway; forwards commands to Kafka), `worker` (runs commands
 * from Kafka and replies through Discord's REST API; also delivers page watches), `console`
 * (the HTTP console alone: no Discord, no Kafka).
 */
export const botEnvSchema = z
  .object({
    BOT_ROLE: z.enum(['standalone', 'gateway', 'worker', 'console']).default('standalone'),
    DISCORD_TOKEN: optional(z.string().min(1)),
    /** Discord's REST base; a local Discord double in tests. */
    DISCORD_API_URL: z.url().default('https://discord.com/api'),
    DISCORD_APPLICATION_ID: optional(z.string().regex(/^\d{1,20}$/)),
    /** Registers slash commands in one guild (instant) instead of globally. */
    DISCORD_GUILD_ID: optional(z.string().regex(/^\d{1,20}$/)),
    /** Gateway shards this process runs, e.g. `0,1`; all (Discord's recommendation) when empty. */
    DISCORD_SHARD_IDS: envVar.list(),
    DISCORD_SHARD_COUNT: optional(z.coerce.number().int().positive()),
    /** Requests per second the REST client allows itself: Discord's global limit per bot (interaction replies are exempt at Discord). */
    DISCORD_GLOBAL_RPS: envVar.positiveInt(50),
    BOT_PREFIX: z.string().min(1).max(3).default('!'),
    /** Off: slash commands only, without the privileged Message Content intent. */
    BOT_PREFIX_COMMANDS: envVar.boolean(true),
    BOT_RATE_BURST: envVar.positiveInt(5),
    BOT_RATE_REFILL_MS: envVar.positiveInt(3000),
    ...kafkaEnv,
    BOT_COMMANDS_TOPIC: topicVar(TOPICS.botCommands),
    BOT_COMMANDS_PARTITIONS: envVar.positiveInt(12),
    BOT_WORKER_GROUP: z.string().min(1).default('wikipulse-bot-workers'),
    BOT_WORKER_CONCURRENCY: envVar.positiveInt(8),
    /**
     * The key that signs command records (gateway) and checks them (workers). Required for
     * those two roles; `standalone` passes commands in memory.
     */
    COMMAND_SIGNING_KEY_FILE: optional(fileVar.secret()),
    BOT_WATCH_ENABLED: envVar.boolean(true),
    EVENTS_TOPIC: topicVar(TOPICS.events),
    BOT_WATCH_GROUP: z.string().min(1).default('wikipulse-bot-watch'),
    BOT_WATCH_REFRESH_MS: envVar.positiveInt(10_000),
    ...clickHouseEnv,
    ...embeddedPathEnv,
    ...databaseEnv,
    ...retentionEnv,
    ...opsEnv,
    /** The HTTP console (worker, standalone and console roles); off when unset. */
    CONSOLE_PORT: optional(z.coerce.number().int().min(0).max(65535)),
    /** Loopback by default: in a pod, only `kubectl port-forward` reaches it (docs/bot.md). */
    CONSOLE_HOST: z.string().min(1).default('127.0.0.1'),
    ...processEnv,
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules)
  .superRefine((env, ctx) => {
    if (
      (env.BOT_ROLE === 'gateway' || env.BOT_ROLE === 'worker') &&
      env.KAFKA_BROKERS.length === 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_BROKERS'],
        message: `required for BOT_ROLE=${env.BOT_ROLE}`,
      });
    }
    const key = env.COMMAND_SIGNING_KEY_FILE;
    if ((env.BOT_ROLE === 'gateway' || env.BOT_ROLE === 'worker') && key === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['COMMAND_SIGNING_KEY_FILE'],
        message: `required for BOT_ROLE=${env.BOT_ROLE}: the gateway signs command records with it and the workers check them`,
      });
    }
    if (key !== undefined && Buffer.byteLength(key.text) < MIN_KEY_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['COMMAND_SIGNING_KEY_FILE'],
        message: `holds fewer than ${MIN_KEY_BYTES} bytes (openssl rand -base64 48 makes a good key)`,
      });
    }
    if (env.BOT_ROLE === 'console' && env.CONSOLE_PORT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONSOLE_PORT'],
        message: 'required for BOT_ROLE=console',
      });
    }
  });

export type BotEnv = z.output<typeof botEnvSchema>;

export function readBotEnv(env: Env = process.env): BotEnv {
  return parseEnv(botEnvSchema, env);
}

/** The bot process: every role but the console talks to Discord, with its token. */
const processSchema = botEnvSchema.superRefine((env, ctx) => {
  if (env.BOT_ROLE !== 'console' && env.DISCORD_TOKEN === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['DISCORD_TOKEN'],
      message: `required for BOT_ROLE=${env.BOT_ROLE} (it connects to Discord)`,
    });
  }
});

export function loadEnv(env: Env = process.env): BotEnv {
  return parseEnv(processSchema, env);
}

/**
 * `npm run bot:console`'s configuration: the bot's, logging warnings and worse unless told
 * otherwise, as its replies share the terminal.
 */
export function consoleEnv(env: Env = process.env): BotEnv {
  const parsed = readBotEnv(env);
  return { ...parsed, LOG_LEVEL: parsed.LOG_LEVEL === 'info' ? 'warn' : parsed.LOG_LEVEL };
}
