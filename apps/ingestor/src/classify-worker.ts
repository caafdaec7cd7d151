/**
 * The classification thread: judges batches of SSE `data` payloads (`judgeBatch`) and answers
 * each, in the order the batches came, transferring the kept events' bytes without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createFilter, type FilterOptions } from './filters.js';
import { judgeBatch, type Submission } from './judge.js';

const port = parentPort;
if (!port) throw new Error('classify-worker.js runs as a worker thread only');
const filter = createFilter(workerData as FilterOptions);

port.on('message', (batch: Submission) => {
  const judgement = judgeBatch(batch, filter);
  port.postMessage(judgement, [judgement.bytes, judgement.ends.buffer as ArrayBuffer]);
});
