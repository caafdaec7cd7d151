import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { FilterOptions } from '../filters.js';
import type { Judgement, Submission } from './judge.js';
import { readVerdicts, type VerdictHandler } from './verdicts.js';

/** What events are judged against, as the worker thread receives it. */
export interface ClassifierRules extends FilterOptions {
  /** Larger events are dead-lettered, truncated (UTF-8 bytes). */
  maxEventBytes: number;
}

export interface ClassifierOptions {
  rules: ClassifierRules;
  /** The worker script; undefined judges on the calling thread. */
  worker: URL | undefined;
  handler: VerdictHandler;
  /** Events per batch (a batch also goes at the end of the current turn of the event loop). */
  batchEvents?: number;
  /** Events submitted but not yet applied above which `writable()` makes the stream wait. */
  maxPending?: number;
  /** The worker's Node flags; the process's own by default. */
  execArgv?: string[];
  /** Judging failed (the worker died): the verdicts of what it held will never come. */
  onError(error: unknown): void;
  /**
   * Stamps each batch's `receivedAt` (the checkpoint's time, the Kafka timestamp of its dead
   * letters); the system clock by default. Read here, on the submitting thread: the worker
   * thread reads no time.
   */
  clock?: Clock;
}

interface Batch {
  data: string[];
  /** Each event's position: views into the network text, held only until the batch goes. */
  ids: string[];
  /** When the batch's first event arrived. */
  receivedAt: number;
}

/** A batch being judged: its text and positions went with it. */
interface Sent {
  count: number;
  /** The position after its last event, a string of its own (see `ownCopy`). */
  position: string;
  receivedAt: number;
}

const WORKER_FILE = new URL('./worker.js', import.meta.url);

/**
 * The compiled worker script next to this module, if there is one. Tests run the TypeScript
 * sources, which a worker thread cannot load; they judge on their own thread instead.
 */
export function builtWorker(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  return existsSync(fileURLToPath(WORKER_FILE)) ? WORKER_FILE : undefined;
}

/**
 * Parses, validates and filters events, on a worker thread when one is given, and hands the
 * verdicts to the handler in exactly the order the events were submitted, on the submitting
 * thread. JSON.parse and the schema check are a quarter of the ingestor's work at full speed;
 * on their own thread they no longer compete with reading the stream and encoding for Kafka.
 *
 * Events go in batches (`batchEvents`, or whatever arrived by the end of the current turn of
 * the event loop); answers come batch by batch in order, so a FIFO of sent batches pairs each
 * answer with its events. Without a worker the same batches are judged on this thread, one
 * turn later, through the same path. The schema validator (about 15 MB) is loaded only by the
 * thread that judges.
 */
export class Classifier {
  readonly #options: ClassifierOptions;
  readonly #batchEvents: number;
  readonly #maxPending: number;
  readonly #clock: Clock;
  readonly #worker: Worker | undefined;
  readonly #inline: Promise<(batch: Submission) => Judgement> | undefined;
  readonly #sent: Sent[] = [];
  #current: Batch = emptyBatch();
  #scheduled = false;
  #pending = 0;
  #failed = false;
  #closing = false;
  #roomWaiters: (() => void)[] = [];
  #idleWaiters: (() => void)[] = [];

  constructor(options: ClassifierOptions) {
    this.#options = options;
    this.#batchEvents = options.batchEvents ?? 128;
    this.#maxPending = options.maxPending ?? 2048;
    this.#clock = options.clock ?? systemClock;
    if (options.worker === undefined) {
      this.#inline = loadInline(options.rules);
      // A judge that cannot load fails the first batch; this keeps the rejection handled.
      this.#inline.catch(() => undefined);
      return;
    }
    const worker = new Worker(options.worker, {
      workerData: {
        wikis: [...options.rules.wikis],
        langs: [...options.rules.langs],
        maxEventBytes: options.rules.maxEventBytes,
      } satisfies ClassifierRules,
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      // The worker's garbage is short-lived (parsed events die within their batch): a small
      // young generation keeps its share of the RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    worker.on('message', (answer: Judgement | Record<string, unknown>) => {
      // `node --watch` (Tilt's live update) has every worker thread report the modules it
      // loads to the parent as `watch:*` messages; they are no answers.
      if (Object.keys(answer).some((key) => key.startsWith('watch:'))) return;
      this.#onAnswer(answer as Judgement);
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(new Error(`the classification worker exited (code ${code})`));
    });
    this.#worker = worker;
  }

  /** Events submitted whose verdicts have not been applied yet. */
  get pending(): number {
    return this.#pending + this.#current.data.length;
  }

  /** One SSE message and the stream position after it. */
  submit(data: string, id: string): void {
    if (this.#failed) return;
    const current = this.#current;
    if (current.data.length === 0) current.receivedAt = this.#clock().getTime();
    current.data.push(data);
    current.ids.push(id);
    if (current.data.length >= this.#batchEvents) this.#send();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#send();
      });
    }
  }

  /** Undefined while few enough events are pending; otherwise resolves when they are. */
  writable(): Promise<void> | undefined {
    if (this.pending < this.#maxPending) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves once every verdict submitted so far has been applied, or judging failed. */
  idle(): Promise<void> {
    this.#send();
    if (this.#pending === 0 || this.#failed) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#worker?.terminate();
  }

  #send(): void {
    const batch = this.#current;
    if (batch.data.length === 0 || this.#failed) return;
    this.#current = emptyBatch();
    const count = batch.data.length;
    // The positions go with the text (dead letters carry theirs); only the batch's last stays
    // here, copied: a view would keep the network text it was read from alive while the batch
    // is judged, long enough to be promoted to the old generation.
    this.#sent.push({
      count,
      position: ownCopy(batch.ids[count - 1]!),
      receivedAt: batch.receivedAt,
    });
    this.#pending += count;
    const submission: Submission = { data: batch.data, positions: batch.ids.join('\n') };
    if (this.#worker) this.#worker.postMessage(submission);
    else {
      this.#inline!.then(
        (judge) => this.#onAnswer(judge(submission)),
        (error: unknown) => this.#fail(error),
      );
    }
  }

  #onAnswer({ verdicts, bytes, ends }: Judgement): void {
    if (this.#failed) return;
    const batch = this.#sent.shift();
    if (!batch || ends.length !== batch.count) {
      this.#fail(new Error('a judgement does not match the batch it answers'));
      return;
    }
    const text = Buffer.from(bytes);
    const values: Buffer[] = [];
    let start = 0;
    for (const end of ends) {
      values.push(text.subarray(start, end));
      start = end;
    }
    const handler = this.#options.handler;
    try {
      readVerdicts(verdicts, values, batch.count, batch.receivedAt, handler);
      if (batch.position !== '') handler.passed(batch.position, batch.receivedAt);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#pending -= batch.count;
    if (this.pending < this.#maxPending) wake(this.#roomWaiters);
    if (this.#pending === 0) wake(this.#idleWaiters);
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    wake(this.#idleWaiters);
    this.#options.onError(error);
  }
}

async function loadInline(rules: ClassifierRules): Promise<(batch: Submission) => Judgement> {
  const [{ createFilter }, { judgeBatch }] = await Promise.all([
    import('../filters.js'),
    import('./judge.js'),
  ]);
  const judging = { filter: createFilter(rules), maxEventBytes: rules.maxEventBytes };
  return (batch) => judgeBatch(batch, judging);
}

function emptyBatch(): Batch {
  return { data: [], ids: [], receivedAt: 0 };
}

function wake(waiters: (() => void)[]): void {
  const all = waiters.splice(0);
  for (const resolve of all) resolve();
}

/**
 * A string of its own rather than a view into a larger one: concatenating makes V8 flatten a
 * new string, and the slice is then a view into that small copy only. Positions marked in the
 * batcher come from here, so a batch waiting for its acknowledgement holds no network text.
 */
function ownCopy(text: string): string {
  return `${text} `.slice(0, -1);
}
