import { readdir } from 'node:fs/promises';
import type { Command } from '../core/types.js';

/**
 * Loads every command file in this folder. A command file exports `data` (its slash
 * definition), `names`, `usage`, `summary` and `execute`; a file that does not is a
 * programming error and stops the start-up.
 */
export async function loadCommands(): Promise<Command[]> {
  const folder = new URL('./', import.meta.url);
  const files = (await readdir(folder))
    .filter((f) => /\.(js|ts)$/.test(f) && !/\.d\.ts$|\.test\.ts$|^index\./.test(f))
    .sort();
  const commands: Command[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, folder).href)) as Record<string, unknown>;
    if (!isCommandModule(module)) throw new Error(`${file} is not a command module`);
    commands.push({
      data: module.data,
      names: module.names,
      usage: module.usage,
      summary: module.summary,
      execute: module.execute,
    });
  }
  const seen = new Set<string>();
  for (const name of commands.flatMap((c) => c.names)) {
    if (seen.has(name)) throw new Error(`two commands are named ${name}`);
    seen.add(name);
  }
  return sortForHelp(commands);
}

function isCommandModule(
  module: Record<string, unknown>,
): module is Record<string, unknown> & Command {
  return (
    typeof module['data'] === 'object' &&
    module['data'] !== null &&
    typeof (module['data'] as { name?: unknown }).name === 'string' &&
    Array.isArray(module['names']) &&
    (module['names'] as unknown[]).every((n) => typeof n === 'string') &&
    typeof module['usage'] === 'string' &&
    typeof module['summary'] === 'string' &&
    typeof module['execute'] === 'function'
  );
}

const HELP_ORDER = ['recent', 'stats', 'top', 'setlang', 'watch', 'unwatch', 'ping', 'help'];

function sortForHelp(commands: Command[]): Command[] {
  const rank = (c: Command) => {
    const i = HELP_ORDER.indexOf(c.names[0]!);
    return i === -1 ? HELP_ORDER.length : i;
  };
  return [...commands].sort((a, b) => rank(a) - rank(b) || a.names[0]!.localeCompare(b.names[0]!));
}
