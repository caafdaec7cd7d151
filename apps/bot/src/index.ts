/** The bot's public entry points, for a process that composes several Wikipulse apps. */
export {
  createApp,
  createCommandProcessor,
  createCommandService,
  createRest,
  type BotApp,
  type BotDeps,
} from './app.js';
export { COMMANDS } from './commands/index.js';
export { CONSOLE_USER, runConsole, runConsoleLine } from './console.js';
export {
  CONSOLE_USER_PATTERN,
  startConsoleServer,
  type ConsoleServer,
  type ConsoleServerOptions,
} from './console-http.js';
export { CommandService, type CommandInput, type Handled } from './core/service.js';
export { startGateway, type GatewayOptions } from './discord/gateway.js';
export { createProcessor } from './discord/processor.js';
export {
  commandInput,
  commandRecord,
  decodeRequest,
  encodeRequest,
  type CommandRequest,
} from './discord/request.js';
export { CommandSigner, type RejectReason, type Verdict } from './discord/signing.js';
export { DiscordResponder } from './discord/responder.js';
export { botEnvSchema, loadEnv, readBotEnv, type BotEnv } from './env.js';
export { createBotMetrics, type BotMetrics } from './metrics.js';
export { renderDiscord, type DiscordMessage } from './reply/discord.js';
export { renderText } from './reply/text.js';
export { openBotStore, type OpenedStore } from './store.js';
export { startCommandWorker, type CommandWorkerOptions } from './worker/commands.js';
export {
  startWatchNotifier,
  type WatchNotifier,
  type WatchNotifierOptions,
} from './worker/watches.js';
export { startFeeds, type Feeds, type FeedsOptions } from './feeds/index.js';
export { feedsOptions } from './feeds/options.js';
export { FeedIndex } from './feeds/match.js';
