import { KNOWN_LANGUAGES, MULTILINGUAL_WIKIS } from '@wikipulse/events';

const WIKI_PROJECTS = [
  'wiki',
  'wiktionary',
  'wikibooks',
  'wikinews',
  'wikiquote',
  'wikisource',
  'wikiversity',
  'wikivoyage',
];

/**
 * Autocomplete suggestions (at most 25, Discord's limit) for the `lang` and `wiki` options,
 * from the codes the bot knows: answered by the gateway without a round trip to a worker.
 */
export function suggest(option: string, typed: string): string[] {
  const text = typed.toLowerCase().trim().slice(0, 40);
  if (option === 'lang') {
    const codes = [...KNOWN_LANGUAGES, ...MULTILINGUAL_WIKIS.keys()];
    return [
      ...codes.filter((c) => c === text),
      ...codes.filter((c) => c !== text && c.startsWith(text)),
    ].slice(0, 25);
  }
  if (option === 'wiki') {
    const multi = [...MULTILINGUAL_WIKIS.values()].filter((w) => w.startsWith(text));
    const match = /^([a-z-]+?)(wik.*)?$/.exec(text);
    const language = match?.[1]?.replace(/-/g, '_') ?? '';
    const sites =
      language !== '' && KNOWN_LANGUAGES.has(language.replace(/_/g, '-'))
        ? WIKI_PROJECTS.map((p) => `${language}${p}`).filter((w) =>
            w.startsWith(text.replace(/-/g, '_')),
          )
        : [];
    const languages =
      text.length >= 1 && sites.length === 0
        ? [...KNOWN_LANGUAGES]
            .filter((c) => c.startsWith(text) && c !== 'multi')
            .map((c) => `${c.replace(/-/g, '_')}wiki`)
        : [];
    return [...new Set([...sites, ...multi, ...languages])].slice(0, 25);
  }
  return [];
}
