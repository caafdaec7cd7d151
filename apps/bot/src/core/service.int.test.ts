import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_LANGUAGES } from '@wikipulse/events';
import { openTestClickHouse, type TestClickHouse } from '@wikipulse/testing/vitest';
import { DISCORD_LIMITS, renderDiscord } from '../reply/discord.js';
import { renderText } from '../reply/text.js';
import { commandService, eventsFor, insertEvents, migrated } from '../test/helpers.js';
import { prng, randomCommand } from '../test/fuzz.js';
import type { CommandService } from './service.js';

let ch: TestClickHouse;
let service: CommandService;
const count = async (table: string) => {
  const result = await ch.client.query({
    query: `SELECT count() AS n FROM ${ch.database}.${table}`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ n: number }>())[0]!.n;
};

beforeAll(async () => {
  ch = await openTestClickHouse();
  const store = { client: ch.client, database: ch.database };
  await migrated(store);
  await insertEvents(store, [
    ...eventsFor('de', 50, Date.now() - 3_600_000),
    ...eventsFor('en', 50, Date.now() - 1_800_000),
  ]);
  service = commandService(store);
});
afterAll(async () => {
  await ch.close();
});

describe('handlers under fuzz, against the real store', () => {
  it('answer 2,000 random and hostile commands within Discord limits, never throwing, store intact', async () => {
    const random = prng(4242);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 2000; i += 1) {
      const text = randomCommand(random);
      const handled = await service.handle({
        text,
        userId: `fuzzer${i % 7}`,
        guildId: i % 3 === 0 ? null : 'g1',
        channelId: `c${i % 5}`,
        canManageGuild: i % 2 === 0,
      });
      if (handled === null) continue;
      outcomes.set(handled.outcome, (outcomes.get(handled.outcome) ?? 0) + 1);
      expect(handled.outcome, text).not.toBe('failed');
      for (const message of renderDiscord(handled.reply)) {
        expect(message.allowed_mentions).toEqual({ parse: [] });
        expect((message.content ?? '').length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
        expect(message.embeds?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.embedsPerMessage);
        for (const embed of message.embeds ?? []) {
          expect(embed.description?.length ?? 0).toBeLessThanOrEqual(
            DISCORD_LIMITS.embedDescription,
          );
        }
      }
      // eslint-disable-next-line no-control-regex
      expect(renderText(handled.reply)).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    }
    expect(outcomes.get('ok')).toBeGreaterThan(100);
    expect(outcomes.get('bad_input')).toBeGreaterThan(100);
    expect(await count('changes')).toBe(100);
    const prefs = await ch.client.query({
      query: `SELECT DISTINCT language FROM ${ch.database}.language_preferences`,
      format: 'JSONEachRow',
    });
    for (const { language } of await prefs.json<{ language: string }>())
      expect(KNOWN_LANGUAGES.has(language)).toBe(true);
  });

  it('reads the newest changes and the day’s counts', async () => {
    const recent = await service.handle({
      text: '!recent 3 de',
      userId: 'r',
      guildId: null,
      channelId: 'c',
      canManageGuild: false,
    });
    expect(recent?.reply.title).toBe('Latest 3 changes · de');
    const stats = await service.handle({
      text: '!stats en',
      userId: 'r',
      guildId: null,
      channelId: 'c',
      canManageGuild: false,
    });
    const day = new Date(Date.now() - 1_800_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const fields = Object.fromEntries((stats?.reply.fields ?? []).map((f) => [f.name, f.value]));
    if (day === today) {
      expect(Number(fields['humans']!.split(' ')[0]) + Number(fields['bots']!.split(' ')[0])).toBe(
        50,
      );
    }
    expect(stats?.reply.title).toBe(`Changes on ${today} · en`);
  });
});
