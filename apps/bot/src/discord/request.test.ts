import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeRequest, type CommandRequest } from './request.js';
import { replyNonce } from './responder.js';
import { slashToText } from './slash.js';

describe('slash commands run their prefix twin', () => {
  it.each([
    [
      'recent',
      [
        { name: 'lang', value: 'de' },
        { name: 'limit', value: 5 },
      ],
      '!recent de 5',
    ],
    [
      'setlang',
      [
        { name: 'code', value: 'fr' },
        { name: 'scope', value: 'server' },
      ],
      '!setlang server fr',
    ],
    ['stats', [], '!stats'],
    ['watch', [{ name: 'page', value: ' Berliner Mauer ' }], '!watch Berliner Mauer'],
  ])('/%s %j → %s', (name, options, text) => {
    expect(slashToText(name, options, '!')).toBe(text);
  });
});

describe('command requests on the topic', () => {
  const request: CommandRequest = {
    v: 1,
    id: '1234567890123456789',
    text: '!ping',
    userId: '42',
    guildId: null,
    channelId: '7',
    canManageGuild: false,
    sentAt: 1,
    receivedAt: 2,
  };

  it('round-trip and refuse anything else', () => {
    expect(decodeRequest(encodeRequest(request))).toEqual({ ok: true, request });
    expect(decodeRequest('nope')).toEqual({ ok: false, reason: 'invalid_json' });
    expect(decodeRequest(JSON.stringify({ ...request, id: 'x' })).ok).toBe(false);
    expect(decodeRequest(JSON.stringify({ ...request, v: 2 })).ok).toBe(false);
  });

  it('derive reply nonces within Discord’s 25 characters', () => {
    expect(replyNonce('12345678901234567890', 3)).toBe('12345678901234567890.3');
    expect(replyNonce('12345678901234567890', 123456).length).toBeLessThanOrEqual(25);
  });
});
