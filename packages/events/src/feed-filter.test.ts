import { describe, expect, it } from 'vitest';
import {
  describeFilter,
  feedFilterSchema,
  filterFromOptions,
  filterQuery,
  parseFilterQuery,
  parseFilterWords,
  parseSpikeWords,
  readStoredFilter,
} from './feed-filter.js';

const ok = (words: string) => {
  const result = parseFilterWords(words === '' ? [] : words.split(' '));
  if (!result.ok) throw new Error(result.error);
  return result.filter;
};
const error = (words: string) => {
  const result = parseFilterWords(words.split(' '));
  if (result.ok) throw new Error(`accepted: ${words}`);
  return result.error;
};

describe('feed filters, prefix form', () => {
  it('reads every key and combines them', () => {
    expect(
      ok(
        'lang:de ns:1,0,1 type:new,log,edit bots:hide minor:only anon:hide size:500 user:Jimbo_Wales title:Berlin* log:delete',
      ),
    ).toEqual({
      kind: 'changes',
      language: 'de',
      namespaces: [0, 1],
      types: ['edit', 'new', 'log'],
      bots: 'hide',
      minor: 'only',
      anon: 'hide',
      minSize: 500,
      user: 'Jimbo Wales',
      title: 'Berlin*',
      logType: 'delete',
    });
    expect(ok('')).toEqual({ kind: 'changes' });
    expect(ok('lang:multi')).toEqual({ kind: 'changes', language: '' });
    expect(ok('lang:commons')).toEqual({ kind: 'changes', wiki: 'commonswiki' });
    expect(ok('WIKI:DEWIKI')).toEqual({ kind: 'changes', wiki: 'dewiki' });
  });

  it('says exactly what is wrong', () => {
    expect(error('de')).toMatch(/`de` is not a filter.*lang, wiki, ns/);
    expect(error('colour:red')).toMatch(/`colour:red` is not a filter/);
    expect(error('lang:xx')).toMatch(/`lang:xx`: unknown language code/);
    expect(error('lang:de wiki:dewiki')).toMatch(/either lang: or wiki:/);
    expect(error('ns:main')).toMatch(/`ns:main`: ns takes namespace numbers/);
    expect(error('ns:1,2,3,4,5,6,7,8,9,10,11')).toMatch(/at most 10/);
    expect(error('type:edit,vandalism')).toMatch(/`vandalism` is not a change type/);
    expect(error('bots:yes')).toMatch(/bots takes hide or only/);
    expect(error('size:-5')).toMatch(/size takes/);
    expect(error('size:0')).toMatch(/size takes/);
    expect(error(`title:${'a'.repeat(101)}`)).toMatch(/longer than 100/);
    expect(error('title:*a*b*c*d*e*f')).toMatch(/more than 5 `\*`/);
    expect(error('title:**')).toMatch(/every title/);
    expect(error('user:a[b]')).toMatch(/not a user name/);
    expect(error('log:Drop;Table')).toMatch(/a log type is a word/);
    expect(error('type:edit log:delete')).toMatch(/leaves log out/);
    expect(error('lang:de lang:fr')).toMatch(/given twice/);
    expect(error('constructor:x')).toMatch(/is not a filter/);
    expect(error('user:')).toMatch(/has no value/);
  });

  it('describes a filter as it would be typed again, and as the web view query', () => {
    const filter = ok('lang:de ns:0 bots:hide user:A_B title:X*');
    expect(describeFilter(filter)).toBe('lang:de ns:0 bots:hide user:A_B title:X*');
    expect(ok(describeFilter(filter).replace(/ /g, ' '))).toEqual(filter);
    expect(filterQuery(filter).toString()).toBe('lang=de&ns=0&bots=hide&user=A+B&title=X*');
    expect(describeFilter({ kind: 'changes' })).toBe('every change');
  });

  it('reads stored filters back only when they are valid', () => {
    const filter = ok('lang:de size:10');
    expect(readStoredFilter(JSON.stringify(filter))).toEqual(filter);
    expect(
      readStoredFilter('{"kind":"changes","title":"' + 'x'.repeat(500) + '"}'),
    ).toBeUndefined();
    expect(readStoredFilter('{"kind":"changes","regex":".*"}')).toBeUndefined();
    expect(readStoredFilter('nope')).toBeUndefined();
    expect(feedFilterSchema.safeParse({ kind: 'spikes', threshold: 1 }).success).toBe(false);
  });
});

describe('feed filters, web view query', () => {
  const query = (text: string, others: string[] = []) =>
    parseFilterQuery(new URLSearchParams(text), others);

  it('reads back every filter the bot links to', () => {
    for (const words of [
      'lang:de ns:0 bots:hide title:Berlin*',
      'lang:multi type:new,log log:delete',
      'lang:commons minor:only',
      'wiki:enwiktionary anon:only size:500 user:Jimbo_Wales title:*Mauer',
      '',
    ]) {
      const filter = ok(words);
      expect(query(filterQuery(filter).toString()), words).toEqual({ ok: true, filter });
    }
    expect(query('lang=en&feed=k3m9x2ab&limit=5', ['feed', 'limit'])).toEqual({
      ok: true,
      filter: { kind: 'changes', language: 'en' },
    });
    expect(query('title=Berliner_Mauer')).toEqual({
      ok: true,
      filter: { kind: 'changes', title: 'Berliner Mauer' },
    });
  });

  it('names the parameter at fault, written as in the link', () => {
    const error = (text: string) => {
      const result = query(text);
      return result.ok ? '' : result.error;
    };
    expect(error('lang=xx-nope')).toMatch(/^`lang=xx-nope`: unknown language code/);
    expect(error('feed=k3m9x2ab')).toMatch(/^`feed` is not a filter. Filters are lang, wiki/);
    expect(error('constructor=x')).toMatch(/^`constructor` is not a filter/);
    expect(error('ns=0&ns=1')).toBe('`ns=` is given twice.');
    expect(error('lang=de&wiki=dewiki')).toMatch(/^Give either lang= or wiki=/);
    expect(error('type=edit&log=delete')).toMatch(/`log=` selects log entries/);
    expect(error('title=' + 'x'.repeat(101))).toMatch(/^`title=` is longer than 100/);
  });
});

describe('feed filters, slash form and spikes', () => {
  it('takes typed options with spaces kept', () => {
    expect(
      filterFromOptions({
        lang: 'en',
        size: 100,
        user: 'Jimbo Wales',
        bots: 'only',
      }),
    ).toEqual({
      ok: true,
      filter: { kind: 'changes', language: 'en', minSize: 100, user: 'Jimbo Wales', bots: 'only' },
    });
    const bad = filterFromOptions({ type: 'edits' });
    expect(bad.ok ? '' : bad.error).toMatch(/`edits` is not a change type/);
  });

  it('reads spikes with a language and a threshold in either order', () => {
    expect(parseSpikeWords(['5', 'de'])).toEqual({
      ok: true,
      filter: { kind: 'spikes', language: 'de', threshold: 5 },
    });
    expect(parseSpikeWords([])).toEqual({ ok: true, filter: { kind: 'spikes' } });
    const low = parseSpikeWords(['1']);
    expect(low.ok ? '' : low.error).toMatch(/from 2 to 100/);
    const two = parseSpikeWords(['de', 'fr']);
    expect(two.ok ? '' : two.error).toMatch(/one too many/);
  });
});
