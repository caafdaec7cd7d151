import type { Bus, Consumer, IncomingMessage } from '@wikipulse/kafka';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ProcessedCommand } from '../discord/processor.js';
import { decodeRequest, type CommandRequest } from '../discord/request.js';
import type { CommandSigner } from '../discord/signing.js';
import type { BotMetrics } from '../metrics.js';
import { groupBy, runGroups } from './groups.js';

export interface CommandWorkerOptions {
  bus: Bus;
  topic: string;
  groupId: string;
  process: (request: CommandRequest) => Promise<ProcessedCommand | null>;
  /** Checks each record's signature: only what the gateway signed is run. */
  signer: CommandSigner;
  log: Logger;
  metrics?: BotMetrics;
  /** Users whose commands run at the same time within one batch. */
  concurrency: number;
  /** Commands older than this are dropped: their interaction tokens have expired, and a reply minutes late helps nobody. */
  maxAgeMs?: number;
  /** The age of a command is measured on it, from the gateway's `receivedAt`. */
  clock?: Clock;
  /** Called with each command handled, for tests and the benchmark. */
  onProcessed?: (request: CommandRequest, result: ProcessedCommand | null) => void;
}

/**
 * The worker role: a member of one consumer group on the commands topic. Kafka gives each
 * partition to exactly one member, so each command is answered by one worker; records are
 * keyed by user, so one user's commands stay in order on one worker (and its rate limiter).
 * Offsets are committed after the replies are sent; a command redelivered after a crash is
 * answered again with the same nonce, which Discord deduplicates. A record without the
 * gateway's signature is dropped before it is even decoded.
 */
export async function startCommandWorker(options: CommandWorkerOptions): Promise<Consumer> {
  const { log, metrics } = options;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const clock = options.clock ?? systemClock;
  const recent = new RecentIds(10_000);
  const consumer = await options.bus.consumer({
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: true,
    maxWaitMs: 20,
  });
  await consumer.run(async (batch, context) => {
    const requests: CommandRequest[] = [];
    const now = clock().getTime();
    for (const message of batch.messages) {
      const request = decode(message);
      if (request === undefined) continue;
      const ageMs = now - request.receivedAt;
      if (ageMs > maxAgeMs) {
        log.warn({ requestId: request.id, ageMs }, 'dropping a stale command');
        continue;
      }
      if (!recent.add(request.id)) continue;
      requests.push(request);
    }
    await runGroups(
      groupBy(requests, (request) => request.userId).values(),
      options.concurrency,
      async (request) => {
        const result = await options.process(request);
        options.onProcessed?.(request, result);
      },
      () => context.heartbeat(),
    );
  });

  function decode(message: IncomingMessage): CommandRequest | undefined {
    const verdict = options.signer.verify(message);
    if (!verdict.ok) {
      metrics?.commandsRejected.inc({ reason: verdict.reason });
      // Never the record's content: it may be anything, and a real one carries a token.
      log.warn(
        { partition: message.partition, offset: message.offset, reason: verdict.reason },
        'dropping a command record the gateway did not sign',
      );
      return undefined;
    }
    const decoded = decodeRequest(message.value?.toString('utf8') ?? '');
    if (decoded.ok) return decoded.request;
    metrics?.invalidRequests.inc();
    log.warn(
      { partition: message.partition, offset: message.offset, reason: decoded.reason },
      'skipping an undecodable command record',
    );
    return undefined;
  }
  return consumer;
}

/** Ids seen lately, oldest forgotten first: a rebalance can hand a worker records it already answered. */
class RecentIds {
  readonly #ids = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** False when the id was seen already. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#max) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
