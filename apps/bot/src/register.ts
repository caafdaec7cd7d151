import { ConfigError } from '@wikipulse/config';
import { runMain, taskApp } from '@wikipulse/lifecycle';
import { createRest } from './app.js';
import { COMMANDS } from './commands/index.js';
import { registerCommands } from './discord/register.js';
import { readBotEnv } from './env.js';

/**
 * `npm run bot:register`: publishes the slash commands. Run once per release, never at every
 * start: Discord rate-limits command registration.
 */
await runMain({
  name: 'bot-register',
  load: () => {
    const env = readBotEnv();
    const missing = (['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'] as const).filter(
      (name) => env[name] === undefined,
    );
    if (missing.length > 0) {
      throw new ConfigError(missing.map((name) => `${name}: required to register commands`));
    }
    return {
      ...env,
      DISCORD_TOKEN: env.DISCORD_TOKEN!,
      DISCORD_APPLICATION_ID: env.DISCORD_APPLICATION_ID!,
    };
  },
  create: (env, { log }) => {
    return taskApp(async () => {
      const names = await registerCommands(
        createRest(env, env.DISCORD_TOKEN),
        COMMANDS,
        env.DISCORD_APPLICATION_ID,
        env.DISCORD_GUILD_ID,
      );
      const scope = env.DISCORD_GUILD_ID ?? 'global';
      log.info({ count: names.length, guild: scope }, 'slash commands registered');
      process.stdout.write(`${JSON.stringify({ registered: names, scope })}\n`);
      return 0;
    });
  },
});
