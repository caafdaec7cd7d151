import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The app or component name, present on every line as `name`. */
  name: string;
  level?: LevelWithSilent;
  /** Where lines go; stderr unless given. */
  destination?: DestinationStream;
}

/**
 * JSON logs on stderr. Stdout is reserved for data (the ingestor's `stdout` output, the bot
 * console), so a pipe of Wikipulse's stdout never carries a log line.
 */
export function createLogger({ name, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      name,
      level,
      base: { name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['token', '*.token', 'password', '*.password', 'authorization', '*.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
