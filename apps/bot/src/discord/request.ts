import { z } from '@wikipulse/config';
import type { OutgoingMessage } from '@wikipulse/kafka';
import type { CommandInput } from '../core/service.js';
import type { CommandSigner } from './signing.js';

/**
 * A command as the gateway received it, and as it travels on the commands topic to a worker.
 * Enough to run the command and to answer it through Discord's REST API without the gateway.
 * The interaction token is a credential for 15 minutes: it is never logged.
 */
const slashValue = z.union([z.string().max(6000), z.number(), z.boolean()]);

export const commandRequestSchema = z
  .object({
    v: z.literal(1),
    /** The Discord message or interaction id: the reply's idempotency key. */
    id: z.string().regex(/^\d{1,20}$/),
    /** A prefix command's text; or, for a slash command, `slash`. */
    text: z.string().max(4000).optional(),
    /** A slash command's name and its options as Discord typed them. */
    slash: z
      .object({
        command: z.string().regex(/^[a-z0-9_-]{1,32}$/),
        subcommand: z
          .string()
          .regex(/^[a-z0-9_-]{1,32}$/)
          .optional(),
        options: z
          .record(z.string().max(32), slashValue)
          .refine((o) => Object.keys(o).length <= 25),
      })
      .optional(),
    userId: z.string().min(1).max(32),
    guildId: z.string().max(32).nullable(),
    channelId: z.string().min(1).max(32),
    canManageGuild: z.boolean(),
    /** Manage Channels in the command's channel; absent in records of an older gateway. */
    canManageChannels: z.boolean().default(false),
    /** When the user sent it (Discord's timestamp), epoch ms. */
    sentAt: z.number(),
    /** When the gateway received it, epoch ms: the start of the measured latency. */
    receivedAt: z.number(),
    gatewayPingMs: z.number().optional(),
    interaction: z
      .object({ applicationId: z.string().min(1).max(32), token: z.string().min(1).max(500) })
      .optional(),
  })
  .refine((r) => (r.text === undefined) !== (r.slash === undefined), {
    message: 'a command request holds either text or slash',
  });

export type CommandRequest = z.output<typeof commandRequestSchema>;

export function encodeRequest(request: CommandRequest): string {
  return JSON.stringify(request);
}

/** The signed record of a command on the commands topic, keyed by user (one user, one worker). */
export function commandRecord(
  signer: CommandSigner,
  topic: string,
  request: CommandRequest,
): OutgoingMessage {
  return signer.sign(topic, { key: request.userId, value: encodeRequest(request) });
}

export type DecodeResult = { ok: true; request: CommandRequest } | { ok: false; reason: string };

export function decodeRequest(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
  const parsed = commandRequestSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? 'invalid' };
  return { ok: true, request: parsed.data };
}

export function commandInput(request: CommandRequest): CommandInput {
  const slash = request.slash;
  return {
    ...(request.text !== undefined ? { text: request.text } : {}),
    ...(slash !== undefined
      ? {
          slash: {
            command: slash.command,
            options: slash.options,
            ...(slash.subcommand !== undefined ? { subcommand: slash.subcommand } : {}),
          },
        }
      : {}),
    userId: request.userId,
    guildId: request.guildId,
    channelId: request.channelId,
    canManageGuild: request.canManageGuild,
    canManageChannels: request.canManageChannels,
    commandId: request.id,
    sentAt: new Date(request.sentAt),
    ...(request.gatewayPingMs !== undefined ? { gatewayPingMs: request.gatewayPingMs } : {}),
  };
}
