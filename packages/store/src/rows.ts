import { wikiSite, type RecentChange } from '@wikipulse/events';

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

/** Maps a validated event to its row. Pure: the same event always gives the same row. */
export function toChangeRow(event: RecentChange): ChangeRow {
  const site = wikiSite(event.wiki, event.server_name);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (!PROMOTED.has(key) && value !== undefined) extra[key] = value;
  }
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.meta)) {
    if (!PROMOTED_META.has(key) && value !== undefined) meta[key] = value;
  }
  if (Object.keys(meta).length > 0) extra['meta'] = meta;
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

/** ISO-8601 (any offset) → ClickHouse DateTime64(3) text in UTC. */
export function clickHouseTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${JSON.stringify(iso)}`);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
