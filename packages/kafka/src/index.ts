export type * from './types.js';
export { explainKafkaError, KafkaError } from './connection.js';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus.js';
export { MemoryBus } from './memory-bus.js';
export { readTail, type ReadTailOptions } from './tail.js';
