import type { ClickHouseClient } from '@clickhouse/client';
import { wikiSite } from '@wikipulse/events';

/** Stored rows sharing a wiki, host and attribution: the unit a re-attribution moves. */
interface StoredGroup {
  wiki: string;
  server_url: string;
  language: string;
  project: string;
}

export interface ReattributionReport {
  /** Stored rows whose language or project changed. */
  rows: number;
  /** (wiki, former language) pairs whose daily counts were counted again. */
  recounted: number;
}

/** `https://en.wikipedia.org` → `en.wikipedia.org`: the event's `server_name`, which rows do not keep. */
function hostOf(serverUrl: string): string | undefined {
  return /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/:?#]+)/i.exec(serverUrl)?.[1];
}

/**
 * Brings stored changes and their daily counts to what `wikiSite` says today, for rows written
 * under an older attribution.
 *
 * `language` is part of `changes`' sorting key, so a row cannot be updated in place, and a
 * corrected copy next to the old row would be a second row of the same event. Each affected
 * row is therefore copied with its new language and project, and then the old row is deleted.
 * The copy passes through `daily_counts_mv`, which adds its event id to the corrected
 * (day, language, wiki, type, bot) group. The old group still holds the id, and a set of ids
 * cannot lose one, so every group of a (wiki, former language) pair is deleted and counted
 * again from the rows that keep that pair (none, unless the pair's attribution depended on
 * the host).
 *
 * `db` is interpolated: callers pass the name `migrate` has checked.
 *
 * Safe to run again after an interruption at any step: copies collapse with each other
 * (same sorting key), id sets only grow by union, and the old rows go last, so a run that
 * finds none has nothing left to do.
 */
export async function reattributeChanges(
  client: ClickHouseClient,
  db: string,
): Promise<ReattributionReport> {
  const result = await client.query({
    query: `SELECT wiki, server_url, language, project, count() AS n
            FROM ${db}.changes
            GROUP BY wiki, server_url, language, project`,
    format: 'JSONEachRow',
  });
  const moves: (StoredGroup & { to_language: string; to_project: string })[] = [];
  let rows = 0;
  for (const group of await result.json<StoredGroup & { n: number | string }>()) {
    const site = wikiSite(group.wiki || undefined, hostOf(group.server_url));
    const to_language = site.language ?? '';
    if (to_language === group.language && site.project === group.project) continue;
    moves.push({ ...group, to_language, to_project: site.project });
    rows += Number(group.n);
  }
  if (moves.length === 0) return { rows: 0, recounted: 0 };

  const moved = {
    wikis: moves.map((m) => m.wiki),
    urls: moves.map((m) => m.server_url),
    languages: moves.map((m) => m.language),
    projects: moves.map((m) => m.project),
  };
  // Position (1-based) of a row's group among the moves; 0 for rows that stay.
  const moveOf = `indexOf(
      arrayZip({wikis:Array(String)}, {urls:Array(String)}, {languages:Array(String)}, {projects:Array(String)}),
      (toString(wiki), toString(server_url), toString(language), toString(project)))`;
  // Every step reads only the former languages' ranges of the sorting key.
  const formerLanguages = 'language IN {languages:Array(String)}';

  // No FINAL: copies of an event collapse with each other anyway (same sorting key), and
  // without it the filter reads only the four key columns of the rows that stay.
  await client.command({
    query: `INSERT INTO ${db}.changes
              (event_id, event_time, wiki, language, project, type, namespace, title, user, bot,
               minor, length_old, length_new, revision_old, revision_new, comment, server_url,
               log_type, log_action, extra, ingested_at)
            WITH ${moveOf} AS move
            SELECT event_id, event_time, wiki,
                   {to_languages:Array(String)}[move], {to_projects:Array(String)}[move],
                   type, namespace, title, user, bot, minor, length_old, length_new,
                   revision_old, revision_new, comment, server_url, log_type, log_action, extra,
                   ingested_at
            FROM ${db}.changes
            WHERE ${formerLanguages} AND move > 0`,
    query_params: {
      ...moved,
      to_languages: moves.map((m) => m.to_language),
      to_projects: moves.map((m) => m.to_project),
    },
    // A retried copy must not be skipped as a duplicate block: its view insert is what fills
    // the corrected counts.
    clickhouse_settings: { insert_deduplicate: 0 },
  });

  const pairs = [...new Map(moves.map((m) => [`${m.wiki}\u0000${m.language}`, m])).values()];
  const formerPairs = `has(arrayZip({pair_wikis:Array(String)}, {pair_languages:Array(String)}),
                           (toString(wiki), toString(language)))`;
  const pairParams = {
    pair_wikis: pairs.map((m) => m.wiki),
    pair_languages: pairs.map((m) => m.language),
  };
  // Lightweight deletes: they mark rows instead of rewriting every part that holds one, and
  // every part holds some rows of the language-less range. `mutations_sync` makes servers
  // before 24.4 wait for them as later ones do by default.
  const waitForDelete = { mutations_sync: '2' } as const;
  await client.command({
    query: `DELETE FROM ${db}.daily_counts WHERE ${formerPairs}`,
    query_params: pairParams,
    clickhouse_settings: waitForDelete,
  });
  await client.command({
    query: `INSERT INTO ${db}.daily_counts
            SELECT toDate(event_time) AS day, language, wiki, type, bot,
                   uniqExactState(event_id) AS events
            FROM ${db}.changes
            WHERE ${formerLanguages} AND ${formerPairs} AND ${moveOf} = 0
            GROUP BY day, language, wiki, type, bot`,
    query_params: { ...moved, ...pairParams },
  });

  await client.command({
    query: `DELETE FROM ${db}.changes WHERE ${formerLanguages} AND ${moveOf} > 0`,
    query_params: moved,
    clickhouse_settings: waitForDelete,
  });
  return { rows, recounted: pairs.length };
}
