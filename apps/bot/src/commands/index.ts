import type { Command } from '../core/types.js';
import * as digest from './digest.js';
import * as feed from './feed.js';
import * as help from './help.js';
import * as ping from './ping.js';
import * as recent from './recent.js';
import * as setlang from './setlang.js';
import * as stats from './stats.js';
import * as top from './top.js';
import * as trending from './trending.js';
import * as unwatch from './unwatch.js';
import * as watch from './watch.js';

/**
 * Every command, in the order `!help` lists them. The one registry: the command service looks
 * commands up here by prefix name and slash name, `npm run bot:register` registers their slash
 * definitions, and `!help` reads their usage.
 */
export const COMMANDS: readonly Command[] = [
  recent,
  stats,
  top,
  trending,
  feed,
  digest,
  setlang,
  watch,
  unwatch,
  ping,
  help,
].map(({ data, names, usage, summary, execute }) => ({ data, names, usage, summary, execute }));
