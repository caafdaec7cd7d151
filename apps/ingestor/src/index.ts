export { createIngestorApp, type IngestorApp } from './app.js';
export { envSchema, loadEnv, type IngestorEnv } from './env.js';
export { Ingestor, type IngestorParts, type IngestorSettings } from './ingestor.js';
