export { repoRoot, cacheDir } from './paths.js';
export { startApp, type AppProcess, type Exit } from './process.js';
export { freePort, freePorts } from './ports.js';
export { prng } from './random.js';
export { chooseServices, dockerEngineAnswers, type ServicesChoice } from './docker.js';
export {
  CLICKHOUSE_IMAGE,
  KAFKA_IMAGE,
  LOCAL_KAFKA_PORT,
  provideClickHouse,
  provideKafka,
  type ClickHouseService,
  type RunningService,
} from './services.js';
export {
  kafkaSecureConnection,
  parseKafkaSecureInfo,
  provideKafkaSecure,
  type KafkaSecureFacts,
  type KafkaSecureInfo,
  type KafkaSecureUser,
  type KafkaSecureUserName,
} from './kafka-secure.js';
export {
  freshEvents,
  recordedEvents,
  recordedLines,
  takeFreshEvents,
  type FreshEventsOptions,
} from './recordings.js';
export {
  BenchSetupError,
  MemorySampler,
  benchKafka,
  exitOnSetupError,
  percentile,
  reportBench,
  round,
  storedDistinctIds,
  storedMismatch,
  waitForCommit,
  type BenchKafka,
  type StoredCount,
} from './bench.js';
export * from '@wikipulse/replay';
export { expectedDailyCounts, storedDailyCounts, type DayCount } from './verify.js';
