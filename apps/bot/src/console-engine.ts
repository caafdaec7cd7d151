import { Readable } from 'node:stream';
import { createLogger } from '@wikipulse/logger';
import { schemaState } from '@wikipulse/store';
import { COMMANDS } from './commands/index.js';
import { CommandService } from './core/service.js';
import { runConsole } from './console.js';
import { readBotEnv } from './env.js';
import { openBotStore } from './store.js';

/** The console's command runner (see console-main.ts): lines arrive over IPC. */
const env = readBotEnv();
const log = createLogger({
  name: 'bot-console',
  level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL,
});
const store = openBotStore(env);
// `npm run bot:console` reads the local database that `npm start` (its owner, `local`) or
// `npm run migrate` migrates; it runs no DDL itself.
const schema = await schemaState(store.client, store.database);
if (!schema.ready) {
  process.stderr.write(`${schema.reason}: run npm start or npm run migrate first\n`);
  await store.close();
  process.exit(2);
}
const service = new CommandService({
  store,
  commands: COMMANDS,
  log,
  prefix: env.BOT_PREFIX,
  retentionDays: env.RETENTION_DAYS,
});

const lines = new Readable({ read() {} });
process.on('message', (message: { line?: string; end?: boolean }) => {
  if (message.end === true) lines.push(null);
  else if (typeof message.line === 'string') lines.push(`${message.line}\n`);
});
process.send?.('ready');
try {
  await runConsole(service, lines, process.stdout, () => process.send?.('done'));
} finally {
  await store.close();
  process.disconnect();
}
