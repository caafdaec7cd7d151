import { SlashCommandBuilder } from 'discord.js';
import { say, type Reply } from '../reply/model.js';
import type { CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('ping')
  .setDescription('Gateway and round-trip latency')
  .toJSON();
export const names = ['ping'];
export const usage = '!ping';
export const summary = 'gateway heartbeat and round-trip latency';

export async function execute(context: CommandContext): Promise<Reply> {
  const parts: string[] = [];
  if (context.gatewayPingMs !== undefined && context.gatewayPingMs >= 0) {
    parts.push(`gateway heartbeat ${Math.round(context.gatewayPingMs)} ms`);
  }
  if (context.sentAt !== undefined) {
    const ms = Math.max(0, context.now.getTime() - context.sentAt.getTime());
    parts.push(`round trip to the command handler ${ms} ms`);
  }
  await Promise.resolve();
  return say(parts.length === 0 ? 'Pong.' : `Pong: ${parts.join(', ')}.`);
}
