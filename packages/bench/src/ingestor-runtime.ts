/**
 * How the benchmarks start Node for the ingestor and for what stands in for it: the heap flags
 * `npm run ingest` and the chart use (docs/ingestor.md, Memory and heap settings), and the same
 * malloc settings. BENCH_NODE_FLAGS replaces the flags; MALLOC_ARENA_MAX and
 * MALLOC_MMAP_THRESHOLD_ replace the malloc settings.
 */
export const ingestorNodeFlags: readonly string[] = (
  process.env['BENCH_NODE_FLAGS'] ??
  '--max-old-space-size=96 --max-semi-space-size=8 --heap-growing-percent=100 --no-allocation-site-pretenuring'
)
  .split(' ')
  .filter((flag) => flag !== '');

export const ingestorMalloc = {
  MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '1',
  MALLOC_MMAP_THRESHOLD_: process.env['MALLOC_MMAP_THRESHOLD_'] ?? '65536',
} as const;
