/** A rate over a sliding window of samples of a growing counter. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #samples: { at: number; count: number }[] = [];

  constructor(windowMs = 5_000) {
    this.#windowMs = windowMs;
  }

  /** Records the counter's value now and returns the rate per second over the window. */
  sample(count: number, at: number = Date.now()): number {
    this.#samples.push({ at, count });
    while (this.#samples.length > 2 && this.#samples[0]!.at < at - this.#windowMs)
      this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (count - first.count) / seconds : 0;
  }
}

export interface ProgressFigures {
  ingested: number;
  ratePerSecond: number;
  lagSeconds: number | null;
  storedRows: number;
  deadLettered: number;
}

/** Seconds as a person reads them: 0.4 s, 12 min, 5.2 h, 66 d. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** One human line for the terminal. */
export function progressLine(p: ProgressFigures): string {
  const lag = p.lagSeconds === null ? '–' : duration(p.lagSeconds);
  return (
    `wikipulse: ${p.ingested.toLocaleString('en')} events ingested (${p.ratePerSecond.toFixed(1)}/s), ` +
    `lag ${lag}, ${p.storedRows.toLocaleString('en')} rows stored, ${p.deadLettered} dead-lettered`
  );
}
