import { Routes, type REST } from 'discord.js';
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
        if (i === 0) {
          await this.#rest.patch(Routes.webhookMessage(applicationId, token), {
            body: message,
            auth: false,
          });
        } else {
          await this.#rest.post(Routes.webhook(applicationId, token), {
            body: message,
            auth: false,
          });
        }
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
    await this.#rest.post(Routes.channelMessages(channelId), {
      body: {
        ...message,
        nonce,
        enforce_nonce: true,
        ...(replyTo !== undefined
          ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } }
          : {}),
      },
    });
  }
}

/** Discord nonces are at most 25 characters; a snowflake has at most 20 digits. */
export function replyNonce(messageId: string, part: number): string {
  return `${messageId}.${part}`.slice(0, 25);
}
