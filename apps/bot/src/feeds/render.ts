import { describeFilter, filterQuery, type FeedFilter } from '@wikipulse/events';
import type { TrendingRow } from '@wikipulse/store';
import { changeLine, truncate } from '../commands/recent.js';
import { pageUrl, serverUrlOf } from '../core/wiki.js';
import { renderDiscord, type DiscordMessage } from '../reply/discord.js';
import { info, link, type Line } from '../reply/model.js';
import type { FeedBatch } from './window.js';

/** Changes listed in one delivery; the rest are counted and linked. */
export const MAX_LINES = 10;

/** The web page's filtered view of a feed (query parameters: docs/bot.md). */
export function feedViewUrl(webUrl: string, feedId: string, filter: FeedFilter): string {
  const query = filterQuery(filter);
  query.set('feed', feedId);
  return `${webUrl.replace(/\/+$/, '')}/?${query.toString()}`;
}

/**
 * One window's changes of one feed as one message: up to ten compact lines (no comments, so ten
 * always fit one embed), then "+N more" linking the web page's filtered view.
 */
export function feedMessage(batch: FeedBatch, filter: FeedFilter, webUrl: string): DiscordMessage {
  const lines: Line[] = batch.lines
    .slice(0, MAX_LINES)
    .map((line) => changeLine({ ...line, comment: '' }));
  const more = batch.lines.length - MAX_LINES;
  if (more > 0) {
    lines.push([link(`+${more} more`, feedViewUrl(webUrl, batch.feedId, filter))]);
  }
  const [message] = renderDiscord(
    info(lines, {
      title: truncate(`Feed ${batch.feedId} · ${describeFilter(filter)}`, 200),
    }),
  );
  return message!;
}

/** A spike feed's alert: the pages that took off since its last check. */
export function spikeMessage(
  feedId: string,
  filter: FeedFilter,
  pages: readonly TrendingRow[],
): DiscordMessage {
  const [message] = renderDiscord(
    info(
      pages
        .slice(0, MAX_LINES)
        .map((row) => [
          link(truncate(row.title, 120), pageUrl(serverUrlOf(row.wiki), row.title)),
          ` (${row.wiki}) · ${row.edits} edits by ${row.editors} editors in 15 min · ${Math.min(100, Math.round(row.surge))}× its usual pace`,
        ]),
      { title: truncate(`Spikes · feed ${feedId} · ${describeFilter(filter)}`, 200) },
    ),
  );
  return message!;
}
