import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { Store } from '@wikipulse/store';
import { editDistance } from './languages.js';
import { Memo } from './memo.js';
import { MAX_ARGS, MAX_COMMAND_LENGTH, parseCommandLine } from './parse.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { Command, CommandArgs, CommandContext, FeedLimits, SlashValue } from './types.js';
import { code, problem, type Reply } from '../reply/model.js';

/** A slash command: its name and its options, as Discord typed them. */
export interface SlashInput {
  command: string;
  subcommand?: string;
  options: Readonly<Record<string, SlashValue>>;
}

/** One command as any adapter receives it: prefix text, or a slash command. */
export interface CommandInput {
  text?: string;
  slash?: SlashInput;
  userId: string;
  guildId: string | null;
  channelId: string;
  canManageGuild: boolean;
  canManageChannels?: boolean;
  /** The command's message or interaction id; a random one where there is none (console). */
  commandId?: string;
  sentAt?: Date;
  gatewayPingMs?: number;
}

export interface CommandServiceOptions {
  store: Store;
  commands: readonly Command[];
  log: Logger;
  prefix?: string;
  retentionDays: number;
  feedLimits?: FeedLimits;
  /** Absent: no rate limiting (the console). */
  rateLimit?: RateLimitOptions;
  /** "Today", the rate limits and the cache run on it. */
  clock?: Clock;
}

export const DEFAULT_FEED_LIMITS: FeedLimits = { perChannel: 20, perServer: 500 };

export type Outcome = 'ok' | 'bad_input' | 'rate_limited' | 'failed';

export interface Handled {
  reply: Reply;
  command: string;
  outcome: Outcome;
}

/**
 * Turns command text into a reply: parsing, rate limiting, the command itself and every
 * failure. Shared by the Discord gateway, the Kafka worker and the console; it never throws.
 * Returns null for text that is not a command and for silently dropped rate-limited commands.
 */
export class CommandService {
  readonly #options: CommandServiceOptions;
  readonly #byName = new Map<string, Command>();
  readonly #bySlash = new Map<string, Command>();
  readonly #limiter: RateLimiter | undefined;
  readonly #clock: Clock;
  readonly #memo: Memo;
  readonly prefix: string;

  constructor(options: CommandServiceOptions) {
    this.#options = options;
    this.prefix = options.prefix ?? '!';
    this.#clock = options.clock ?? systemClock;
    this.#memo = new Memo({ clock: this.#clock });
    const clashes = clashingNames(options.commands);
    if (clashes.length > 0) throw new Error(`command names used twice: ${clashes.join(', ')}`);
    for (const command of options.commands) {
      for (const name of command.names) this.#byName.set(name, command);
      this.#bySlash.set(command.data.name, command);
    }
    this.#limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  }

  async handle(input: CommandInput): Promise<Handled | null> {
    const now = this.#clock();
    const parsed = input.slash
      ? ({ kind: 'slash', name: input.slash.command, slash: input.slash } as const)
      : parseCommandLine(input.text ?? '', this.prefix);
    if (parsed.kind === 'none') return null;
    if (this.#limiter) {
      const decision = this.#limiter.take(input.userId, now.getTime());
      if (!decision.allowed) {
        if (!decision.notify) return null;
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        return {
          command: 'rate_limit',
          outcome: 'rate_limited',
          reply: problem(
            `You are sending commands a little fast; please wait ${seconds} s and try again.`,
          ),
        };
      }
    }
    if (parsed.kind === 'too_long') {
      return this.#bad(
        'too_long',
        problem(`That command is too long (at most ${MAX_COMMAND_LENGTH} characters).`),
      );
    }
    if (parsed.kind === 'too_many_args') {
      return this.#bad(
        parsed.name,
        problem(
          `Too many arguments (at most ${MAX_ARGS}). `,
          code(`${this.prefix}help`),
          ' shows the usage.',
        ),
      );
    }
    const command =
      parsed.kind === 'slash' ? this.#bySlash.get(parsed.name) : this.#byName.get(parsed.name);
    if (command === undefined) return this.#bad('unknown', this.#unknown(parsed.name));
    const args: CommandArgs =
      parsed.kind === 'slash'
        ? {
            form: 'slash',
            options: parsed.slash.options,
            ...(parsed.slash.subcommand !== undefined
              ? { subcommand: parsed.slash.subcommand }
              : {}),
          }
        : { form: 'text', tokens: parsed.args };
    const context: CommandContext = {
      store: this.#options.store,
      userId: input.userId,
      guildId: input.guildId,
      channelId: input.channelId,
      canManageGuild: input.canManageGuild,
      canManageChannels: input.canManageChannels ?? false,
      commandId: input.commandId ?? randomUUID(),
      feedLimits: this.#options.feedLimits ?? DEFAULT_FEED_LIMITS,
      now,
      retentionDays: this.#options.retentionDays,
      prefix: this.prefix,
      commands: this.#options.commands,
      memo: this.#memo,
      ...(input.sentAt !== undefined ? { sentAt: input.sentAt } : {}),
      ...(input.gatewayPingMs !== undefined ? { gatewayPingMs: input.gatewayPingMs } : {}),
    };
    const name = command.names[0]!;
    try {
      const reply = await command.execute(context, args);
      return { command: name, outcome: reply.tone === 'error' ? 'bad_input' : 'ok', reply };
    } catch (error) {
      this.#options.log.error({ err: error, command: name }, 'command failed');
      return {
        command: name,
        outcome: 'failed',
        reply: problem(
          'Something went wrong on our side answering that; please try again in a moment.',
        ),
      };
    }
  }

  #bad(command: string, reply: Reply): Handled {
    return { command, outcome: 'bad_input', reply };
  }

  #unknown(name: string): Reply {
    const shown = name.slice(0, 32);
    const closest = [...this.#byName.keys()]
      .map((candidate) => ({ candidate, distance: editDistance(shown, candidate) }))
      .filter((c) => c.distance <= 2)
      .sort((a, b) => a.distance - b.distance)[0];
    const hint = closest ? ['Did you mean ', code(`${this.prefix}${closest.candidate}`), '? '] : [];
    return problem(
      'Unknown command ',
      code(`${this.prefix}${shown}`),
      '. ',
      ...hint,
      code(`${this.prefix}help`),
      ' lists them all.',
    );
  }
}

/** Prefix names and slash names that two commands share. */
function clashingNames(commands: readonly Command[]): string[] {
  const seen = new Set<string>();
  const clashes: string[] = [];
  for (const name of commands.flatMap((c) => [...c.names, `/${c.data.name}`])) {
    if (seen.has(name)) clashes.push(name);
    seen.add(name);
  }
  return clashes;
}
