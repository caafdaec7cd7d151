import { SlashCommandBuilder } from 'discord.js';
import { languagePreferences, setLanguagePreference } from '@wikipulse/store';
import { freeText } from '../core/args.js';
import { DEFAULT_LANGUAGE, unknownLanguage } from '../core/language.js';
import { languageChoice } from '../core/languages.js';
import { bold, code, problem, say, type Reply } from '../reply/model.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('setlang')
  .setDescription('Your default language, or the server’s')
  .addStringOption((o) =>
    o.setName('code').setDescription('A Wikimedia language code: en, de, zh-yue, multi'),
  )
  .addStringOption((o) =>
    o
      .setName('scope')
      .setDescription('Whose default to set')
      .addChoices({ name: 'me', value: 'user' }, { name: 'server', value: 'server' }),
  )
  .toJSON();
export const names = ['setlang', 'lang'];
export const usage = '!setLang [server] <code>';
export const summary =
  'your default language; with server, the server’s (needs Manage Server); alone, the current one';

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  if (args.form === 'slash') {
    const language = freeText(args, 'code');
    if (language === '') return current(context);
    return set(context, args.options['scope'] === 'server' ? 'guild' : 'user', language);
  }
  const [first, second, ...rest] = args.tokens;
  if (first === undefined) return current(context);
  const scope = first.toLowerCase();
  if (rest.length > 0 || (second !== undefined && scope !== 'server' && scope !== 'user')) {
    return problem(
      'Usage: ',
      code(`${context.prefix}setLang [server] <code>`),
      ', e.g. ',
      code(`${context.prefix}setLang de`),
      '.',
    );
  }
  if (scope === 'server' || scope === 'user') {
    if (second === undefined) return current(context);
    return set(context, scope === 'server' ? 'guild' : 'user', second);
  }
  return set(context, 'user', first);
}

async function set(
  context: CommandContext,
  scope: 'user' | 'guild',
  token: string,
): Promise<Reply> {
  if (scope === 'guild') {
    if (context.guildId === null)
      return problem('Server languages can only be set inside a server.');
    if (!context.canManageGuild) {
      return problem(
        'Setting the server’s language needs the Manage Server permission. ',
        code(`${context.prefix}setLang <code>`),
        ' sets your own.',
      );
    }
  }
  const choice = languageChoice(token);
  if (choice === undefined || choice.wiki !== undefined) return unknownLanguage(token);
  await setLanguagePreference(context.store, {
    scope,
    subjectId: scope === 'guild' ? context.guildId! : context.userId,
    language: choice.language === '' ? 'multi' : choice.language,
    at: context.now,
  });
  context.memo.forget((key) =>
    scope === 'guild'
      ? key.startsWith('prefs:') && key.endsWith(`:${context.guildId!}`)
      : key.startsWith(`prefs:${context.userId}:`),
  );
  return say(
    scope === 'guild' ? 'This server’s default language is now ' : 'Your default language is now ',
    code(choice.label),
    '.',
  );
}

async function current(context: CommandContext): Promise<Reply> {
  const stored = await languagePreferences(context.store, {
    userId: context.userId,
    guildId: context.guildId,
  });
  const user = stored.user;
  const server = stored.guild;
  const effective = user ?? server ?? DEFAULT_LANGUAGE;
  const source =
    user !== undefined
      ? 'your setting'
      : server !== undefined
        ? 'this server’s setting'
        : 'the default';
  return say(
    'Language: ',
    code(effective),
    ` (from ${source}). Yours: `,
    user === undefined ? bold('not set') : code(user),
    '; server: ',
    context.guildId === null
      ? bold('none here')
      : server === undefined
        ? bold('not set')
        : code(server),
    '; default: ',
    code(DEFAULT_LANGUAGE),
    '.',
  );
}
