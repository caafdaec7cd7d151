export { createApp, type IngestorApp, type IngestorDeps, type Leadership } from './app.js';
export {
  envSchema,
  loadEnv,
  loadIngestorConfig,
  type IngestorConfig,
  type IngestorEnv,
} from './env.js';
export { Ingestor, type IngestorParts, type IngestorSettings } from './ingestor.js';
export { FileCheckpointStore, type CheckpointStore } from './checkpoint.js';
export { registerMetrics, type IngestorMetrics } from './metrics.js';
export { KafkaOutput, type Output } from './output.js';
export { judge, VerdictWriter, type JudgeRules, type Outcome } from './classify/index.js';
export { createFilter, type FilterOptions } from './filters.js';
export { HEADER, messageKey } from './message.js';
