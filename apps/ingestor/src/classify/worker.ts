/**
 * The classification thread: judges batches of SSE `data` payloads (`judgeBatch`) and answers
 * each, in the order the batches came, transferring the kept events' bytes without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createFilter } from '../filters.js';
import { judgeBatch, type Submission } from './judge.js';
import type { ClassifierRules } from './classifier.js';

const port = parentPort;
if (!port) throw new Error('classify/worker.js runs as a worker thread only');
const rules = workerData as ClassifierRules;
const judging = { filter: createFilter(rules), maxEventBytes: rules.maxEventBytes };

port.on('message', (batch: Submission) => {
  const judgement = judgeBatch(batch, judging);
  port.postMessage(judgement, [judgement.bytes, judgement.ends.buffer as ArrayBuffer]);
});
