export type * from './types.js';
export { explainKafkaError, KafkaError } from './connection.js';
export {
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_MAX_BYTES,
  DETAIL_MAX_CHARS,
  deadLetterMessage,
  truncateUtf8,
  type DeadLetter,
  type DeadLetterSource,
} from './dead-letter.js';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus.js';
export { MemoryBus } from './memory-bus.js';
export { readTail, type ReadTailOptions } from './tail.js';
