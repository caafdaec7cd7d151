/**
 * The classify stage: parses, validates and filters each SSE message on a worker thread
 * (`worker.ts` running `judge.ts`) and hands the verdicts back in stream order through one
 * codec (`verdicts.ts`) to a `VerdictHandler` on the reading thread.
 */
export {
  builtWorker,
  Classifier,
  type ClassifierOptions,
  type ClassifierRules,
} from './classifier.js';
export { judge, type JudgeRules, type Outcome, type Refusal } from './judge.js';
export {
  VerdictWriter,
  type DeadReason,
  type DropReason,
  type VerdictHandler,
} from './verdicts.js';
