import { join, resolve } from 'node:path';
import { readBotEnv, type BotEnv } from '@wikipulse/bot';
import {
  ConfigError,
  clickHouseEnv,
  clickHouseEnvRules,
  databaseEnv,
  envVar,
  kafkaEnv,
  kafkaEnvRules,
  parseEnv,
  processEnv,
  z,
  type Env,
} from '@wikipulse/config';
import { loadIngestorConfig, type IngestorConfig } from '@wikipulse/ingestor';
import { loadSinkConfig, type SinkConfig } from '@wikipulse/sink';

/**
 * The local run's own configuration. Everything has a default: `npm start` needs no cluster,
 * no Discord token and no internet. Each part (ingestor, sink, bot) reads its own variables
 * too, documented in its page under docs/.
 */
const schema = z
  .object({
    PORT: envVar.port(8080),
    HOST: z.string().default('127.0.0.1'),
    DATA_DIR: z.string().default('.data'),
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
    ...databaseEnv,
    // A local run keeps what it stores (the bundled recording is months old); bound disk use
    // with a smaller value when ingesting the live stream for long.
    RETENTION_DAYS: envVar.positiveInt(3650),
    DISCORD_TOKEN: z.string().optional(),
    /** Seconds between progress lines on stderr; 0 turns them off. */
    PROGRESS_INTERVAL_S: envVar.nonNegativeInt(5),
    ...processEnv,
    // The terminal is the console's: only warnings and errors unless asked.
    LOG_LEVEL: processEnv.LOG_LEVEL.default('warn'),
  })
  .check(...kafkaEnvRules, ...clickHouseEnvRules);

export type LocalEnv = z.output<typeof schema> & {
  mode: 'auto' | 'live' | 'replay';
  dataDir: string;
  /** The parts' own settings, read from the same environment. */
  ingestor: IngestorConfig;
  sink: SinkConfig;
  bot: BotEnv;
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
  // Unset and empty are the same to a user; the parts' schemas would refuse an empty URL.
  const given = {
    ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')),
    ...overrides,
  };
  const problems = new Set<string>();
  const parsed = collect(problems, () => parseEnv(schema, given));
  const dataDir = resolve(parsed?.DATA_DIR ?? '.data');
  const withKafka = (parsed?.KAFKA_BROKERS.length ?? 0) > 0;
  const parts = {
    // The ingestor writes to the bus, Kafka or in-process. The in-process bus keeps nothing
    // across restarts, so a checkpoint file then carries the position and the recent ids.
    ingestor: collect(problems, () =>
      loadIngestorConfig({
        ...given,
        OUTPUT: 'kafka',
        CHECKPOINT_FILE: withKafka ? '' : join(dataDir, 'ingestor-checkpoint.json'),
      }),
    ),
    sink: collect(problems, () => loadSinkConfig(given)),
    // Discord's gateway runs commands in this process; the console is this terminal's.
    bot: collect(problems, () =>
      readBotEnv({ ...given, BOT_ROLE: 'standalone', CONSOLE_PORT: '' }),
    ),
  };
  if (problems.size > 0) throw new ConfigError([...problems]);
  return {
    ...parsed!,
    mode,
    dataDir,
    ingestor: parts.ingestor!,
    sink: parts.sink!,
    bot: parts.bot!,
  };
}

/** A part's configuration, or undefined with its problems added to the others'. */
function collect<T>(problems: Set<string>, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) problems.add(problem);
    return undefined;
  }
}
