import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandService, Handled } from './core/service.js';
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
    const result = await runConsoleLine(service, line);
    if (result !== null) {
      handled += 1;
      const ok = output.write(`${renderText(result.reply)}\n\n`);
      if (!ok) await new Promise((resolve) => output.once('drain', resolve));
    }
    onLineDone();
  }
  return handled;
}

/** The user the stdin console runs commands as; the HTTP console's default user too. */
export const CONSOLE_USER = 'console';

/**
 * One console command through the same service Discord's commands go through, outside any
 * server (no guild, no Manage Server). The leading prefix may be left out.
 */
export function runConsoleLine(
  service: CommandService,
  line: string,
  userId: string = CONSOLE_USER,
): Promise<Handled | null> {
  const trimmed = line.trim();
  return service.handle({
    text: trimmed.startsWith(service.prefix) ? trimmed : `${service.prefix}${trimmed}`,
    userId,
    guildId: null,
    channelId: 'console',
    canManageGuild: false,
    canManageChannels: false,
  });
}
