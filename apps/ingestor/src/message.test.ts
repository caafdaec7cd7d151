import { describe, expect, it } from 'vitest';
import type { RecentChange } from '@wikipulse/events';
import { acceptedMessage, messageKey } from './message.js';

const event: RecentChange = {
  $schema: '/mediawiki/recentchange/1.0.0',
  meta: {
    id: '0d1fb63c-68b1-4abc-9db6-ed9397a5c8be',
    dt: '2026-09-17T03:42:33.778Z',
    stream: 'mediawiki.recentchange',
  },
  wiki: 'commonswiki',
  title: 'File:Example.jpg',
};

describe('messageKey', () => {
  it('keys by page, so one page stays in order and a large wiki spreads over partitions', () => {
    expect(messageKey(event)).toBe('commonswiki|File:Example.jpg');
    expect(messageKey({ ...event, title: 'File:Other.jpg' })).not.toBe(messageKey(event));
  });

  it('falls back to meta.id without a page', () => {
    expect(messageKey({ ...event, title: '' })).toBe(event.meta.id);
    const noWiki: RecentChange = { ...event };
    delete noWiki.wiki;
    expect(messageKey(noWiki)).toBe(event.meta.id);
  });
});

describe('acceptedMessage', () => {
  it('keeps the received text as the value and names the event in a header', () => {
    const raw = ` ${JSON.stringify(event)}`;
    expect(acceptedMessage(event.meta.id, messageKey(event), raw)).toEqual({
      key: 'commonswiki|File:Example.jpg',
      value: raw,
      headers: { 'meta-id': event.meta.id },
    });
  });
});
