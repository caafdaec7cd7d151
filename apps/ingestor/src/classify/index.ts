/**
 * The classify stage: reads the SSE stream and parses, validates and filters each event on a
 * worker thread (`worker.ts` running `reading.ts` and `judge.ts`), and hands the verdicts back
 * in stream order through one codec (`verdicts.ts`) to a `VerdictHandler` on the main thread
 * (`reader.ts`).
 */
export { builtWorker, Reader, type ReaderOptions } from './reader.js';
export type { ReadingSettings, StreamSettings } from './reading.js';
export type { ClassifierRules } from './rules.js';
export { judge, type JudgeRules, type Outcome, type Refusal } from './judge.js';
export {
  VerdictWriter,
  type DeadReason,
  type DropReason,
  type VerdictHandler,
} from './verdicts.js';
