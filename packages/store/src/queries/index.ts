export { chTime, type Scope, type Store } from './context.js';
export {
  RECENT_MAX_LIMIT,
  RECENT_MAX_OFFSET,
  filteredChanges,
  recentChanges,
  type FilteredQuery,
  type RecentChangeRow,
  type RecentQuery,
} from './recent.js';
export { filterCondition, likePattern, type FilterCondition } from './change-filter.js';
export { dailyStats, type DailyStats, type DailyStatsQuery } from './stats.js';
export { TOP_MAX_LIMIT, topPages, type TopPageRow, type TopPagesQuery } from './top.js';
export {
  TRENDING_MAX_LIMIT,
  TRENDING_MIN_EDITORS,
  TRENDING_MIN_EDITS,
  trendingPages,
  type TrendingQuery,
  type TrendingRow,
} from './trending.js';
export {
  languagePreferences,
  setLanguagePreference,
  type LanguagePreferences,
  type PreferenceScope,
} from './preferences.js';
export {
  activeWatches,
  addWatch,
  channelWatches,
  removeWatch,
  type ChannelWatch,
  type Watch,
  type WatchChange,
} from './watches.js';
export {
  activeFeeds,
  channelFeeds,
  guildFeedCount,
  recordSpikeAlerts,
  spikeAlertsSince,
  writeFeed,
  type Feed,
  type FeedState,
  type SpikeAlert,
} from './feeds.js';
export { languageTotals, type LanguageTotal } from './languages.js';
export {
  DIGEST_TOP,
  activeDigests,
  channelDigest,
  dailyOverview,
  digestPostState,
  hourlyChanges,
  recordDigestPost,
  removeDigest,
  setDigest,
  type ActiveDigest,
  type DailyOverview,
  type Digest,
  type DigestChange,
  type DigestPostState,
  type EditorRow,
} from './digests.js';
export {
  channelPause,
  pauseChannel,
  pausedChannels,
  resumeChannel,
  type PausedChannel,
} from './channels.js';
export { changesPerMinute, type MinuteCount } from './activity.js';
