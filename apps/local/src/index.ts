/** The local run's parts, for tests and benchmarks that compose them. */
export { loadEnv, type LocalEnv } from './env.js';
export {
  startHttpServer,
  toApiChange,
  pageUrl,
  type HttpServer,
  type Progress,
} from './http/server.js';
export { startPipeline, type Pipeline } from './pipeline.js';
export { BUNDLED_RECORDING, liveStreamAnswers, startReplay, type Source } from './source.js';
