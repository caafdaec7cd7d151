import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { snowflake } from './snowflake.js';

/**
 * A local Discord API double: enough REST and gateway for discord.js 14 to log in, receive
 * MESSAGE_CREATE and INTERACTION_CREATE dispatches injected by a test, and answer through the
 * REST routes a bot uses; every answer is recorded for the test to inspect. Binds 127.0.0.1.
 *
 * It follows Discord's documented behaviour where a bot depends on it: `GET /gateway/bot`
 * names the gateway, HELLO → IDENTIFY → READY → GUILD_CREATE, heartbeats are acknowledged,
 * shards receive only their guilds' events (`(guild_id >> 22) % shard_count`), and a message
 * created with `enforce_nonce` and a nonce seen before returns the earlier message instead
 * of creating a second one.
 */

export const PERMISSIONS = {
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_GUILD: 1n << 5n,
  MANAGE_CHANNELS: 1n << 4n,
  ADMINISTRATOR: 1n << 3n,
} as const;

/** A slash option as Discord sends it; a subcommand (type 1) carries its own options. */
export interface DoubleOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  focused?: boolean;
  options?: DoubleOption[];
}

export interface DoubleUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface DoubleGuild {
  id: string;
  name: string;
  ownerId: string;
  channelIds: string[];
  /** Role id → permission bits. The guild id is the @everyone role. */
  roles: Map<string, bigint>;
  /** The ids of the roles named in `addGuild`. */
  roleIds: Record<string, string>;
}

/** One thing the bot sent: a channel message, an interaction callback, an edit or a follow-up. */
export interface SentRecord {
  kind: 'channel_message' | 'interaction_callback' | 'original_edit' | 'followup';
  /** The channel for channel messages; the interaction id or token for the others. */
  target: string;
  body: Record<string, unknown>;
  at: number;
  /** The message id Discord gave it (absent for callbacks). */
  messageId?: string;
  /** Files uploaded with it (multipart requests), in order. */
  files?: SentFile[];
}

export interface SentFile {
  /** The form field, `files[N]`. */
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

interface Connection {
  socket: WebSocket;
  sequence: number;
  shard: [number, number];
  identified: boolean;
  /** The intents bit field sent with IDENTIFY. */
  intents: number;
}

/** Gateway intent bits the double honours, as Discord numbers them. */
export const INTENTS = { guildMessages: 1 << 9, messageContent: 1 << 15 } as const;

export interface DiscordDoubleOptions {
  /** The bot's token; any other token gets 401. */
  token: string;
  /** Shards recommended by `GET /gateway/bot`. */
  shards?: number;
  /** Answers every REST call after this delay (ms), to model Discord's latency. */
  restDelayMs?: number;
}

export class DiscordDouble extends EventEmitter {
  readonly applicationId = snowflake();
  readonly botUser: DoubleUser = { id: this.applicationId, username: 'wikipulse', bot: true };
  readonly sent: SentRecord[] = [];
  readonly registeredCommands = new Map<string, unknown[]>();
  readonly guilds = new Map<string, DoubleGuild>();
  readonly #options: Required<DiscordDoubleOptions>;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  readonly #nonces = new Map<string, Record<string, unknown>>();
  readonly #interactions = new Map<string, { id: string; channelId: string }>();
  /** Channels that refuse messages, with the status Discord answers. */
  readonly #refused = new Map<string, 403 | 404>();
  #port = 0;

  constructor(options: DiscordDoubleOptions) {
    super();
    this.#options = { shards: 1, restDelayMs: 0, ...options };
    this.#server = createServer((req, res) => void this.#rest(req, res));
    this.#wss = new WebSocketServer({ server: this.#server });
    this.#wss.on('connection', (socket) => this.#gateway(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** The REST base for `new Client({ rest: { api } })`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}/api`;
  }

  /** Identified gateway sessions, as [shard id, shard count]. */
  get sessions(): [number, number][] {
    return [...this.#connections].filter((c) => c.identified).map((c) => c.shard);
  }

  async close(): Promise<void> {
    for (const c of this.#connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  addGuild(options: {
    ownerId: string;
    channels?: number;
    roles?: Record<string, bigint>;
  }): DoubleGuild {
    const id = snowflake();
    const roles = new Map<string, bigint>([
      [id, PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES],
    ]);
    const roleIds: Record<string, string> = {};
    for (const [name, bits] of Object.entries(options.roles ?? {})) {
      roleIds[name] = snowflake();
      roles.set(roleIds[name], bits);
    }
    const guild: DoubleGuild = {
      id,
      name: `guild ${this.guilds.size + 1}`,
      ownerId: options.ownerId,
      channelIds: Array.from({ length: options.channels ?? 1 }, () => snowflake()),
      roles,
      roleIds,
    };
    this.guilds.set(id, guild);
    for (const c of this.#connections) {
      if (c.identified && this.#owns(c, id))
        this.#dispatch(c, 'GUILD_CREATE', this.#guildPayload(guild));
    }
    return guild;
  }

  /** A user typing a message in a guild channel. Returns the message id. */
  sendMessage(options: {
    guild: DoubleGuild;
    channelId?: string;
    author: DoubleUser;
    content: string;
    roleIds?: string[];
  }): string {
    const { guild, author } = options;
    const id = snowflake();
    const channelId = options.channelId ?? guild.channelIds[0]!;
    // As Discord does: only sessions with the guild messages intent get the event, and the
    // text only with the privileged message content intent.
    this.#toGuild(
      guild.id,
      'MESSAGE_CREATE',
      (intents: number) => ({
        id,
        channel_id: channelId,
        guild_id: guild.id,
        ...messagePayload(author, intents & INTENTS.messageContent ? options.content : '', []),
        member: memberPayload(options.roleIds ?? []),
      }),
      INTENTS.guildMessages,
    );
    return id;
  }

  /**
   * A user running a slash command (type 2), or typing in an option with autocomplete (type 4,
   * the typed option marked `focused`). Returns the interaction's id and token.
   */
  sendInteraction(options: {
    guild: DoubleGuild;
    channelId?: string;
    user: DoubleUser;
    command: string;
    options?: DoubleOption[];
    roleIds?: string[];
    type?: 2 | 4;
  }): { id: string; token: string } {
    const { guild, user } = options;
    const id = snowflake();
    const token = `itoken-${id}`;
    const channelId = options.channelId ?? guild.channelIds[0]!;
    this.#interactions.set(token, { id, channelId });
    const roleIds = options.roleIds ?? [];
    this.#toGuild(guild.id, 'INTERACTION_CREATE', {
      id,
      application_id: this.applicationId,
      type: options.type ?? 2,
      token,
      version: 1,
      guild_id: guild.id,
      channel_id: channelId,
      channel: { id: channelId, type: 0, guild_id: guild.id, name: 'general' },
      member: {
        ...memberPayload(roleIds),
        user: userPayload(user),
        permissions: this.memberPermissions(guild, user.id, roleIds).toString(),
      },
      data: { id: snowflake(), name: options.command, type: 1, options: options.options ?? [] },
      app_permissions: '0',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guild.id },
      context: 0,
      attachment_size_limit: 8_388_608,
    });
    return { id, token };
  }

  /**
   * An interaction that a bot may answer through the webhook routes, without a gateway
   * dispatch: for load tests that drive the answering side only.
   */
  openInteraction(channelId: string): { id: string; token: string; applicationId: string } {
    const id = snowflake();
    const token = `itoken-${id}`;
    this.#interactions.set(token, { id, channelId });
    return { id, token, applicationId: this.applicationId };
  }

  /** What Discord computes for a member: the owner has all, else the union of role bits. */
  memberPermissions(guild: DoubleGuild, userId: string, roleIds: readonly string[]): bigint {
    if (guild.ownerId === userId) return (1n << 50n) - 1n;
    let bits = guild.roles.get(guild.id) ?? 0n;
    for (const id of roleIds) bits |= guild.roles.get(id) ?? 0n;
    return bits;
  }

  /**
   * Makes Discord refuse messages in a channel, as it does when the bot lost access (403,
   * Missing Access) or the channel was deleted (404, Unknown Channel); null lets it post again.
   */
  refuseChannel(channelId: string, status: 403 | 404 | null): void {
    if (status === null) this.#refused.delete(channelId);
    else this.#refused.set(channelId, status);
  }

  /** Resolves with the first record (already sent or future) that matches. */
  waitFor(match: (record: SentRecord) => boolean, timeoutMs = 10_000): Promise<SentRecord> {
    const found = this.sent.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onSent = (record: SentRecord) => {
        if (!match(record)) return;
        clearTimeout(timer);
        this.off('sent', onSent);
        resolve(record);
      };
      const timer = setTimeout(() => {
        this.off('sent', onSent);
        reject(new Error(`no matching reply within ${timeoutMs} ms (${this.sent.length} sent)`));
      }, timeoutMs);
      this.on('sent', onSent);
    });
  }

  /** Replies to a message (a channel message referencing it). */
  repliesTo(messageId: string): SentRecord[] {
    return this.sent.filter(
      (r) =>
        r.kind === 'channel_message' &&
        (r.body['message_reference'] as { message_id?: string } | undefined)?.message_id ===
          messageId,
    );
  }

  // ---- gateway ----

  #gateway(socket: WebSocket): void {
    const connection: Connection = {
      socket,
      sequence: 0,
      shard: [0, 1],
      identified: false,
      intents: 0,
    };
    this.#connections.add(connection);
    socket.on('close', () => this.#connections.delete(connection));
    socket.on('message', (raw: Buffer) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(raw.toString('utf8')) as { op?: number; d?: unknown };
      } catch {
        socket.close(4002, 'Decode error');
        return;
      }
      this.#onGatewayPayload(connection, payload);
    });
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
  }

  #onGatewayPayload(connection: Connection, payload: { op?: number; d?: unknown }): void {
    if (payload.op === 1) {
      connection.socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      return;
    }
    if (payload.op === 2) {
      const d = payload.d as { token?: string; shard?: [number, number]; intents?: number };
      if (d.token !== this.#options.token && d.token !== `Bot ${this.#options.token}`) {
        connection.socket.close(4004, 'Authentication failed');
        return;
      }
      connection.shard = d.shard ?? [0, 1];
      connection.intents = d.intents ?? 0;
      connection.identified = true;
      const guilds = [...this.guilds.values()].filter((g) => this.#owns(connection, g.id));
      this.#dispatch(connection, 'READY', {
        v: 10,
        user: { ...userPayload(this.botUser), bot: true },
        guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: snowflake(),
        resume_gateway_url: `ws://127.0.0.1:${this.#port}`,
        shard: connection.shard,
        application: { id: this.applicationId, flags: 0 },
      });
      for (const guild of guilds)
        this.#dispatch(connection, 'GUILD_CREATE', this.#guildPayload(guild));
      return;
    }
    if (payload.op === 6) {
      // Sessions are not kept: a resuming client starts over, as after an expired session.
      connection.socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
    }
  }

  #owns(connection: Connection, guildId: string): boolean {
    const [id, count] = connection.shard;
    return Number((BigInt(guildId) >> 22n) % BigInt(count)) === id;
  }

  /** The intents of every identified gateway session. */
  get sessionIntents(): number[] {
    return [...this.#connections].filter((c) => c.identified).map((c) => c.intents);
  }

  #toGuild(guildId: string, event: string, data: unknown, requiredIntent = 0): void {
    const targets = [...this.#connections].filter((c) => c.identified && this.#owns(c, guildId));
    if (targets.length === 0) throw new Error(`no gateway session holds guild ${guildId}`);
    for (const c of targets) {
      if ((c.intents & requiredIntent) !== requiredIntent) continue;
      this.#dispatch(
        c,
        event,
        typeof data === 'function' ? (data as (i: number) => unknown)(c.intents) : data,
      );
    }
  }

  #dispatch(connection: Connection, event: string, data: unknown): void {
    connection.sequence += 1;
    connection.socket.send(JSON.stringify({ op: 0, t: event, s: connection.sequence, d: data }));
  }

  #guildPayload(guild: DoubleGuild): Record<string, unknown> {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: guild.ownerId,
      unavailable: false,
      member_count: 2,
      large: false,
      joined_at: new Date().toISOString(),
      features: [],
      emojis: [],
      stickers: [],
      members: [],
      presences: [],
      voice_states: [],
      threads: [],
      stage_instances: [],
      guild_scheduled_events: [],
      roles: [...guild.roles].map(([id, bits], position) => ({
        id,
        name: id === guild.id ? '@everyone' : `role ${position}`,
        permissions: bits.toString(),
        position,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      })),
      channels: guild.channelIds.map((id, position) => ({
        id,
        type: 0,
        guild_id: guild.id,
        name: `channel-${position}`,
        position,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
      })),
    };
  }

  // ---- REST ----

  async #rest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.#options.restDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#options.restDelayMs));
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/api(\/v\d+)?/, '');
    const method = req.method ?? 'GET';
    const json = (status: number, body: unknown) => {
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(body === undefined ? '' : JSON.stringify(body));
    };
    let body: Record<string, unknown> = {};
    let files: SentFile[] | undefined;
    if (chunks.length > 0) {
      try {
        const raw = Buffer.concat(chunks);
        const type = req.headers['content-type'] ?? '';
        if (type.startsWith('multipart/form-data')) {
          ({ body, files } = parseMultipart(raw, type));
        } else {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        }
      } catch {
        json(400, { message: 'Cannot parse JSON body', code: 50109 });
        return;
      }
    }
    const interactionRoute = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    const webhookRoute = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(path);
    const needsAuth = interactionRoute === null && webhookRoute === null;
    if (needsAuth && req.headers.authorization !== `Bot ${this.#options.token}`) {
      json(401, { message: '401: Unauthorized', code: 0 });
      return;
    }
    if (method === 'GET' && (path === '/gateway/bot' || path === '/gateway')) {
      json(200, {
        url: `ws://127.0.0.1:${this.#port}`,
        shards: this.#options.shards,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 16 },
      });
      return;
    }
    if (method === 'GET' && path === '/users/@me') {
      json(200, userPayload(this.botUser));
      return;
    }
    const channelMessages = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (method === 'POST' && channelMessages) {
      const channelId = channelMessages[1]!;
      const refused = this.#refused.get(channelId);
      if (refused !== undefined) {
        json(
          refused,
          refused === 403
            ? { message: 'Missing Access', code: 50001 }
            : { message: 'Unknown Channel', code: 10003 },
        );
        return;
      }
      const nonce = body['nonce'];
      if (
        body['enforce_nonce'] === true &&
        (typeof nonce === 'string' || typeof nonce === 'number')
      ) {
        const earlier = this.#nonces.get(String(nonce));
        if (earlier) {
          json(200, earlier);
          return;
        }
      }
      const message = this.#record('channel_message', channelId, body, files);
      if (
        body['enforce_nonce'] === true &&
        (typeof nonce === 'string' || typeof nonce === 'number')
      )
        this.#nonces.set(String(nonce), message);
      json(200, message);
      return;
    }
    if (method === 'POST' && interactionRoute) {
      const [, id, token] = interactionRoute;
      const known = this.#interactions.get(token!);
      if (known?.id !== id) {
        json(404, { message: 'Unknown interaction', code: 10062 });
        return;
      }
      this.#record('interaction_callback', id!, body);
      res.writeHead(204).end();
      return;
    }
    if (webhookRoute && webhookRoute[1] === this.applicationId) {
      const token = webhookRoute[2]!;
      if (!this.#interactions.has(token)) {
        json(404, { message: 'Unknown Webhook', code: 10015 });
        return;
      }
      if (method === 'PATCH' && webhookRoute[3]) {
        json(200, this.#record('original_edit', token, body, files));
        return;
      }
      if (method === 'POST' && !webhookRoute[3]) {
        json(200, this.#record('followup', token, body));
        return;
      }
    }
    const commands = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (method === 'PUT' && commands) {
      const list = (Array.isArray(body) ? body : []) as Record<string, unknown>[];
      const saved = list.map((c) => ({
        ...c,
        id: snowflake(),
        application_id: commands[1],
        version: snowflake(),
      }));
      this.registeredCommands.set(commands[2] ?? 'global', saved);
      json(200, saved);
      return;
    }
    json(404, { message: '404: Not Found', code: 0 });
  }

  #record(
    kind: SentRecord['kind'],
    target: string,
    body: Record<string, unknown>,
    files?: SentFile[],
  ): Record<string, unknown> {
    const messageId = kind === 'interaction_callback' ? undefined : snowflake();
    const channelId =
      kind === 'channel_message' ? target : (this.#interactions.get(target)?.channelId ?? '');
    const record: SentRecord = {
      kind,
      target,
      body,
      at: Date.now(),
      ...(messageId ? { messageId } : {}),
      ...(files !== undefined ? { files } : {}),
    };
    this.sent.push(record);
    this.emit('sent', record);
    return {
      id: messageId,
      channel_id: channelId,
      ...messagePayload(this.botUser, body['content'] ?? '', body['embeds'] ?? []),
    };
  }
}

/**
 * A message with uploads, as Discord takes it: the JSON body in the `payload_json` field and
 * each file in `files[N]` (RFC 7578 multipart/form-data, as discord.js sends it).
 */
function parseMultipart(
  raw: Buffer,
  contentType: string,
): { body: Record<string, unknown>; files: SentFile[] } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (boundary === null) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`\r\n--${boundary[1] ?? boundary[2]}`);
  let body: Record<string, unknown> = {};
  const files: SentFile[] = [];
  // Parts sit between delimiters; the first delimiter has no leading line break.
  let start = raw.indexOf(delimiter.subarray(2));
  while (start !== -1) {
    const headersStart = start + delimiter.length - 2 + 2;
    const end = raw.indexOf(delimiter, headersStart);
    if (end === -1) break;
    const split = raw.indexOf('\r\n\r\n', headersStart);
    const headers = raw.subarray(headersStart, split).toString('utf8');
    const data = raw.subarray(split + 4, end);
    const field = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (filename === undefined) {
      if (field === 'payload_json') body = JSON.parse(data.toString('utf8')) as typeof body;
    } else {
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? '';
      files.push({ field, name: filename, contentType: type, data: Buffer.from(data) });
    }
    start = end + 2;
  }
  return { body, files };
}

function userPayload(user: DoubleUser): Record<string, unknown> {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.username,
    avatar: null,
    bot: user.bot ?? false,
  };
}

function messagePayload(
  author: DoubleUser,
  content: unknown,
  embeds: unknown,
): Record<string, unknown> {
  return {
    author: userPayload(author),
    content,
    embeds,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    pinned: false,
    type: 0,
    flags: 0,
  };
}

function memberPayload(roleIds: readonly string[]): Record<string, unknown> {
  return {
    roles: [...roleIds],
    joined_at: new Date().toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    nick: null,
  };
}

export function user(username: string): DoubleUser {
  return { id: snowflake(), username };
}
