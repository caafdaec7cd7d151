/**
 * Kafka's default partitioner: murmur2 of the key's UTF-8 bytes, made positive, modulo the
 * partition count — the Java client's (and kafkajs') choice, so a key lands on the same
 * partition whichever client wrote it.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const end4 = length & ~3;
  for (let i = 0; i < end4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[end4 + 2]! << 16;
  if (tail >= 2) h ^= data[end4 + 1]! << 8;
  if (tail >= 1) h = Math.imul(h ^ data[end4]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const scratch = Buffer.allocUnsafe(64 * 1024);

/** The partition of a key among `partitions`, as Kafka's default partitioner picks it. */
export function partitionForKey(key: string, partitions: number): number {
  // A UTF-16 code unit takes at most three bytes in UTF-8.
  const bytes =
    key.length * 3 <= scratch.length
      ? scratch.subarray(0, scratch.write(key, 0, 'utf8'))
      : Buffer.from(key, 'utf8');
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
