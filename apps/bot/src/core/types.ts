import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Store } from '@wikipulse/store';
import type { Reply } from '../reply/model.js';
import type { Memo } from './memo.js';

/** Who asked, where, and what the command may use. Built by each adapter (Discord, console). */
export interface CommandContext {
  store: Store;
  userId: string;
  /** null in direct messages and on the console. */
  guildId: string | null;
  channelId: string;
  /** Whether the member has Manage Server in this guild (false outside guilds). */
  canManageGuild: boolean;
  /** Whether the member has Manage Channels in this channel (false outside guilds). */
  canManageChannels: boolean;
  /**
   * The Discord message or interaction id of the command: what makes a side effect of a
   * redelivered command land once (a feed's id is derived from it).
   */
  commandId: string;
  /** How many feeds a channel and a server may have. */
  feedLimits: FeedLimits;
  /** The command's time: "today" for stats, the reference for round-trip latency. */
  now: Date;
  /** When the user sent the command (Discord's timestamp), for `!ping`'s round trip. */
  sentAt?: Date;
  /** The gateway's last heartbeat round trip, when there is a gateway. */
  gatewayPingMs?: number;
  /** Days of history the store keeps: older dates get a helpful reply instead of zeros. */
  retentionDays: number;
  /** The prefix commands are shown with (`!`). */
  prefix: string;
  /** Short-lived answers shared by this worker's commands (day counts, top pages, preferences). */
  memo: Memo;
  /** Every loaded command, for `!help`. */
  commands: readonly Command[];
}

export interface FeedLimits {
  perChannel: number;
  perServer: number;
}

/** A slash option's value, typed by Discord from the command's definition. */
export type SlashValue = string | number | boolean;

/**
 * A command's arguments as they came: the words after a prefix command's name, or a slash
 * command's options by name (already typed, never turned into text).
 */
export type CommandArgs =
  | { form: 'text'; tokens: readonly string[] }
  | {
      form: 'slash';
      /** The subcommand chosen (`/digest at`), for commands that have them. */
      subcommand?: string;
      options: Readonly<Record<string, SlashValue>>;
    };

/** One command: its slash definition, its prefix names and its handler. */
export interface Command {
  /** The slash command definition (registered by `npm run bot:register`). */
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Prefix names, lower case; the first is the canonical one. */
  names: readonly string[];
  usage: string;
  summary: string;
  /** Runs the command; bad input returns a `problem` reply. */
  execute: (context: CommandContext, args: CommandArgs) => Promise<Reply>;
}
