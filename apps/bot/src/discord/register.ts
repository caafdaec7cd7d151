import { Routes, type REST } from 'discord.js';
import type { Command } from '../core/types.js';

/**
 * Publishes the slash definitions as one bulk overwrite, so removed commands disappear too.
 * With a guild id they go to that guild only and appear at once; globally they take effect
 * within about an hour.
 */
export async function registerCommands(
  rest: REST,
  commands: readonly Command[],
  applicationId: string,
  guildId?: string,
): Promise<string[]> {
  const route =
    guildId !== undefined
      ? Routes.applicationGuildCommands(applicationId, guildId)
      : Routes.applicationCommands(applicationId);
  const saved = (await rest.put(route, { body: commands.map((c) => c.data) })) as {
    name: string;
  }[];
  return saved.map((c) => c.name);
}
