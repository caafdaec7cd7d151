import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandService } from './core/service.js';
import { renderText } from './reply/text.js';

/**
 * The console adapter: one command per input line, its reply as plain text, then the next.
 * The leading `!` may be left out. Resolves at the end of input.
 */
export async function runConsole(
  service: CommandService,
  input: Readable,
  output: Writable,
  onLineDone: () => void = () => {},
): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  let handled = 0;
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      onLineDone();
      continue;
    }
    const text = line.startsWith(service.prefix) ? line : `${service.prefix}${line}`;
    const result = await service.handle({
      text,
      userId: 'console',
      guildId: null,
      channelId: 'console',
      canManageGuild: false,
    });
    if (result !== null) {
      handled += 1;
      const ok = output.write(`${renderText(result.reply)}\n\n`);
      if (!ok) await new Promise((resolve) => output.once('drain', resolve));
    }
    onLineDone();
  }
  return handled;
}
