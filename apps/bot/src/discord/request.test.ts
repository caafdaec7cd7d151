import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, type CommandRequest } from './request.js';
import { replyNonce } from './responder.js';

describe('command requests on the topic', () => {
  const request: CommandRequest = {
    v: 1,
    id: '1234567890123456789',
    text: '!ping',
    userId: '42',
    guildId: null,
    channelId: '7',
    canManageGuild: false,
    canManageChannels: false,
    sentAt: 1,
    receivedAt: 2,
  };

  it('round-trip and refuse anything else', () => {
    expect(decodeRequest(encodeRequest(request))).toEqual({ ok: true, request });
    expect(decodeRequest('nope')).toEqual({ ok: false, reason: 'invalid_json' });
    expect(decodeRequest(JSON.stringify({ ...request, id: 'x' })).ok).toBe(false);
    expect(decodeRequest(JSON.stringify({ ...request, v: 2 })).ok).toBe(false);
  });

  it('carry a slash command as its typed options, never both forms or neither', () => {
    const rest: Omit<CommandRequest, 'text'> = { ...request };
    delete (rest as Partial<CommandRequest>).text;
    const slash: CommandRequest = {
      ...rest,
      slash: { command: 'recent', options: { lang: 'de', limit: 5 } },
    };
    expect(decodeRequest(encodeRequest(slash))).toEqual({ ok: true, request: slash });
    expect(decodeRequest(JSON.stringify({ ...slash, text: '!recent' })).ok).toBe(false);
    expect(decodeRequest(JSON.stringify(rest)).ok).toBe(false);
    const nested = { ...slash, slash: { command: 'recent', options: { lang: { x: 1 } } } };
    expect(decodeRequest(JSON.stringify(nested)).ok).toBe(false);
  });

  it('derive reply nonces within Discord’s 25 characters', () => {
    expect(replyNonce('12345678901234567890', 3)).toBe('12345678901234567890.3');
    expect(replyNonce('12345678901234567890', 123456).length).toBeLessThanOrEqual(25);
  });
});
