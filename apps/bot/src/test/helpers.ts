import { REST, type Client } from 'discord.js';
import { parseEvent, type RecentChange } from '@wikipulse/events';
import { createLogger } from '@wikipulse/logger';
import { migrate, toChangeRow, type Store } from '@wikipulse/store';
import { recordedEvents, takeFreshEvents } from '@wikipulse/testing';
import { COMMANDS } from '../commands/index.js';
import { CommandService, type CommandServiceOptions } from '../core/service.js';
import { startGateway } from '../discord/gateway.js';
import { createProcessor } from '../discord/processor.js';
import { DiscordResponder } from '../discord/responder.js';

export const silentLog = createLogger({ name: 'bot-test', level: 'silent' });

/**
 * Real recorded events moved to another language's Wikipedia (the recordings hold no German
 * edits): same shape and content, only the wiki, host and links change.
 */
export function templatesFor(language: string): Record<string, unknown>[] {
  const host = `${language}.wikipedia.org`;
  return recordedEvents()
    .filter((e) => e['wiki'] === 'enwiki')
    .map((e) => {
      const meta = e['meta'] as Record<string, unknown>;
      return {
        ...e,
        wiki: `${language.replace(/-/g, '_')}wiki`,
        server_name: host,
        server_url: `https://${host}`,
        meta: {
          ...meta,
          domain: host,
          uri: (typeof meta['uri'] === 'string' ? meta['uri'] : '').replace(
            'en.wikipedia.org',
            host,
          ),
        },
        ...(typeof e['title_url'] === 'string'
          ? { title_url: e['title_url'].replace('en.wikipedia.org', host) }
          : {}),
      };
    });
}

/** Fresh, valid events of one language, one a second from `startMs`, parsed as the sink would. */
export function eventsFor(
  language: string,
  count: number,
  startMs: number,
  stepMs = 1000,
): RecentChange[] {
  return takeFreshEvents(count, { templates: templatesFor(language), startMs, stepMs }).map(
    (raw) => {
      const parsed = parseEvent(JSON.stringify(raw));
      if (!parsed.ok) throw new Error(`fixture event invalid: ${parsed.detail}`);
      return parsed.event;
    },
  );
}

export async function migrated(store: Store): Promise<void> {
  await migrate(store.client, { database: store.database, retentionDays: 3650, owner: 'local' });
}

export async function insertEvents(store: Store, events: readonly RecentChange[]): Promise<void> {
  await store.client.insert({
    table: `${store.database}.changes`,
    values: events.map(toChangeRow),
    format: 'JSONEachRow',
  });
}

export function commandService(
  store: Store,
  options: Partial<CommandServiceOptions> = {},
): CommandService {
  return new CommandService({
    store,
    commands: COMMANDS,
    log: silentLog,
    retentionDays: 3650,
    ...options,
  });
}

/** The newest first, as `!recent` lists them. */
export function newestFirst(events: readonly RecentChange[]): RecentChange[] {
  return [...events].sort((a, b) => Date.parse(b.meta.dt) - Date.parse(a.meta.dt));
}

/**
 * The standalone bot against a Discord double: the real discord.js gateway, commands run in
 * this process by `service`, replies through a REST client of their own.
 */
export async function standaloneBot(options: {
  apiUrl: string;
  token: string;
  service: CommandService;
}): Promise<Client> {
  const responder = new DiscordResponder(new REST({ api: options.apiUrl }).setToken(options.token));
  const run = createProcessor({ service: options.service, responder, log: silentLog });
  return startGateway({
    token: options.token,
    apiUrl: options.apiUrl,
    prefix: '!',
    prefixCommands: true,
    log: silentLog,
    submit: async (request) => {
      await run(request);
    },
  });
}
