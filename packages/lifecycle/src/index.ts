export { Backoff, sleep, type SleepOptions } from './backoff.js';
export { systemClock, type Clock } from './clock.js';
export {
  runMain,
  taskApp,
  type App,
  type MainConfig,
  type MainContext,
  type MainOptions,
} from './main.js';
export {
  Shutdown,
  installShutdown,
  isExplained,
  reportFatal,
  type CloseFn,
  type ShutdownOptions,
} from './shutdown.js';
