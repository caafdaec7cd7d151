export type * from './types.js';
export { KafkaBus, type BusLogger, type KafkaBusOptions } from './kafka-bus.js';
export { MemoryBus } from './memory-bus.js';
