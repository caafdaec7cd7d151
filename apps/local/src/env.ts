import { resolve } from 'node:path';
import {
  clickHouseEnv,
  clickHouseEnvRules,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  parseEnv,
  z,
  type Env,
} from '@wikipulse/config';

/**
 * The local run's configuration. Everything has a default: `npm start` needs no cluster, no
 * Discord token and no internet. Each part (ingestor, sink, bot) is configured further by its
 * own variables, documented in its page under docs/.
 */
const schema = z
  .object({
    PORT: envVar.port(8080),
    HOST: z.string().default('127.0.0.1'),
    /** Live-progress streams (`/api/live`, one per open page) served at once; more get 503. */
    LIVE_MAX_CLIENTS: envVar.positiveInt(32),
    DATA_DIR: z.string().default('.data'),
    STREAM_URL: z.url().default('https://stream.wikimedia.org/v2/stream/recentchange'),
    /** How long to wait for the live stream before replaying the recording instead. */
    PROBE_TIMEOUT_MS: envVar.positiveInt(4000),
    /** A JSONL recording to replay; the bundled one when empty. */
    REPLAY_FILE: z.string().default(''),
    /** Replay speed, events per second (the live stream averages about 40). */
    REPLAY_RATE: envVar.positiveInt(50),
    /** Play the recording once (its real ids and times), or loop it with fresh ids and times. */
    REPLAY_LOOP: envVar.boolean(true),
    ...kafkaEnv,
    ...clickHouseEnv,
    CLICKHOUSE_DATABASE: z.string().default('wikipulse'),
    // A local run keeps what it stores (the bundled recording is months old); bound disk use
    // with a smaller value when ingesting the live stream for long.
    RETENTION_DAYS: envVar.positiveInt(3650),
    DISCORD_TOKEN: z.string().optional(),
    /** Seconds between progress lines on stderr; 0 turns them off. */
    PROGRESS_INTERVAL_S: envVar.nonNegativeInt(5),
    LOG_LEVEL: envVar.logLevel().default('warn'),
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules);

export type LocalEnv = z.output<typeof schema> & {
  mode: 'auto' | 'live' | 'replay';
  dataDir: string;
};

/**
 * `--replay [file]` replays a recording without probing the live stream, `--live` insists on
 * the live stream, `--port N` overrides PORT.
 */
export function loadEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: Env = process.env,
): LocalEnv {
  const overrides: Record<string, string> = {};
  let mode: LocalEnv['mode'] = 'auto';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--live') mode = 'live';
    else if (arg === '--replay') {
      mode = 'replay';
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        overrides['REPLAY_FILE'] = next;
        i += 1;
      }
    } else if (arg === '--once') overrides['REPLAY_LOOP'] = 'false';
    else if (arg === '--port') {
      const next = argv[i + 1];
      if (next === undefined) throw new Error('--port needs a number');
      overrides['PORT'] = next;
      i += 1;
    } else {
      throw new Error(
        `unknown argument ${JSON.stringify(arg)} (use --replay [file], --once, --live, --port N)`,
      );
    }
  }
  const empty = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = parseEnv(schema, { ...empty, ...overrides });
  return { ...parsed, mode, dataDir: resolve(parsed.DATA_DIR) };
}
