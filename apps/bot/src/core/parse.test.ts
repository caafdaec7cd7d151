import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_LENGTH, parseCommandLine, parseDay, parseInteger } from './parse.js';
import { closeLanguages, languageChoice } from './languages.js';
import { normaliseTitle, pageUrl, wikipediaOf } from './wiki.js';

describe('parseCommandLine', () => {
  it.each([
    ['!recent 5 de', { kind: 'command', name: 'recent', args: ['5', 'de'] }],
    ['  !setLang   server\tfr ', { kind: 'command', name: 'setlang', args: ['server', 'fr'] }],
    ['!PING', { kind: 'command', name: 'ping', args: [] }],
    ['hello !recent', { kind: 'none' }],
    ['!', { kind: 'none' }],
    ['', { kind: 'none' }],
    ['!   ', { kind: 'none' }],
  ])('%j → %j', (text, expected) => {
    expect(parseCommandLine(text)).toEqual(expected);
  });

  it('refuses huge input and too many arguments before anything else sees them', () => {
    expect(parseCommandLine(`!recent ${'9'.repeat(MAX_COMMAND_LENGTH)}`)).toEqual({
      kind: 'too_long',
    });
    expect(parseCommandLine(`!watch ${'a '.repeat(20)}`)).toEqual({
      kind: 'too_many_args',
      name: 'watch',
    });
  });

  it('honours another prefix', () => {
    expect(parseCommandLine('?stats', '?')).toEqual({ kind: 'command', name: 'stats', args: [] });
    expect(parseCommandLine('!stats', '?')).toEqual({ kind: 'none' });
  });
});

describe('parseInteger', () => {
  it('accepts plain decimal numbers within bounds only', () => {
    expect(parseInteger('5', 1, 100)).toBe(5);
    expect(parseInteger('100', 1, 100)).toBe(100);
    expect(parseInteger('0', 1, 100)).toBeUndefined();
    expect(parseInteger('101', 1, 100)).toBeUndefined();
    expect(parseInteger('-1', 0, 100)).toBeUndefined();
    expect(parseInteger('1e3', 1, 10_000)).toBeUndefined();
    expect(parseInteger('0x10', 1, 100)).toBeUndefined();
    expect(parseInteger('9'.repeat(30), 1, 100)).toBeUndefined();
  });
});

describe('parseDay', () => {
  const now = new Date('2026-11-22T10:00:00Z');
  it.each([
    ['2026-11-22', { ok: true, day: '2026-11-22' }],
    ['today', { ok: true, day: '2026-11-22' }],
    ['Yesterday', { ok: true, day: '2026-11-21' }],
    ['2026-11-23', { ok: false, reason: 'future' }],
    ['2026-02-30', { ok: false, reason: 'invalid' }],
    ['2026-13-01', { ok: false, reason: 'invalid' }],
    ['2026-1-1', { ok: false, reason: 'format' }],
    ['2025-01-01', { ok: false, reason: 'expired' }],
  ])('%s → %j', (token, expected) => {
    expect(parseDay(token, now, 30)).toEqual(expected);
  });
});

describe('languages', () => {
  it('knows Wikimedia codes, aliases and the multilingual wikis', () => {
    expect(languageChoice('de')).toEqual({ language: 'de', label: 'de' });
    expect(languageChoice('ZH_YUE')).toEqual({ language: 'zh-yue', label: 'zh-yue' });
    expect(languageChoice('multi')).toEqual({ language: '', label: 'multi' });
    expect(languageChoice('commons')).toEqual({
      language: '',
      wiki: 'commonswiki',
      label: 'commons',
    });
    expect(languageChoice('xx')).toBeUndefined();
    expect(languageChoice('constructor')).toBeUndefined();
  });

  it('suggests close codes for typos', () => {
    expect(closeLanguages('dee')[0]).toBe('de');
    expect(closeLanguages('englsh')).toContain('en');
    expect(closeLanguages('qqqqqqq')).toEqual([]);
    expect(closeLanguages('fra')).toContain('fr');
  });
});

describe('wiki helpers', () => {
  it('normalises titles as MediaWiki does and refuses impossible ones', () => {
    expect(normaliseTitle('berliner_mauer')).toEqual({ ok: true, title: 'Berliner mauer' });
    expect(normaliseTitle('  ábc   def ')).toEqual({ ok: true, title: 'Ábc def' });
    expect(normaliseTitle('a|b').ok).toBe(false);
    expect(normaliseTitle('').ok).toBe(false);
    expect(normaliseTitle('é'.repeat(200)).ok).toBe(false);
  });

  it('links pages and names Wikipedias', () => {
    expect(pageUrl('https://de.wikipedia.org', 'Köln Hbf')).toBe(
      'https://de.wikipedia.org/wiki/K%C3%B6ln_Hbf',
    );
    expect(pageUrl('https://en.wikipedia.org', 'AC/DC: Live')).toBe(
      'https://en.wikipedia.org/wiki/AC/DC:_Live',
    );
    expect(wikipediaOf('zh-min-nan')).toBe('zh_min_nanwiki');
    expect(wikipediaOf('be-tarask')).toBe('be_x_oldwiki');
  });
});
