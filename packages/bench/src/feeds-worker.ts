/**
 * One bot worker's feed delivery for `npm run bench:feeds`, in a process of its own so that its
 * CPU is measured alone: started by `feeds.ts` with its settings as JSON in argv[2]; says
 * `ready` over IPC once both consumer groups run, and on `stop` closes cleanly and answers with
 * its CPU time and peak memory.
 */
import { REST } from 'discord.js';
import { DiscordResponder, startFeeds } from '@wikipulse/bot';
import { KafkaBus } from '@wikipulse/kafka';
import { createLogger } from '@wikipulse/logger';
import { openClickHouse } from '@wikipulse/store';

interface WorkerSettings {
  brokers: string[];
  dataDir: string;
  database: string;
  apiUrl: string;
  token: string;
  eventsTopic: string;
  deliveriesTopic: string;
  matchGroup: string;
  deliveryGroup: string;
  windowMs: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings;
const log = createLogger({ name: 'bench-feeds-worker', level: 'warn' });
const client = openClickHouse({ kind: 'embedded', path: settings.dataDir });
const bus = new KafkaBus({ brokers: settings.brokers, clientId: 'wikipulse-bench-feeds', log });
// The Discord double sets no rate limits; Discord's own 50 requests/s would bound any bot.
const rest = new REST({ api: settings.apiUrl, globalRequestsPerSecond: 100_000 }).setToken(
  settings.token,
);
const started = process.cpuUsage();
const startedAt = performance.now();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const feeds = await startFeeds({
  bus,
  store: { client, database: settings.database },
  responder: new DiscordResponder(rest),
  eventsTopic: settings.eventsTopic,
  deliveriesTopic: settings.deliveriesTopic,
  deliveriesPartitions: 12,
  matchGroupId: settings.matchGroup,
  deliveryGroupId: settings.deliveryGroup,
  windowMs: settings.windowMs,
  refreshMs: 60_000,
  webUrl: 'http://127.0.0.1:8080/',
  spikeCheckMs: 0,
  concurrency: 64,
  log,
});
process.send?.({ ready: true });
process.on('message', (message: { stop?: boolean }) => {
  if (!message.stop) return;
  void (async () => {
    const cpu = process.cpuUsage(started);
    const elapsedMs = performance.now() - startedAt;
    clearInterval(sampler);
    await feeds.close();
    await client.close();
    process.send?.({
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      elapsedMs,
      peakRss,
    });
    process.disconnect();
  })();
});
