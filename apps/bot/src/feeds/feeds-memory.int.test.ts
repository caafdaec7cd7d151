import { REST } from 'discord.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryBus } from '@wikipulse/kafka';
import { writeFeed } from '@wikipulse/store';
import { takeFreshEvents } from '@wikipulse/testing';
import { DiscordDouble } from '@wikipulse/testing/discord';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { DiscordResponder } from '../discord/responder.js';
import { migrated, silentLog, templatesFor } from '../test/helpers.js';
import { startFeeds, type Feeds } from './index.js';

/**
 * Feeds in one process over the in-process bus, as `npm start` runs them with a Discord token:
 * the same delivery, on `MemoryBus` instead of Kafka.
 */
const TOKEN = 'test-token-feeds-memory';
const CHANNEL = '123456789012345678';
let ch: TestClickHouse;
let discord: DiscordDouble;
let feeds: Feeds;
const bus = new MemoryBus();

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store = { client: ch.client, database: ch.database };
  await migrated(store);
  await writeFeed(store, {
    feed_id: 'memory01',
    channel_id: CHANNEL,
    guild_id: '1',
    created_by: '2',
    kind: 'changes',
    filter: JSON.stringify({ kind: 'changes', language: 'de', title: 'Köln' }),
    state: 'active',
    reason: '',
    created_at: '2026-12-06 10:00:00.000',
  });
  await bus.ensureTopics([{ topic: 'events', partitions: 2 }]);
  discord = await new DiscordDouble({ token: TOKEN }).start();
  feeds = await startFeeds({
    bus,
    store,
    responder: new DiscordResponder(new REST({ api: discord.apiUrl }).setToken(TOKEN)),
    eventsTopic: 'events',
    deliveriesTopic: 'deliveries',
    deliveriesPartitions: 3,
    matchGroupId: 'match',
    deliveryGroupId: 'delivery',
    windowMs: 1000,
    refreshMs: 60_000,
    webUrl: 'http://127.0.0.1:8080/',
    spikeCheckMs: 0,
    log: silentLog,
  });
});

afterAll(async () => {
  await feeds.close();
  await discord.close();
  await ch.close();
});

it('delivers the matching changes over the in-process bus', async () => {
  const producer = await bus.producer();
  const titles = ['Köln', 'Kölner Dom', 'Bonn', 'Köln Hbf'];
  await producer.send(
    'events',
    takeFreshEvents(titles.length, { templates: templatesFor('de'), startMs: Date.now() }).map(
      (event, i) => ({ value: JSON.stringify({ ...event, title: titles[i] }) }),
    ),
  );
  const message = await discord.waitFor((r) => r.target === CHANNEL, 15_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const posted = discord.sent.filter((r) => r.target === CHANNEL);
  expect(posted).toEqual([message]);
  const text = (message.body['embeds'] as { description: string }[])[0]!.description;
  // The two event partitions are matched one after the other, in either order.
  expect([...text.matchAll(/\[([^\]]+)\]\(</g)].map((m) => m[1]).sort()).toEqual([
    'Köln',
    'Köln Hbf',
    'Kölner Dom',
  ]);
});
