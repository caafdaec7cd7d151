import { languagePreferences, type LanguagePreferences } from '@wikipulse/store';
import { closeLanguages, languageChoice, type LanguageChoice } from './languages.js';
import { code, problem, type Reply } from '../reply/model.js';
import type { CommandContext } from './types.js';

export const DEFAULT_LANGUAGE = 'en';

export type LanguageSource = 'command' | 'user' | 'server' | 'default';

export interface EffectiveLanguage extends LanguageChoice {
  source: LanguageSource;
}

/** The language a command uses: the one it names, else the user's, the server's, or `en`. */
export async function effectiveLanguage(
  context: CommandContext,
  explicit: LanguageChoice | undefined,
): Promise<EffectiveLanguage> {
  if (explicit !== undefined) return { ...explicit, source: 'command' };
  const stored = await storedPreferences(context);
  for (const [value, source] of [
    [stored.user, 'user'],
    [stored.guild, 'server'],
  ] as const) {
    const choice = value === undefined ? undefined : languageChoice(value);
    if (choice !== undefined) return { ...choice, source };
  }
  return { language: DEFAULT_LANGUAGE, label: DEFAULT_LANGUAGE, source: 'default' };
}

/** How long a worker trusts the preferences it read: a change made through another worker shows within this time. */
export const PREFERENCES_TTL_MS = 30_000;

export function preferencesKey(context: Pick<CommandContext, 'userId' | 'guildId'>): string {
  return `prefs:${context.userId}:${context.guildId ?? ''}`;
}

export function storedPreferences(context: CommandContext): Promise<LanguagePreferences> {
  return context.memo.get(preferencesKey(context), PREFERENCES_TTL_MS, () =>
    languagePreferences(context.store, { userId: context.userId, guildId: context.guildId }),
  );
}

/** The reply to an unknown language code: what was wrong and the closest known codes. */
export function unknownLanguage(token: string): Reply {
  const shown = token.slice(0, 24);
  const close = closeLanguages(token);
  if (close.length === 0) {
    return problem(
      'Unknown language code ',
      code(shown),
      '. Use a Wikimedia code such as ',
      code('en'),
      ', ',
      code('de'),
      ' or ',
      code('zh-yue'),
      ', or ',
      code('multi'),
      ' for Commons and Wikidata.',
    );
  }
  const suggestions = close.flatMap((c, i) => (i === 0 ? [code(c)] : [', ', code(c)]));
  return problem('Unknown language code ', code(shown), '. Did you mean ', ...suggestions, '?');
}
