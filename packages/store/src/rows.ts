import { wikiSite, type RecentChange, type WikiSite } from '@wikipulse/events';

/** One row of `changes`, as inserted with JSONEachRow. */
export interface ChangeRow {
  event_id: string;
  /** `YYYY-MM-DD hh:mm:ss.sss`, UTC. */
  event_time: string;
  wiki: string;
  /** '' for multilingual wikis (Commons, Wikidata, …). */
  language: string;
  project: string;
  type: string;
  namespace: number;
  title: string;
  user: string;
  bot: boolean;
  minor: boolean;
  length_old: number | null;
  length_new: number | null;
  revision_old: number | null;
  revision_new: number | null;
  comment: string;
  server_url: string;
  log_type: string;
  log_action: string;
  /**
   * The event's other fields, stored as compact JSON text in a String column: JSONEachRow
   * inserts read an object into a String as its text (`input_format_json_read_objects_as_strings`),
   * which spares serialising it twice. Kafka keeps the whole event for reprocessing.
   */
  extra: Record<string, unknown>;
}

/** Fields stored in their own columns (or not at all: `$schema`, `parsedcomment`); the rest go to `extra`. */
const PROMOTED = new Set([
  '$schema',
  'meta',
  'type',
  'namespace',
  'title',
  'user',
  'bot',
  'minor',
  'length',
  'revision',
  'comment',
  'parsedcomment',
  'server_url',
  'server_name',
  'wiki',
  'log_type',
  'log_action',
  'timestamp',
]);
const PROMOTED_META = new Set(['id', 'dt', 'domain', 'stream']);

/**
 * Sites by `wiki` and `server_name`: a few thousand wikis exist, and the sink maps every event,
 * so each pair is worked out once.
 */
const sites = new Map<string, WikiSite>();
const MAX_SITES = 20_000;

function siteOf(wiki: string | undefined, serverName: string | undefined): WikiSite {
  const key = `${wiki ?? ''}\u0000${serverName ?? ''}`;
  let site = sites.get(key);
  if (site === undefined) {
    site = wikiSite(wiki, serverName);
    if (sites.size < MAX_SITES) sites.set(key, site);
  }
  return site;
}

/** Maps a validated event to its row. Pure: the same event always gives the same row. */
export function toChangeRow(event: RecentChange): ChangeRow {
  const site = siteOf(event.wiki, event.server_name);
  const extra: Record<string, unknown> = {};
  for (const key in event) {
    if (PROMOTED.has(key)) continue;
    const value = event[key];
    if (value !== undefined) extra[key] = value;
  }
  let meta: Record<string, unknown> | undefined;
  for (const key in event.meta) {
    if (PROMOTED_META.has(key)) continue;
    const value = event.meta[key];
    if (value !== undefined) (meta ??= {})[key] = value;
  }
  if (meta) extra['meta'] = meta;
  return {
    event_id: event.meta.id,
    event_time: clickHouseTime(event.meta.dt),
    wiki: event.wiki ?? '',
    language: site.language ?? '',
    project: site.project,
    type: event.type ?? '',
    namespace: event.namespace ?? 0,
    title: event.title ?? '',
    user: event.user ?? '',
    bot: event.bot ?? false,
    minor: event.minor ?? false,
    length_old: event.length?.old ?? null,
    length_new: event.length?.new ?? null,
    revision_old: event.revision?.old ?? null,
    revision_new: event.revision?.new ?? null,
    comment: event.comment ?? '',
    server_url: event.server_url ?? '',
    log_type: event.log_type ?? '',
    log_action: event.log_action ?? '',
    extra,
  };
}

/** UTC with up to millisecond precision, as EventStreams writes `meta.dt`: no date arithmetic needed. */
const UTC_ISO =
  /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))T((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,3}))?Z$/;

/** ISO-8601 (any offset) → ClickHouse DateTime64(3) text in UTC. */
export function clickHouseTime(iso: string): string {
  const utc = UTC_ISO.exec(iso);
  if (utc) return `${utc[1]} ${utc[2]}.${(utc[3] ?? '').padEnd(3, '0')}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${JSON.stringify(iso)}`);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
