import type { Migration } from './types.js';

/**
 * A channel Discord refused (403, 404) is recorded once, in `paused_channels`, for its watches,
 * digests and feeds alike. Feeds used to record it on themselves (state `unreachable`, with the
 * reason); those channels are recorded as refused and their feeds are active again, delivered
 * once someone resumes the channel. Running it again finds nothing left to move.
 */
export const refusedChannels: Migration = {
  version: 11,
  name: 'feeds of refused channels paused through paused_channels',
  statements: ({ database: db }) => {
    // The newest row of each feed; the aliases differ from the columns they are read from.
    const latest = `
      SELECT channel_id, feed_id,
             argMax(guild_id, updated_at) AS last_guild_id,
             argMax(created_by, updated_at) AS last_created_by,
             argMax(kind, updated_at) AS last_kind,
             argMax(filter, updated_at) AS last_filter,
             argMax(state, updated_at) AS last_state,
             argMax(reason, updated_at) AS last_reason,
             min(created_at) AS first_created_at
      FROM ${db}.feeds
      GROUP BY channel_id, feed_id`;
    return [
      `INSERT INTO ${db}.paused_channels (channel_id, paused, status, updated_at)
         SELECT channel_id, true, if(countIf(position(last_reason, '403') > 0) > 0, 403, 404),
                now64(3)
         FROM (${latest})
         WHERE last_state = 'unreachable'
         GROUP BY channel_id`,
      `INSERT INTO ${db}.feeds
         (channel_id, feed_id, guild_id, created_by, kind, filter, state, reason, created_at,
          updated_at)
         SELECT channel_id, feed_id, last_guild_id, last_created_by, last_kind, last_filter,
                'active', '', first_created_at, now64(3)
         FROM (${latest})
         WHERE last_state = 'unreachable'`,
    ];
  },
};
