export {
  EventLog,
  MALFORMED_KINDS,
  type EntryKind,
  type EventLogOptions,
  type LogEntry,
} from './log.js';
export {
  EventStreamsServer,
  parseSince,
  sseId,
  startEventStreamsServer,
  timestampOfId,
  type EventStreamsServerOptions,
  type SentEntry,
  type ServerCounters,
} from './server.js';
export { readRecording, recordingsDir } from './recordings.js';
