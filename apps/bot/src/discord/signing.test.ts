import { describe, expect, it } from 'vitest';
import type { IncomingMessage, OutgoingMessage } from '@wikipulse/kafka';
import { CommandSigner, SIGNATURE_HEADER } from './signing.js';

const signer = new CommandSigner('a'.repeat(32));

/** A produced record as a consumer receives it. */
function received(topic: string, message: OutgoingMessage): IncomingMessage {
  return {
    topic,
    partition: 0,
    offset: '0',
    key: message.key === undefined || message.key === null ? null : Buffer.from(message.key),
    value: Buffer.from(message.value),
    headers: { ...message.headers },
    timestamp: 0,
  };
}

describe('CommandSigner', () => {
  const record = signer.sign('commands', { key: 'u1', value: '{"text":"!ping"}' });

  it('accepts what it signed, and nothing else', () => {
    expect(signer.verify(received('commands', record))).toEqual({ ok: true });
    const unsigned = Object.fromEntries(
      Object.entries(record.headers ?? {}).filter(([name]) => name !== SIGNATURE_HEADER),
    );
    expect(signer.verify(received('commands', { ...record, headers: unsigned }))).toEqual({
      ok: false,
      reason: 'unsigned',
    });
    for (const changed of [
      { ...record, value: '{"text":"!setlang fr"}' },
      { ...record, key: 'u2' },
      { ...record, key: null },
      { ...record, headers: { ...record.headers, 'wikipulse-extra': '1' } },
      { ...record, headers: { ...record.headers, [SIGNATURE_HEADER]: 'v1=AAAA' } },
    ]) {
      expect(signer.verify(received('commands', changed))).toEqual({
        ok: false,
        reason: 'forged',
      });
    }
    expect(signer.verify(received('other-topic', record))).toEqual({ ok: false, reason: 'forged' });
  });

  it('ignores headers outside its namespace, which a proxy may add', () => {
    const traced = { ...record, headers: { ...record.headers, traceparent: '00-abc' } };
    expect(signer.verify(received('commands', traced))).toEqual({ ok: true });
  });

  it('refuses a record signed with another key and a short key', () => {
    const other = new CommandSigner('b'.repeat(32)).sign('commands', { key: 'u1', value: 'x' });
    expect(signer.verify(received('commands', other))).toEqual({ ok: false, reason: 'forged' });
    expect(() => new CommandSigner('too short')).toThrow(/at least 32 bytes/);
  });
});
