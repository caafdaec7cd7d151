import { createHash } from 'node:crypto';
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import { renderDiscord, type DiscordMessage } from '../reply/discord.js';
import type { Reply } from '../reply/model.js';
import type { CommandRequest } from './request.js';

/**
 * Answers a command through Discord's REST API; needs no gateway connection, so any worker can
 * answer any command. Channel replies carry a nonce derived from the command's message id with
 * `enforce_nonce`, so Discord itself refuses a second copy when a redelivered command is
 * answered again. Interaction replies edit the deferred original (idempotent) and add
 * follow-ups for further parts.
 */
export class DiscordResponder {
  readonly #rest: REST;

  constructor(rest: REST) {
    this.#rest = rest;
  }

  async reply(request: CommandRequest, reply: Reply): Promise<number> {
    const messages = renderDiscord(reply);
    if (request.interaction) {
      const { applicationId, token } = request.interaction;
      for (const [i, message] of messages.entries()) {
        const route =
          i === 0
            ? Routes.webhookMessage(applicationId, token)
            : Routes.webhook(applicationId, token);
        await this.#rest[i === 0 ? 'patch' : 'post'](route, {
          ...restRequest(message),
          auth: false,
        });
      }
      return messages.length;
    }
    for (const [i, message] of messages.entries()) {
      await this.send(
        request.channelId,
        message,
        replyNonce(request.id, i),
        i === 0 ? request.id : undefined,
      );
    }
    return messages.length;
  }

  /** Posts one message in a channel, at most once per nonce. */
  async send(
    channelId: string,
    message: DiscordMessage,
    nonce: string,
    replyTo?: string,
  ): Promise<void> {
    const { body, files } = restRequest(message);
    await this.#rest.post(Routes.channelMessages(channelId), {
      body: {
        ...body,
        nonce,
        enforce_nonce: true,
        ...(replyTo !== undefined
          ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } }
          : {}),
      },
      ...(files !== undefined ? { files } : {}),
    });
  }
}

/** A message as discord.js's REST client takes it: the JSON body, and files sent beside it. */
function restRequest(message: DiscordMessage): {
  body: Omit<DiscordMessage, 'files'>;
  files?: { name: string; data: Buffer }[];
} {
  const { files, ...body } = message;
  if (files === undefined) return { body };
  return { body, files: files.map((f) => ({ name: f.name, data: Buffer.from(f.data) })) };
}

/** Discord nonces are at most 25 characters; a snowflake has at most 20 digits. */
export function replyNonce(messageId: string, part: number): string {
  return `${messageId}.${part}`.slice(0, 25);
}

/**
 * A nonce of at most 25 characters, the same for the same parts on every worker: what makes a
 * message posted by whichever worker, any number of times, appear once.
 */
export function stableNonce(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('base64url').slice(0, 25);
}

/**
 * 403 (the bot may not post there) or 404 (the channel is gone) when Discord refused a
 * message for its channel; undefined for any other failure, which may pass.
 */
export function channelRefusal(error: unknown): 403 | 404 | undefined {
  if (!(error instanceof DiscordAPIError)) return undefined;
  return error.status === 403 || error.status === 404 ? error.status : undefined;
}
