import {
  ApplicationCommandOptionType,
  Client,
  Events,
  GatewayIntentBits,
  Options,
  Partials,
  PermissionFlagsBits,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Message,
} from 'discord.js';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { suggest } from '../feeds/suggest.js';
import type { BotMetrics } from '../metrics.js';
import type { CommandRequest } from './request.js';

export interface GatewayOptions {
  token: string;
  apiUrl: string;
  prefix: string;
  /**
   * Prefix commands on: asks for the privileged Message Content intent (and guild and direct
   * messages). Off: slash commands only, with the Guilds intent alone.
   */
  prefixCommands: boolean;
  /** Where received commands go: run in-process, or produced to the commands topic. */
  submit: (request: CommandRequest) => Promise<void>;
  log: Logger;
  metrics?: BotMetrics;
  shardIds?: number[];
  shardCount?: number;
  /** Stamps each request's `receivedAt`, which the workers measure its age from. */
  clock?: Clock;
}

/**
 * The Discord gateway role: a discord.js client with the fewest intents its commands need
 * (guilds; for prefix commands also guild and direct messages and the privileged message
 * content) and almost no caches. It does no work
 * itself: each command becomes a `CommandRequest` for `submit`. Slash commands are deferred
 * at once, because Discord wants an answer within 3 seconds and a worker may be further away.
 */
export async function startGateway(options: GatewayOptions): Promise<Client> {
  const { log, prefix, metrics, submit } = options;
  const clock = options.clock ?? systemClock;
  const client: Client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      ...(options.prefixCommands
        ? [
            GatewayIntentBits.GuildMessages,
            GatewayIntentBits.DirectMessages,
            GatewayIntentBits.MessageContent,
          ]
        : []),
    ],
    partials: [Partials.Channel],
    rest: { api: options.apiUrl },
    allowedMentions: { parse: [] },
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ReactionManager: 0,
      PresenceManager: 0,
      ThreadManager: 0,
      VoiceStateManager: 0,
    }),
    ...(options.shardIds && options.shardIds.length > 0 ? { shards: options.shardIds } : {}),
    ...(options.shardCount !== undefined ? { shardCount: options.shardCount } : {}),
  });
  const ping = () => (client.ws.ping >= 0 ? { gatewayPingMs: client.ws.ping } : {});

  client.on(Events.MessageCreate, (message) => {
    if (!options.prefixCommands) return;
    if (message.author.bot || message.webhookId !== null) return;
    if (!message.content.trimStart().startsWith(prefix)) return;
    const request: CommandRequest = {
      v: 1,
      id: message.id,
      text: message.content.slice(0, 4000),
      userId: message.author.id,
      guildId: message.guildId,
      channelId: message.channelId,
      canManageGuild: hasPermission(message, PermissionFlagsBits.ManageGuild),
      canManageChannels: hasPermission(message, PermissionFlagsBits.ManageChannels),
      sentAt: message.createdTimestamp,
      receivedAt: clock().getTime(),
      ...ping(),
    };
    metrics?.forwarded.inc({ source: 'message' });
    submit(request).catch((error: unknown) => {
      log.error({ err: error, requestId: request.id }, 'could not hand over a command');
    });
  });

  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isAutocomplete()) {
      void answerAutocomplete(interaction).catch((error: unknown) => {
        log.warn({ err: error, requestId: interaction.id }, 'could not answer an autocomplete');
      });
      return;
    }
    if (!interaction.isChatInputCommand()) return;
    void forwardInteraction(interaction).catch((error: unknown) => {
      log.error({ err: error, requestId: interaction.id }, 'could not hand over a slash command');
    });
  });

  async function forwardInteraction(interaction: ChatInputCommandInteraction): Promise<void> {
    const receivedAt = clock().getTime();
    await interaction.deferReply();
    const options: Record<string, string | number | boolean> = {};
    // A subcommand (`/digest at`) carries the options typed under it.
    const subcommand = interaction.options.data.find(
      (option) => option.type === ApplicationCommandOptionType.Subcommand,
    );
    for (const option of subcommand?.options ?? interaction.options.data) {
      if (option.value !== undefined) options[option.name] = option.value;
    }
    const request: CommandRequest = {
      v: 1,
      id: interaction.id,
      slash: {
        command: interaction.commandName,
        ...(subcommand !== undefined ? { subcommand: subcommand.name } : {}),
        options,
      },
      userId: interaction.user.id,
      guildId: interaction.guildId,
      channelId: interaction.channelId,
      canManageGuild: interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false,
      // Discord computes these for the interaction's channel, overwrites included.
      canManageChannels:
        interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels) ?? false,
      sentAt: interaction.createdTimestamp,
      receivedAt,
      ...ping(),
      interaction: { applicationId: interaction.applicationId, token: interaction.token },
    };
    metrics?.forwarded.inc({ source: 'interaction' });
    await submit(request);
  }

  client.on(Events.Error, (error) => log.error({ err: error }, 'discord client error'));
  client.on(Events.ShardDisconnect, (event, shard) =>
    log.warn({ code: event.code, shard }, 'shard disconnected'),
  );
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(options.token);
  await ready;
  log.info({ user: client.user?.tag, shards: client.ws.shards.size }, 'gateway ready');
  return client;
}

/**
 * The member's permission in the message's channel, its overwrites applied (server-wide when
 * the channel is not cached: threads are not); false in direct messages.
 */
function hasPermission(message: Message, permission: bigint): boolean {
  if (!message.inGuild() || message.member === null) return false;
  const channel = message.guild.channels.resolve(message.channelId);
  const permissions =
    channel === null ? message.member.permissions : message.member.permissionsIn(channel);
  return permissions.has(permission);
}

/** Suggestions come from the codes the bot knows, answered here: Discord wants them within 3 s. */
async function answerAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const names = suggest(focused.name, focused.value);
  await interaction.respond(names.map((name) => ({ name, value: name })));
}
