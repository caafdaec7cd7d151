import { Routes } from 'discord.js';
import { createLogger } from '@wikipulse/logger';
import { createRest } from './app.js';
import { loadCommands } from './commands/index.js';
import { readBotEnv } from './env.js';

/**
 * `npm run bot:register`: publishes the slash commands (a bulk overwrite, so removed commands
 * disappear too). Run once per release, never at every start: Discord rate-limits it.
 * With DISCORD_GUILD_ID the commands go to that guild only and appear at once.
 */
const env = readBotEnv();
const log = createLogger({ name: 'bot-register', level: env.LOG_LEVEL });
if (env.DISCORD_TOKEN === undefined || env.DISCORD_APPLICATION_ID === undefined) {
  log.fatal('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required');
  process.exit(2);
}
const commands = await loadCommands();
const route =
  env.DISCORD_GUILD_ID !== undefined
    ? Routes.applicationGuildCommands(env.DISCORD_APPLICATION_ID, env.DISCORD_GUILD_ID)
    : Routes.applicationCommands(env.DISCORD_APPLICATION_ID);
const saved = (await createRest(env, env.DISCORD_TOKEN).put(route, {
  body: commands.map((c) => c.data),
})) as unknown[];
log.info(
  { count: saved.length, guild: env.DISCORD_GUILD_ID ?? 'global' },
  'slash commands registered',
);
process.stdout.write(
  `${JSON.stringify({ registered: commands.map((c) => c.data.name), scope: env.DISCORD_GUILD_ID ?? 'global' })}\n`,
);
