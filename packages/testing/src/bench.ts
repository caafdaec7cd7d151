/** Small helpers shared by the `bench:*` programs. */

/** The p-th percentile (0–100) of values, by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Samples this process's memory until stopped; peak RSS and heap in MiB. */
export class MemorySampler {
  #peakRss = 0;
  #peakHeap = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.#peakRss = Math.max(this.#peakRss, rss);
    this.#peakHeap = Math.max(this.#peakHeap, heapUsed);
  }

  stop(): { peakRssMiB: number; peakHeapMiB: number } {
    this.#sample();
    clearInterval(this.#timer);
    return {
      peakRssMiB: round(this.#peakRss / 2 ** 20),
      peakHeapMiB: round(this.#peakHeap / 2 ** 20),
    };
  }
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
