/**
 * The reading thread: reads the SSE stream and judges its events in batches (`Reading`), and
 * answers with each batch's verdicts, transferring the kept events' bytes without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Reading, type ReadingSettings, type ToReading } from './reading.js';

const port = parentPort;
if (!port) throw new Error('classify/worker.js runs as a worker thread only');
const reading = new Reading(workerData as ReadingSettings, (message, transfer) =>
  port.postMessage(message, transfer),
);
port.on('message', (message: ToReading) => reading.receive(message));
