import type {
  BatchHandler,
  Bus,
  Consumer,
  ConsumerOptions,
  IncomingMessage,
  OutgoingMessage,
  PartitionOffset,
  Producer,
  RunOptions,
  TopicMessages,
  TopicSpec,
} from './types.js';

/**
 * The bus inside one process, for the local mode: the same contract as Kafka (partitions,
 * consumer groups, offsets committed when a batch handler resolves, redelivery when it
 * rejects), held in memory. Nothing survives the process; the local mode stops its producers
 * first and lets consumers drain before it exits.
 */
export class MemoryBus implements Bus {
  readonly #topics = new Map<string, IncomingMessage[][]>();
  readonly #groups = new Map<string, Group>();
  readonly #waiters = new Set<() => void>();
  readonly #maxBatch: number;

  constructor(options: { maxBatch?: number } = {}) {
    this.#maxBatch = options.maxBatch ?? 5_000;
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const created: string[] = [];
    for (const spec of specs) {
      if (!this.#topics.has(spec.topic)) {
        this.#topics.set(
          spec.topic,
          Array.from({ length: spec.partitions }, () => []),
        );
        created.push(spec.topic);
      }
    }
    return Promise.resolve(created);
  }

  partitionOf(key: string, partitions: number): number {
    return hash(key) % partitions;
  }

  producer(): Promise<Producer> {
    let next = 0;
    const append = (topic: string, messages: readonly OutgoingMessage[]) => {
      const partitions = this.#partitions(topic);
      for (const message of messages) {
        const partition =
          message.key == null ? next++ % partitions.length : hash(message.key) % partitions.length;
        const log = partitions[partition]!;
        log.push({
          topic,
          partition,
          offset: String(log.length),
          key: message.key == null ? null : Buffer.from(message.key),
          value: Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value),
          headers: { ...message.headers },
          timestamp: message.timestamp ?? Date.now(),
        });
      }
    };
    return Promise.resolve({
      isHealthy: () => true,
      send: (topic: string, messages: readonly OutgoingMessage[]) => {
        append(topic, messages);
        this.#wake();
        return Promise.resolve();
      },
      sendBatch: (batches: readonly TopicMessages[]) => {
        // Every topic is checked before anything is appended: all or nothing, as one request.
        for (const batch of batches) this.#partitions(batch.topic);
        for (const batch of batches) append(batch.topic, batch.messages);
        this.#wake();
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    });
  }

  consumer(options: ConsumerOptions): Promise<Consumer> {
    for (const topic of options.topics) this.#partitions(topic);
    const group = this.#group(options.groupId);
    const member = new Member(this, group, options, this.#maxBatch);
    return Promise.resolve(member);
  }

  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const committed = this.#group(groupId).committed;
    const out = new Map<number, string>();
    this.#partitions(topic).forEach((_, partition) => {
      out.set(partition, String(committed.get(`${topic}/${partition}`) ?? -1));
    });
    return Promise.resolve(out);
  }

  endOffsets(topic: string): Promise<Map<number, string>> {
    return Promise.resolve(
      new Map(this.#partitions(topic).map((log, partition) => [partition, String(log.length)])),
    );
  }

  /** @internal */
  read(topic: string, partition: number, from: number, max: number): IncomingMessage[] {
    return this.#partitions(topic)[partition]!.slice(from, from + max);
  }

  /** @internal */
  endOffset(topic: string, partition: number): number {
    return this.#partitions(topic)[partition]!.length;
  }

  /** @internal */
  partitionCount(topic: string): number {
    return this.#partitions(topic).length;
  }

  /** @internal Resolves on the next send or after `ms`. */
  waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #partitions(topic: string): IncomingMessage[][] {
    const partitions = this.#topics.get(topic);
    if (!partitions) throw new Error(`unknown topic ${topic}: create it with ensureTopics first`);
    return partitions;
  }

  #group(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), busy: new Set(), members: [] };
      this.#groups.set(groupId, group);
    }
    return group;
  }
}

interface Group {
  /** `topic/partition` → next offset to read. */
  committed: Map<string, number>;
  /** Partitions with a batch in a handler right now. */
  busy: Set<string>;
  members: Member[];
}

class Member implements Consumer {
  readonly #bus: MemoryBus;
  readonly #group: Group;
  readonly #options: ConsumerOptions;
  readonly #maxBatch: number;
  #running = false;
  #paused = false;
  #manualCommit = false;
  #loop: Promise<void> | undefined;
  #inFlight: Promise<void> | undefined;
  /** Where this member reads next; ahead of the group's commit in manual-commit mode. */
  readonly #positions = new Map<string, number>();

  constructor(bus: MemoryBus, group: Group, options: ConsumerOptions, maxBatch: number) {
    this.#bus = bus;
    this.#group = group;
    this.#options = options;
    this.#maxBatch = maxBatch;
  }

  run(handler: BatchHandler, options: RunOptions = {}): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    this.#manualCommit = options.manualCommit ?? false;
    this.#group.members.push(this);
    this.#loop = this.#consume(handler);
    return Promise.resolve();
  }

  commit(offsets: readonly PartitionOffset[]): Promise<void> {
    const owned = new Set(this.#assigned().map((a) => `${a.topic}/${a.partition}`));
    for (const o of offsets) {
      const key = `${o.topic}/${o.partition}`;
      if (owned.has(key)) this.#group.committed.set(key, Number(o.offset));
    }
    return Promise.resolve();
  }

  async pause(): Promise<void> {
    this.#paused = true;
    await this.#inFlight?.catch(() => undefined);
  }

  isRunning(): boolean {
    return this.#running;
  }

  async close(): Promise<void> {
    this.#running = false;
    this.#group.members = this.#group.members.filter((m) => m !== this);
    await this.#loop;
  }

  #isRunning(): boolean {
    return this.#running;
  }

  /** Partitions are shared among a group's running members by index, as a range assignor would. */
  #assigned(): { topic: string; partition: number }[] {
    const index = this.#group.members.indexOf(this);
    const size = this.#group.members.length;
    const all = this.#options.topics.flatMap((topic) =>
      Array.from({ length: this.#bus.partitionCount(topic) }, (_, partition) => ({
        topic,
        partition,
      })),
    );
    return all.filter((_, i) => i % size === index);
  }

  async #consume(handler: BatchHandler): Promise<void> {
    const fromBeginning = this.#options.fromBeginning ?? true;
    while (this.#isRunning()) {
      let delivered = false;
      const assigned = this.#assigned();
      // A partition that moved away and back is read again from the group's commit.
      const owned = new Set(assigned.map((a) => `${a.topic}/${a.partition}`));
      for (const key of this.#positions.keys()) if (!owned.has(key)) this.#positions.delete(key);
      for (const { topic, partition } of assigned) {
        if (!this.#isRunning() || this.#paused) break;
        const key = `${topic}/${partition}`;
        // A partition handed over while its previous owner is mid-batch waits for that batch.
        if (this.#group.busy.has(key)) continue;
        if (!this.#positions.has(key)) {
          const committed = this.#group.committed.get(key);
          const start = fromBeginning ? 0 : this.#bus.endOffset(topic, partition);
          this.#positions.set(key, committed ?? start);
        }
        const from = this.#positions.get(key)!;
        const messages = this.#bus.read(topic, partition, from, this.#maxBatch);
        if (messages.length === 0) continue;
        delivered = true;
        this.#group.busy.add(key);
        try {
          this.#inFlight = handler(
            {
              topic,
              partition,
              messages,
              highWatermark: String(this.#bus.endOffset(topic, partition)),
            },
            { heartbeat: () => Promise.resolve(), isRunning: () => this.#isRunning() },
          );
          await this.#inFlight;
          this.#positions.set(key, from + messages.length);
          if (!this.#manualCommit) this.#group.committed.set(key, from + messages.length);
        } catch {
          // As with Kafka: an unhandled batch is delivered again, after a pause.
          await new Promise((r) => setTimeout(r, 100));
        } finally {
          this.#group.busy.delete(key);
        }
      }
      if (!delivered) await this.#bus.waitForData(this.#options.maxWaitMs ?? 100);
    }
  }
}

/** FNV-1a: stable, so a key always lands on the same partition. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
