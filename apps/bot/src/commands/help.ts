import { SlashCommandBuilder } from 'discord.js';
import { code, info, problem, type Reply } from '../reply/model.js';
import { freeText } from '../core/args.js';
import type { CommandArgs, CommandContext } from '../core/types.js';

export const data = new SlashCommandBuilder()
  .setName('help')
  .setDescription('What Wikipulse can answer')
  .addStringOption((o) => o.setName('command').setDescription('One command in detail'))
  .toJSON();
export const names = ['help', 'commands'];
export const usage = '!help [command]';
export const summary = 'this list, or one command in detail';

export async function execute(context: CommandContext, args: CommandArgs): Promise<Reply> {
  await Promise.resolve();
  const asked = args.form === 'text' ? args.tokens[0] : freeText(args, 'command') || undefined;
  const wanted = asked?.toLowerCase().replace(/^[!/]/, '');
  const p = context.prefix;
  const shown = (usageText: string) => code(usageText.replace(/^!/, p));
  if (wanted !== undefined) {
    const command = context.commands.find((c) => c.names.includes(wanted));
    if (command === undefined) {
      return problem(
        'No command named ',
        code(wanted.slice(0, 32)),
        '. ',
        code(`${p}help`),
        ' lists them all.',
      );
    }
    return info([[shown(command.usage), ': ', command.summary]], {
      title: `${p}${command.names[0]!}`,
      footer: `also as /${command.data.name}`,
    });
  }
  return info(
    context.commands.map((c) => [shown(c.usage), ' — ', c.summary]),
    {
      title: 'Wikipulse commands',
      footer:
        'Every command also exists as a slash command. Languages: Wikimedia codes (en, de, zh-yue) or multi.',
    },
  );
}
