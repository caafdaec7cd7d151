import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Logger } from '@wikipulse/logger';
import { DEAD_LETTER_HEADERS, type OutgoingMessage, type Producer } from '@wikipulse/kafka';

/** Where accepted events and dead letters go. */
export interface Output {
  /** Resolves once the batch is acknowledged (Kafka: by all in-sync replicas). */
  write(events: readonly OutgoingMessage[], dead: readonly OutgoingMessage[]): Promise<void>;
  /** Makes everything written so far survive a crash (before a checkpoint is saved). */
  sync(): Promise<void>;
  readonly writable: boolean;
  close(): Promise<void>;
}

export class KafkaOutput implements Output {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #deadLetterTopic: string;
  #failed = false;

  constructor(producer: Producer, topic: string, deadLetterTopic: string) {
    this.#producer = producer;
    this.#topic = topic;
    this.#deadLetterTopic = deadLetterTopic;
  }

  get writable(): boolean {
    return !this.#failed;
  }

  /**
   * Not an async function on purpose: a suspended async function keeps its arguments alive
   * until it returns, and these messages (views into the network chunks their text came from)
   * would then live until the broker's acknowledgement instead of dying once encoded.
   */
  write(events: readonly OutgoingMessage[], dead: readonly OutgoingMessage[]): Promise<void> {
    return this.#producer
      .sendBatch([
        { topic: this.#topic, messages: events },
        { topic: this.#deadLetterTopic, messages: dead },
      ])
      .catch((error: unknown) => {
        this.#failed = true;
        throw error;
      });
  }

  /** acks=all already made every acknowledged batch durable. */
  async sync(): Promise<void> {}

  close(): Promise<void> {
    return this.#producer.close();
  }
}

/**
 * One accepted event per line, exactly the JSON text received, on stdout or appended to a
 * file. Dead letters are logged (stderr) with their reason and raw text: stdout carries events
 * only, and nothing is lost.
 */
export class LineOutput implements Output {
  readonly #log: Logger;
  readonly #stream: Writable | undefined;
  readonly #file: FileHandle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failed = false;

  private constructor(log: Logger, stream: Writable | undefined, file: FileHandle | undefined) {
    this.#log = log;
    this.#stream = stream;
    this.#file = file;
    stream?.on('error', (error) => {
      this.#failed = true;
      log.error({ err: error }, 'output stream failed');
    });
  }

  static toStream(log: Logger, stream: Writable): LineOutput {
    return new LineOutput(log, stream, undefined);
  }

  static async toFile(log: Logger, path: string): Promise<LineOutput> {
    return new LineOutput(log, undefined, await open(path, 'a'));
  }

  get writable(): boolean {
    return !this.#failed && (this.#stream === undefined || this.#stream.writable);
  }

  write(events: readonly OutgoingMessage[], dead: readonly OutgoingMessage[]): Promise<void> {
    for (const message of dead) {
      const headers = message.headers ?? {};
      this.#log.warn(
        {
          reason: headers[DEAD_LETTER_HEADERS.reason],
          detail: headers[DEAD_LETTER_HEADERS.detail],
          position: headers[DEAD_LETTER_HEADERS.sourcePosition],
          data: message.value.toString(),
        },
        'dead letter',
      );
    }
    if (events.length === 0) return this.#chain;
    let text = '';
    for (const message of events) text += `${message.value.toString()}\n`;
    this.#chain = this.#chain.then(() => this.#append(text));
    return this.#chain;
  }

  async #append(text: string): Promise<void> {
    if (this.#file) {
      await this.#file.write(text);
      return;
    }
    const stream = this.#stream!;
    await new Promise<void>((resolve, reject) => {
      stream.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  async sync(): Promise<void> {
    await this.#chain;
    await this.#file?.sync();
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#file?.sync();
    await this.#file?.close();
  }
}
