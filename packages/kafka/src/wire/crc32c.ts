import { crc32c as hardwareCrc32c } from '@node-rs/crc32';

/**
 * The CRC-32C (Castagnoli) of `data[start, end)`, the checksum of Kafka's record batches, as an
 * unsigned 32-bit number. Computed natively (`@node-rs/crc32`, with the processor's CRC32
 * instruction where there is one): at several GB/s instead of about 0.6 GB/s for table-driven
 * JavaScript, which was about a tenth of the ingestor's main thread at full speed.
 */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return hardwareCrc32c(data.subarray(start, end)) >>> 0;
}
