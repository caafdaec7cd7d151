export { createApp, type SinkApp, type SinkDeps } from './app.js';
export { Sink, type SinkOptions } from './sink.js';
export { createSinkMetrics, type SinkMetrics } from './metrics.js';
export { decodeMessage, type DeadLetterReason, type Decoded } from './decode.js';
export { loadEnv, loadSinkConfig, type SinkConfig, type SinkEnv } from './env.js';
