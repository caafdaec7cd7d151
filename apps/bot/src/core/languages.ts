import { KNOWN_LANGUAGES, MULTILINGUAL_WIKIS } from '@wikipulse/events';

export interface LanguageChoice {
  /** The stored language ('' for multilingual wikis). */
  language: string;
  /** Restricts to one wiki when the user named a multilingual wiki. */
  wiki?: string;
  /** How to show it: `de`, `multi`, `commons`. */
  label: string;
}

/** Reads a language token; undefined when it is not a known code or alias. */
export function languageChoice(token: string): LanguageChoice | undefined {
  const code = token.toLowerCase().replace(/_/g, '-');
  const wiki = MULTILINGUAL_WIKIS.get(code);
  if (wiki !== undefined) return { language: '', wiki, label: code };
  if (!KNOWN_LANGUAGES.has(code)) return undefined;
  return { language: code === 'multi' ? '' : code, label: code };
}

/** Known codes closest to what was typed (edit distance ≤ 2, or sharing its first letters). */
export function closeLanguages(token: string, max = 5): string[] {
  const typed = token.toLowerCase().replace(/_/g, '-').slice(0, 32);
  const candidates = [...KNOWN_LANGUAGES, ...MULTILINGUAL_WIKIS.keys()];
  return candidates
    .map((code) => ({ code, distance: editDistance(typed, code) }))
    .filter(
      ({ code, distance }) =>
        distance <= 2 || (typed.length >= 2 && code.startsWith(typed.slice(0, 2))),
    )
    .sort((a, b) => a.distance - b.distance || a.code.localeCompare(b.code))
    .slice(0, max)
    .map(({ code }) => code);
}

/** Levenshtein distance; inputs are short (bounded by the caller). */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j]!;
      previous[j] = Math.min(
        above + 1,
        previous[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
