/**
 * Java's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), in 32-bit integer arithmetic.
 * The Kafka client ships the same function written with BigInt, which allocates a few dozen
 * BigInts per key; the ingestor partitions tens of thousands of keys a second, and this version
 * allocates nothing.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[blocks + 2]! << 16;
    if (tail >= 2) h ^= data[blocks + 1]! << 8;
    h ^= data[blocks]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The Java client's default mapping of a key to a partition, before the modulo by the topic's
 * partition count (which the Kafka client applies): `toPositive(murmur2(key))`. A message
 * without a key goes to partition 0, as with the client's own `compatibilityPartitioner`.
 */
export function javaPartitioner(_message: unknown, key: Buffer | undefined): number {
  return key === undefined ? 0 : murmur2(key) & 0x7fffffff;
}
