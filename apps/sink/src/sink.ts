import {
  deadLetterMessage,
  type BatchContext,
  type Bus,
  type Consumer,
  type MessageBatch,
  type Producer,
} from '@wikipulse/kafka';
import { Backoff, sleep, systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import {
  changesRetentionDays,
  retentionCutoff,
  type ChangeRow,
  type ClickHouseClient,
} from '@wikipulse/store';
import type { SinkMetrics } from './metrics.js';
import { PendingBatch, insertToken } from './pending.js';
import { pastRetention } from './retention.js';
import { ChangeWriter, type Refused } from './writer.js';

export interface SinkOptions {
  bus: Bus;
  topic: string;
  /** Partitions of the topic if the sink has to create it. */
  topicPartitions: number;
  groupId: string;
  deadLetterTopic: string;
  client: ClickHouseClient;
  database: string;
  /** A batch is written once it holds this many messages… */
  batchMaxRows: number;
  /** …or this long after its first message arrived, whichever comes first. */
  batchMaxWaitMs: number;
  fetchMaxBytes: number;
  fetchMaxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  retryMaxMs: number;
  log: Logger;
  metrics: SinkMetrics;
  /** Called when the sink can no longer guarantee its invariants; the process should exit. */
  onFatal: (error: Error) => void;
  /** What the retention cutoff is counted back from; the system clock by default. */
  clock?: Clock;
}

/** How often a handler waiting for a busy writer keeps its group membership alive. */
const HEARTBEAT_WHILE_WAITING_MS = 1_000;

/**
 * Kafka → ClickHouse. Handlers of several partitions (and several fetches) add their messages
 * to one pending batch and return at once, so the next fetch overlaps the insert. A batch is
 * written when it is full or old enough: rows into ClickHouse, refused and invalid messages to
 * the dead-letter topic, and only then are its offsets committed. A handler arriving while a
 * full batch waits for the writer holds its fetch back (and heartbeats), which bounds memory to
 * about two batches.
 *
 * A crash loses only uncommitted work, which Kafka delivers again; storage absorbs the copies
 * (see "Exactness" in docs/sink.md).
 */
export class Sink {
  readonly #o: SinkOptions;
  readonly #clock: Clock;
  readonly #writer: ChangeWriter;
  readonly #abort = new AbortController();
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  #pending = new PendingBatch();
  #pendingSince = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #stopping = false;
  #failed = false;
  /** The `changes` TTL in days, read at start; undefined when the table has none the sink knows. */
  #retentionDays: number | undefined;

  constructor(options: SinkOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#writer = new ChangeWriter({
      client: options.client,
      database: options.database,
      log: options.log.child({ component: 'writer' }),
      metrics: options.metrics,
      retryMaxMs: options.retryMaxMs,
      signal: this.#abort.signal,
    });
  }

  async start(): Promise<void> {
    const o = this.#o;
    this.#retentionDays = await changesRetentionDays(o.client, o.database);
    if (this.#retentionDays === undefined) {
      o.log.warn(
        { database: o.database },
        'the changes table has no retention TTL the sink recognises; rows it drops at insert are not counted',
      );
    }
    await o.bus.ensureTopics([
      { topic: o.topic, partitions: o.topicPartitions },
      { topic: o.deadLetterTopic, partitions: 1 },
    ]);
    this.#producer = await o.bus.producer();
    this.#consumer = await o.bus.consumer({
      groupId: o.groupId,
      topics: [o.topic],
      maxBytes: o.fetchMaxBytes,
      maxBytesPerPartition: o.fetchMaxBytesPerPartition,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
      sessionTimeoutMs: o.sessionTimeoutMs,
    });
    await this.#consumer.run((batch, context) => this.#handle(batch, context), {
      manualCommit: true,
    });
    o.log.info({ topic: o.topic, groupId: o.groupId }, 'consuming');
  }

  /**
   * Readiness: a member of the group whose dead-letter producer took its latest write, and
   * ClickHouse took the latest insert.
   */
  readiness(): { kafka: boolean; clickhouse: boolean } {
    return {
      kafka:
        !this.#failed &&
        (this.#consumer?.isRunning() ?? false) &&
        (this.#producer?.isHealthy() ?? false),
      clickhouse: this.#writer.healthy,
    };
  }

  /**
   * Stops reading, writes and commits what was read, then leaves the group. Unwritten messages
   * are left uncommitted for the next owner of their partitions.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer?.pause();
    clearTimeout(this.#timer);
    // A flush that ends starts the next one at once when messages wait (see #kick), so one
    // await is not enough: an insert left running would outlive the ClickHouse client.
    for (;;) {
      if (this.#flushing === undefined && this.#pending.messages > 0 && !this.#failed) {
        this.#kick();
      }
      if (this.#flushing === undefined) break;
      await this.#flushing;
    }
    this.#abort.abort(new Error('sink stopped'));
    await this.#consumer?.close();
    await this.#producer?.close();
  }

  async #handle(batch: MessageBatch, context: BatchContext): Promise<void> {
    const o = this.#o;
    if (this.#failed) throw new Error('the sink failed; not taking more messages');
    o.metrics.messages.inc(batch.messages.length);
    while (this.#pending.messages >= o.batchMaxRows && this.#flushing) {
      await Promise.race([this.#flushing, sleep(HEARTBEAT_WHILE_WAITING_MS)]);
      await context.heartbeat();
    }
    if (this.#pending.messages === 0) this.#pendingSince = performance.now();
    this.#pending.add(batch);
    this.#kick();
  }

  /** Starts a flush when one is due and none is running; otherwise makes sure one will start. */
  #kick(): void {
    if (this.#flushing || this.#failed || this.#pending.messages === 0) return;
    const o = this.#o;
    const age = performance.now() - this.#pendingSince;
    const due = this.#pending.messages >= o.batchMaxRows || age >= o.batchMaxWaitMs;
    if (!due && !this.#stopping) {
      if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#kick();
        }, o.batchMaxWaitMs - age);
      }
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = new PendingBatch();
    this.#flushing = this.#write(batch).then(
      () => {
        this.#flushing = undefined;
        this.#kick();
      },
      (error: unknown) => {
        this.#flushing = undefined;
        if (this.#abort.signal.aborted) return;
        // The batch's offsets were handed back to Kafka as read; committing anything later
        // would skip it. Stop here: after a restart Kafka delivers it again.
        this.#failed = true;
        o.log.error({ err: error }, 'writing a batch failed');
        o.onFatal(error as Error);
      },
    );
  }

  async #write(batch: PendingBatch): Promise<void> {
    const o = this.#o;
    const dead = [...batch.dead];
    if (batch.rows.length > 0) {
      // Taken just before the insert: ClickHouse applies the TTL with its clock at insert time,
      // which the sink's clock stands for. Exact to the second, unless retries carry the insert
      // across the cutoff.
      const cutoff =
        this.#retentionDays === undefined
          ? undefined
          : retentionCutoff(this.#retentionDays, this.#clock().getTime());
      const started = performance.now();
      const refused = await this.#writer.write(
        batch.rows,
        insertToken(batch.ranges.values(), batch.rows),
      );
      const ms = Math.round((performance.now() - started) * 10) / 10;
      for (const r of refused) {
        dead.push({
          message: batch.sources[r.index]!,
          reason: 'refused_by_clickhouse',
          detail: r.detail,
        });
      }
      o.log.debug(
        { rows: batch.rows.length - refused.length, refused: refused.length, ms },
        'batch inserted',
      );
      if (cutoff !== undefined) this.#reportPastRetention(batch.rows, cutoff, refused);
    }
    if (dead.length > 0) await this.#sendDeadLetters(dead);
    if (batch.skipped > 0) o.metrics.skipped.inc({ reason: 'canary' }, batch.skipped);
    const offsets = batch.commitOffsets();
    try {
      await this.#consumer!.commit(offsets);
    } catch (error) {
      // Everything is stored; an uncommitted batch is only delivered again, and its copies
      // collapse in storage.
      o.metrics.errors.inc({ kind: 'commit' });
      o.log.warn({ err: error }, 'committing offsets failed; the batch will be read again');
      return;
    }
    o.metrics.batches.inc();
    for (const range of batch.ranges.values()) {
      const lag = range.highWatermark - (range.last + 1n);
      o.metrics.lag.set(
        { topic: range.topic, partition: String(range.partition) },
        Number(lag > 0n ? lag : 0n),
      );
    }
    o.log.debug({ messages: batch.messages, offsets }, 'batch committed');
  }

  /**
   * Counts and logs the rows of an insert that ClickHouse dropped for being past retention: a
   * backfill older than the retention would otherwise store nothing without a word. Refused
   * rows were not stored at all; they go to the dead-letter topic.
   */
  #reportPastRetention(rows: readonly ChangeRow[], cutoff: string, refused: readonly Refused[]) {
    const past = pastRetention(rows, cutoff, new Set(refused.map((r) => r.index)));
    if (past.rows === 0) return;
    this.#o.metrics.rowsPastRetention.inc(past.rows);
    this.#o.log.warn(
      {
        rows: past.rows,
        oldestEventTime: past.oldest && isoTime(past.oldest),
        cutoff: isoTime(cutoff),
        retentionDays: this.#retentionDays,
      },
      'ClickHouse dropped rows already past retention at insert',
    );
  }

  async #sendDeadLetters(dead: PendingBatch['dead']): Promise<void> {
    const o = this.#o;
    const messages = dead.map(({ message, reason, detail }) =>
      deadLetterMessage({
        reason,
        detail,
        by: 'wikipulse-sink',
        source: message,
        value: message.value ?? Buffer.alloc(0),
        key: message.key?.toString('utf8') ?? null,
        headers: message.headers,
      }),
    );
    const backoff = new Backoff(200, o.retryMaxMs);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#producer!.send(o.deadLetterTopic, messages);
        break;
      } catch (error) {
        o.metrics.errors.inc({ kind: 'dead_letter_send' });
        const waitMs = backoff.next();
        o.log.warn({ err: error, attempt, waitMs }, 'dead-letter send failed, retrying');
        await sleep(waitMs, { signal: this.#abort.signal });
      }
    }
    for (const letter of dead) {
      o.metrics.deadLettered.inc({ reason: letter.reason });
      o.log.warn(
        {
          reason: letter.reason,
          detail: letter.detail,
          topic: letter.message.topic,
          partition: letter.message.partition,
          offset: letter.message.offset,
        },
        'message dead-lettered',
      );
    }
  }
}

/** `YYYY-MM-DD hh:mm:ss.sss` (UTC, as rows hold it) as ISO-8601, so a log reader sees the zone. */
function isoTime(text: string): string {
  return `${text.replace(' ', 'T')}Z`;
}
