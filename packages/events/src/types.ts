/**
 * A `mediawiki/recentchange` event (schema 1.0.1) as EventStreams serves it. Only `$schema`
 * and `meta` are required by the schema; Wikipulse additionally needs `meta.id` (see
 * validate.ts). Unknown properties are kept: the stream adds fields over time.
 */
export type ChangeType = 'edit' | 'new' | 'log' | 'categorize' | 'external';

export interface RecentChangeMeta {
  /** The event's unique id (a UUID): Wikipulse's deduplication key. */
  id: string;
  /** UTC event time, ISO-8601. */
  dt: string;
  stream: string;
  domain?: string;
  uri?: string;
  request_id?: string;
  topic?: string;
  partition?: number;
  offset?: number;
  [key: string]: unknown;
}

export interface RecentChange {
  $schema: string;
  meta: RecentChangeMeta;
  /** rcid; null for some events. */
  id?: number | null;
  type?: string;
  title?: string;
  title_url?: string;
  namespace?: number;
  comment?: string;
  parsedcomment?: string;
  /** Unix seconds. */
  timestamp?: number;
  user?: string;
  bot?: boolean;
  minor?: boolean;
  patrolled?: boolean;
  length?: { old?: number | null; new?: number | null };
  revision?: { old?: number | null; new?: number | null };
  server_url?: string;
  server_name?: string;
  server_script_path?: string;
  wiki?: string;
  notify_url?: string;
  log_id?: number | null;
  log_type?: string | null;
  log_action?: string;
  log_params?: unknown;
  log_action_comment?: string | null;
  [key: string]: unknown;
}
