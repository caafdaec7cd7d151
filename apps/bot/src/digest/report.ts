import { dailyChartPng } from '@wikipulse/charts';
import { dailyOverview, type DailyOverview, type Scope, type Store } from '@wikipulse/store';
import { languageChoice } from '../core/languages.js';
import { pageUrl } from '../core/wiki.js';
import { bold, info, link, say, type Line, type Reply } from '../reply/model.js';
import { truncate } from '../commands/recent.js';

/** What a digest covers: every wiki (`all`), or one language or multilingual wiki. */
export interface DigestScope {
  /** As stored and shown: `all`, `de`, `multi`, `commons`. */
  label: string;
  scope: Scope;
}

export const ALL_WIKIS: DigestScope = { label: 'all', scope: { language: null } };

/** `all` (or nothing), a language code or a multilingual wiki's alias; undefined otherwise. */
export function digestScope(token: string | undefined): DigestScope | undefined {
  if (token === undefined || token.toLowerCase() === 'all') return ALL_WIKIS;
  const choice = languageChoice(token);
  if (choice === undefined) return undefined;
  return {
    label: choice.label,
    scope: {
      language: choice.language,
      ...(choice.wiki !== undefined ? { wiki: choice.wiki } : {}),
    },
  };
}

/** The day before `now`'s, UTC: what a scheduled digest reports. */
export function previousDay(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** The digest of one day: the overview read from the store, as a reply with its chart. */
export async function digestReply(store: Store, day: string, scope: DigestScope): Promise<Reply> {
  return renderDigest(await dailyOverview(store, { ...scope.scope, day }), scope);
}

const format = new Intl.NumberFormat('en-US');

/** An overview as a reply: figures as fields, the top lists as lines, the chart attached. */
export function renderDigest(overview: DailyOverview, scope: DigestScope): Reply {
  const { stats, day } = overview;
  const where = scope.label === 'all' ? 'all wikis' : scope.label;
  const title = `Daily digest · ${where} · ${day} (UTC)`;
  if (stats.total === 0) {
    return say(bold(title), `: no changes are stored for ${where} on ${day}.`);
  }
  const types = Object.entries(stats.byType)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([type, n]) => `${type || '(none)'} ${format.format(n)}`)
    .join(' · ');
  const hours = busiestHour(overview.hourly);
  const lines: Line[] = [[bold('Top pages')]];
  if (overview.topPages.length === 0) lines.push(['no edits']);
  for (const [i, page] of overview.topPages.entries()) {
    lines.push([
      `${i + 1}. `,
      link(truncate(page.title, 100), pageUrl(page.server_url, page.title)),
      ` (${page.wiki}) · ${format.format(page.edits)} edits by ${format.format(page.editors)}`,
    ]);
  }
  lines.push([bold('Top editors (people)')]);
  if (overview.topEditors.length === 0) lines.push(['no edits by people']);
  for (const [i, editor] of overview.topEditors.entries()) {
    lines.push([`${i + 1}. ${truncate(editor.user, 80)} · ${format.format(editor.edits)} edits`]);
  }
  return info(lines, {
    title,
    fields: [
      {
        name: 'changes',
        value: `${format.format(stats.total)} (${dayOnDay(stats.total, overview.previousTotal)})`,
      },
      { name: 'by type', value: types },
      {
        name: 'people / bots',
        value: `${format.format(stats.humans)} / ${format.format(stats.bots)} (${Math.round((100 * stats.bots) / stats.total)}% bots)`,
      },
      {
        name: 'busiest hour',
        value: `${pad(hours.hour)}:00–${pad(hours.hour + 1)}:00 UTC, ${format.format(hours.changes)} changes`,
      },
    ],
    image: {
      name: `digest-${day}-${scope.label.replace(/[^A-Za-z0-9-]/g, '_')}.png`,
      png: dailyChartPng({
        title: `Changes per hour · ${where} · ${day} (UTC)`,
        hourly: overview.hourly,
      }),
      description: `Changes per hour on ${day} (UTC) for ${where}, stacked by type`,
    },
  });
}

/** The hour with the most changes (the earliest of equals). */
export function busiestHour(hourly: DailyOverview['hourly']): { hour: number; changes: number } {
  const perHour = new Array<number>(24).fill(0);
  for (const row of hourly) perHour[row.hour] = (perHour[row.hour] ?? 0) + row.changes;
  let hour = 0;
  for (let h = 1; h < 24; h += 1) if (perHour[h]! > perHour[hour]!) hour = h;
  return { hour, changes: perHour[hour]! };
}

/** `+12.5% on the day before`, or why there is no percentage. */
export function dayOnDay(total: number, previous: number): string {
  if (previous === 0) return 'none stored the day before';
  const change = ((total - previous) / previous) * 100;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change).toFixed(1)}% on the day before`;
}

function pad(hour: number): string {
  return String(hour).padStart(2, '0');
}
