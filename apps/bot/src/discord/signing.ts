import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Headers, IncomingMessage, OutgoingMessage } from '@wikipulse/kafka';

/**
 * Command records are signed by the gateway and checked by the workers, so that whoever can
 * write to the commands topic (another app's credentials, a mistaken tool) cannot make a worker
 * answer, watch or change preferences in someone's name. The MAC is HMAC-SHA256 over the topic,
 * the record's key, its value and every `wikipulse-` header but the signature itself (the
 * headers Wikipulse reads), each length-prefixed so that no two records share an input.
 */
export const SIGNATURE_HEADER = 'wikipulse-signature';
const VERSION = 'v1';
/** Shorter keys are refused: HMAC-SHA256 wants at least its output size of secret. */
export const MIN_KEY_BYTES = 32;

export type RejectReason = 'unsigned' | 'forged';
export type Verdict = { ok: true } | { ok: false; reason: RejectReason };

export class CommandSigner {
  readonly #key: Buffer;

  constructor(key: string | Buffer) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
    if (bytes.length < MIN_KEY_BYTES) {
      throw new Error(`a command signing key needs at least ${MIN_KEY_BYTES} bytes`);
    }
    this.#key = bytes;
  }

  /** A key for this process alone: for a gateway and workers that run in one process. */
  static random(): CommandSigner {
    return new CommandSigner(randomBytes(MIN_KEY_BYTES));
  }

  /** The record with its signature header added. */
  sign(topic: string, message: OutgoingMessage): OutgoingMessage {
    const headers = Object.fromEntries(
      Object.entries(message.headers ?? {}).filter(([name]) => name !== SIGNATURE_HEADER),
    );
    const value = typeof message.value === 'string' ? Buffer.from(message.value) : message.value;
    const key = message.key === undefined || message.key === null ? null : Buffer.from(message.key);
    const mac = this.#mac(topic, key, value, headers);
    return { ...message, headers: { ...headers, [SIGNATURE_HEADER]: `${VERSION}=${mac}` } };
  }

  verify(message: IncomingMessage): Verdict {
    const signature = message.headers[SIGNATURE_HEADER];
    if (signature === undefined) return { ok: false, reason: 'unsigned' };
    const expected = this.#mac(message.topic, message.key, message.value ?? Buffer.alloc(0), {
      ...message.headers,
    });
    const given = Buffer.from(signature);
    const wanted = Buffer.from(`${VERSION}=${expected}`);
    const same = given.length === wanted.length && timingSafeEqual(given, wanted);
    return same ? { ok: true } : { ok: false, reason: 'forged' };
  }

  #mac(topic: string, key: Buffer | null, value: Buffer, headers: Headers): string {
    const hmac = createHmac('sha256', this.#key);
    const field = (bytes: Buffer | null) => {
      const length = Buffer.alloc(4);
      // A null key differs from an empty one.
      length.writeUInt32BE(bytes === null ? 0xffffffff : bytes.length);
      hmac.update(length);
      if (bytes !== null) hmac.update(bytes);
    };
    field(Buffer.from(`wikipulse-command-${VERSION}`));
    field(Buffer.from(topic));
    field(key);
    field(value);
    const signed = Object.keys(headers)
      .filter((name) => name.startsWith('wikipulse-') && name !== SIGNATURE_HEADER)
      .sort();
    field(Buffer.from(String(signed.length)));
    for (const name of signed) {
      field(Buffer.from(name));
      field(Buffer.from(headers[name] ?? ''));
    }
    return hmac.digest('base64url');
  }
}
