/** Deterministic random command strings, friendly and hostile, for the fuzz tests. */
export { prng } from '@wikipulse/testing';

const NAMES = [
  'recent',
  'stats',
  'top',
  'setlang',
  'setLang',
  'watch',
  'unwatch',
  'help',
  'ping',
  'rc',
  'lang',
  'recnt',
  'x',
];
const TOKENS = [
  'de',
  'en',
  'multi',
  'commons',
  'wikidata',
  'zh-yue',
  'server',
  'user',
  'dee',
  'xx',
  '5',
  '0',
  '100',
  '101',
  '-1',
  '99999999999999999999',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  'today',
  'yesterday',
  '2026-11-22',
  '2026-02-30',
  '2999-01-01',
  '1970-01-01',
  '2026-1-1',
  "'; DROP TABLE changes; --",
  '{language:String}',
  '`',
  '```',
  '**bold**',
  '__u__',
  '||spoiler||',
  '> quote',
  '# heading',
  '[x](https://evil.example)',
  '@everyone',
  '@here',
  '<@123456789012345678>',
  '<@&123456789012345678>',
  '<#1>',
  '</recent:1>',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  '\u202eevil',
  '\u200b',
  'ＤＥ',
  'İ',
  'ß',
  '🙂',
  '👩‍👩‍👧‍👦',
  '\ud800',
  '\\',
  '\\\\',
  '%s%n',
  '${process.exit()}',
  'de:Berlin',
  'Talk:Foo',
  'commons:File:X.jpg',
  'a|b',
  '\u0000',
  '\r',
  '\t',
  'Berliner_Mauer',
];

export function randomCommand(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const roll = random();
  if (roll < 0.05) return `!${pick(NAMES)} ${'x'.repeat(Math.floor(random() * 5000))}`;
  if (roll < 0.1) {
    return Array.from({ length: Math.floor(random() * 60) }, () =>
      String.fromCharCode(Math.floor(random() * 0xffff)),
    ).join('');
  }
  const prefix = random() < 0.9 ? '!' : pick(['', '/', '!!', ' !', '?']);
  const args = Array.from({ length: Math.floor(random() * 5) }, () => pick(TOKENS));
  const separator = random() < 0.8 ? ' ' : pick(['  ', '\t', '\n', '\u3000']);
  return [`${prefix}${pick(NAMES)}`, ...args].join(separator);
}
