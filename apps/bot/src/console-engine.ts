import { Readable } from 'node:stream';
import { runMain, taskApp } from '@wikipulse/lifecycle';
import { schemaState } from '@wikipulse/store';
import { createCommandService } from './app.js';
import { runConsole } from './console.js';
import { consoleEnv } from './env.js';
import { openBotStore } from './store.js';

/** The console's command runner (see console-main.ts): lines arrive over IPC. */
await runMain({
  name: 'bot-console',
  load: () => consoleEnv(),
  create: (env, { log, onClose }) => {
    const store = openBotStore(env);
    onClose('clickhouse', () => store.close());
    return taskApp(async () => {
      // `npm run bot:console` reads the local database that `npm start` (its owner, `local`)
      // or `npm run migrate` migrates; it runs no DDL itself.
      const schema = await schemaState(store.client, store.database);
      if (!schema.ready) {
        process.stderr.write(`${schema.reason}: run npm start or npm run migrate first\n`);
        return 2;
      }
      const service = createCommandService(env, store, log, { rateLimited: false });
      const lines = new Readable({ read() {} });
      process.on('message', (message: { line?: string; end?: boolean }) => {
        if (message.end === true) lines.push(null);
        else if (typeof message.line === 'string') lines.push(`${message.line}\n`);
      });
      process.send?.('ready');
      await runConsole(service, lines, process.stdout, () => process.send?.('done'));
      return 0;
    });
  },
});
