import { chTime, db, select, type Store } from './context.js';

export type PreferenceScope = 'user' | 'guild';

export interface LanguagePreferences {
  user?: string;
  guild?: string;
}

/** The stored default languages of a user and of a guild (either may be absent). */
export async function languagePreferences(
  store: Store,
  subjects: { userId: string; guildId: string | null },
): Promise<LanguagePreferences> {
  const rows = await select<{ scope: PreferenceScope; language: string }>(
    store,
    `SELECT scope, argMax(language, updated_at) AS language
     FROM ${db(store)}.language_preferences
     WHERE (scope = 'user' AND subject_id = {user:String})
        OR (scope = 'guild' AND subject_id = {guild:String})
     GROUP BY scope`,
    { user: subjects.userId, guild: subjects.guildId ?? '' },
  );
  const out: LanguagePreferences = {};
  for (const row of rows) {
    if (row.scope === 'guild' && subjects.guildId === null) continue;
    out[row.scope] = row.language;
  }
  return out;
}

export async function setLanguagePreference(
  store: Store,
  preference: { scope: PreferenceScope; subjectId: string; language: string; at?: Date },
): Promise<void> {
  await store.client.insert({
    table: `${db(store)}.language_preferences`,
    values: [
      {
        scope: preference.scope,
        subject_id: preference.subjectId,
        language: preference.language,
        updated_at: chTime(preference.at ?? new Date()),
      },
    ],
    format: 'JSONEachRow',
  });
}
