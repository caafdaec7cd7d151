import { isCanary, parseEvent } from '@wikipulse/events';
import type { Bus, Consumer, OutgoingMessage, Producer } from '@wikipulse/kafka';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import { toChangeRow } from '@wikipulse/store';
import type { BotMetrics } from '../metrics.js';
import type { FeedRegistry } from './registry.js';
import { encodeRecord, type DeliveryRecord } from './window.js';

export interface FeedMatcherOptions {
  bus: Bus;
  producer: Producer;
  registry: FeedRegistry;
  /** The raw event topic. */
  eventsTopic: string;
  deliveriesTopic: string;
  groupId: string;
  log: Logger;
  metrics?: BotMetrics;
  /** How often every deliveries partition gets a tick. */
  tickMs: number;
  /** Changes older than this are not delivered (a new group starts at the topic's beginning). */
  maxAgeMs: number;
  clock?: Clock;
}

/**
 * The first half of feed delivery: a consumer group on the raw event topic (each change is
 * looked at by one worker) that checks every change against the in-memory feed index and
 * writes one record per matching feed to the deliveries topic, keyed by feed id, so one worker
 * delivers each feed. Offsets are committed once Kafka acknowledged the records. It also stamps
 * a tick on every deliveries partition each `tickMs`, which closes windows on quiet partitions.
 */
export async function startFeedMatcher(options: FeedMatcherOptions): Promise<Consumer> {
  const { bus, producer, registry, log, metrics } = options;
  const clock = options.clock ?? systemClock;
  const partitions = (await bus.endOffsets(options.deliveriesTopic)).size;
  const tickKeys = keysForEveryPartition(bus, partitions);
  const tick = () => {
    const ts = clock().getTime();
    const messages = tickKeys.map((key) => ({ key, value: encodeRecord({ ts, tick: true }) }));
    producer.send(options.deliveriesTopic, messages).catch((error: unknown) => {
      log.warn({ err: error }, 'could not write feed ticks');
    });
  };
  const timer = setInterval(tick, options.tickMs);
  timer.unref();

  const consumer = await bus.consumer({
    groupId: options.groupId,
    topics: [options.eventsTopic],
    fromBeginning: false,
    maxWaitMs: 50,
  });
  await consumer.run(async (batch) => {
    if (registry.index.size === 0) return;
    const out: OutgoingMessage[] = [];
    const ts = clock().getTime();
    for (const message of batch.messages) {
      if (message.value === null) continue;
      const parsed = parseEvent(message.value.toString('utf8'));
      if (!parsed.ok || isCanary(parsed.event)) continue;
      const event = parsed.event;
      if (ts - Date.parse(event.meta.dt) > options.maxAgeMs) continue;
      const matched = registry.index.match(event);
      if (matched.length === 0) continue;
      const row = toChangeRow(event);
      const line = {
        event_time: row.event_time,
        wiki: row.wiki,
        title: row.title,
        server_url: row.server_url,
        user: row.user,
        type: row.type,
        log_type: row.log_type,
        length_old: row.length_old,
        length_new: row.length_new,
        bot: row.bot,
        // Deliveries list changes without their comments, so ten always fit one message.
        comment: '',
      };
      for (const feed of matched) {
        const record: DeliveryRecord = {
          ts,
          feedId: feed.feedId,
          channelId: feed.channelId,
          eventId: event.meta.id,
          line,
        };
        out.push({ key: feed.feedId, value: encodeRecord(record) });
      }
    }
    if (out.length === 0) return;
    await producer.send(options.deliveriesTopic, out);
    metrics?.feedMatches.inc(out.length);
  });
  return {
    run: consumer.run.bind(consumer),
    commit: consumer.commit.bind(consumer),
    pause: consumer.pause.bind(consumer),
    isRunning: () => consumer.isRunning(),
    close: async () => {
      clearInterval(timer);
      await consumer.close();
    },
  };
}

/** A key landing on each partition, found by trying `tick.0`, `tick.1`, … in turn. */
function keysForEveryPartition(bus: Bus, partitions: number): string[] {
  const keys: string[] = new Array<string>(partitions);
  let found = 0;
  for (let i = 0; found < partitions; i += 1) {
    const key = `tick.${i}`;
    const partition = bus.partitionOf(key, partitions);
    if (keys[partition] === undefined) {
      keys[partition] = key;
      found += 1;
    }
  }
  return keys;
}
