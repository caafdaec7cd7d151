import { describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { clickHouseTime, toChangeRow } from './rows.js';

const event: RecentChange = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: {
    id: '0d1fb63c-68b1-4abc-9db6-ed9397a5c8be',
    dt: '2026-09-17T03:42:33.778Z',
    stream: 'mediawiki.recentchange',
    domain: 'ar.wiktionary.org',
    request_id: 'r1',
    partition: 0,
  },
  id: 42,
  type: 'new',
  namespace: 0,
  title: 'كلمة',
  user: 'Someone',
  bot: false,
  minor: true,
  length: { old: null, new: 120 },
  revision: { new: 7 },
  comment: 'c',
  parsedcomment: '<b>c</b>',
  server_url: 'https://ar.wiktionary.org',
  server_name: 'ar.wiktionary.org',
  wiki: 'arwiktionary',
  title_url: 'https://ar.wiktionary.org/wiki/x',
};

describe('toChangeRow', () => {
  it('promotes the queried fields and keeps the rest as compact JSON', () => {
    const row = toChangeRow(event);
    expect(row).toMatchObject({
      event_id: event.meta.id,
      event_time: '2026-09-17 03:42:33.778',
      wiki: 'arwiktionary',
      language: 'ar',
      project: 'wiktionary',
      type: 'new',
      length_old: null,
      length_new: 120,
      revision_old: null,
      revision_new: 7,
      log_type: '',
    });
    expect(row.extra).toEqual({
      id: 42,
      title_url: 'https://ar.wiktionary.org/wiki/x',
      meta: { request_id: 'r1', partition: 0 },
    });
  });

  it('normalises any ISO offset to UTC', () => {
    expect(clickHouseTime('2026-11-22T01:30:00+02:00')).toBe('2026-11-21 23:30:00.000');
    expect(clickHouseTime('2026-11-22T01:30:00Z')).toBe('2026-11-22 01:30:00.000');
    expect(clickHouseTime('2026-11-22T01:30:00.5Z')).toBe('2026-11-22 01:30:00.500');
    expect(clickHouseTime('2026-11-22T01:30:00.123456Z')).toBe('2026-11-22 01:30:00.123');
    expect(() => clickHouseTime('yesterday')).toThrow(/date-time/);
  });
});
