import { createLogger } from '@wikipulse/logger';
import { createRest } from './app.js';
import { COMMANDS } from './commands/index.js';
import { registerCommands } from './discord/register.js';
import { readBotEnv } from './env.js';

/**
 * `npm run bot:register`: publishes the slash commands. Run once per release, never at every
 * start: Discord rate-limits command registration.
 */
const env = readBotEnv();
const log = createLogger({ name: 'bot-register', level: env.LOG_LEVEL });
if (env.DISCORD_TOKEN === undefined || env.DISCORD_APPLICATION_ID === undefined) {
  log.fatal('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required');
  process.exit(2);
}
const names = await registerCommands(
  createRest(env, env.DISCORD_TOKEN),
  COMMANDS,
  env.DISCORD_APPLICATION_ID,
  env.DISCORD_GUILD_ID,
);
log.info(
  { count: names.length, guild: env.DISCORD_GUILD_ID ?? 'global' },
  'slash commands registered',
);
process.stdout.write(
  `${JSON.stringify({ registered: names, scope: env.DISCORD_GUILD_ID ?? 'global' })}\n`,
);
