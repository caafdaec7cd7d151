import { connect, type Socket } from 'node:net';
import { Reader, requestHeader } from './protocol.js';

/** A lost, refused or silent connection: the request may or may not have reached the broker. */
export class BrokerConnectionError extends Error {
  override readonly name = 'BrokerConnectionError';
}

/**
 * One TCP connection to a broker: requests are framed and written as they come (Kafka answers
 * them in order on a connection), responses matched by correlation id. A connection that fails
 * or times out rejects everything in flight and is not used again.
 */
export class BrokerConnection {
  readonly address: string;
  readonly #socket: Socket;
  readonly #clientId: string;
  readonly #ready: Promise<void>;
  readonly #pending = new Map<
    number,
    { resolve: (r: Reader) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  #nextCorrelationId = 1;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #closed: Error | undefined;

  constructor(host: string, port: number, clientId: string, connectTimeoutMs: number) {
    this.address = `${host}:${port}`;
    this.#clientId = clientId;
    this.#socket = connect({ host, port, noDelay: true });
    this.#ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new BrokerConnectionError(`connecting to ${this.address} timed out`)),
        connectTimeoutMs,
      );
      this.#socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#socket.once('close', () => {
        clearTimeout(timer);
        reject(this.#closed ?? new BrokerConnectionError(`connection to ${this.address} closed`));
      });
    });
    this.#ready.catch(() => undefined);
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (error) =>
      this.#fail(
        new BrokerConnectionError(`connection to ${this.address} failed: ${error.message}`),
      ),
    );
    this.#socket.on('close', () =>
      this.#fail(new BrokerConnectionError(`connection to ${this.address} closed`)),
    );
  }

  get usable(): boolean {
    return this.#closed === undefined;
  }

  /** Sends one request (body given as buffers, written without copying) and reads its response. */
  async request(
    api: { key: number; version: number },
    body: readonly Buffer[],
    timeoutMs: number,
  ): Promise<Reader> {
    await this.#ready;
    if (this.#closed) throw this.#closed;
    const correlationId = this.#nextCorrelationId;
    this.#nextCorrelationId = (this.#nextCorrelationId + 1) & 0x7fffffff;
    let size = 0;
    for (const part of body) size += part.length;
    const response = new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#fail(
            new BrokerConnectionError(
              `request to ${this.address} got no answer in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.#pending.set(correlationId, { resolve, reject, timer });
    });
    this.#socket.cork();
    this.#socket.write(requestHeader(api, correlationId, this.#clientId, size));
    for (const part of body) this.#socket.write(part);
    this.#socket.uncork();
    return response;
  }

  close(): void {
    this.#fail(new BrokerConnectionError(`connection to ${this.address} closed by the client`));
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#buffered < 4) return;
      let head = this.#chunks[0]!;
      if (head.length < 4) head = this.#flatten();
      const size = head.readInt32BE(0);
      if (this.#buffered < 4 + size) return;
      const frame = this.#flatten();
      const rest = frame.subarray(4 + size);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      const reader = new Reader(frame.subarray(0, 4 + size), 4);
      const correlationId = reader.int32();
      const pending = this.#pending.get(correlationId);
      if (!pending) {
        this.#fail(
          new BrokerConnectionError(`${this.address} answered an unknown request ${correlationId}`),
        );
        return;
      }
      this.#pending.delete(correlationId);
      clearTimeout(pending.timer);
      pending.resolve(reader);
    }
  }

  #flatten(): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [all];
    return all;
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    this.#socket.destroy();
  }
}
