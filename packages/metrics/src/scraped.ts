import { Counter, Gauge, type Registry } from 'prom-client';

/** What a scraped counter reads: a total, or totals by the value of its one label. */
export type ScrapedTotal = number | Iterable<readonly [string, number]>;

export interface ScrapedOptions<T> {
  name: string;
  help: string;
  /** Read at each scrape. */
  read: () => T;
}

/**
 * A counter read at scrape time from a plain field that the hot path bumps: a labelled `inc()`
 * per event costs measurable time at tens of thousands of events a second. With `label`, `read`
 * gives totals by that label's value.
 */
export function scrapedCounter(
  registry: Registry,
  { name, help, read, label }: ScrapedOptions<ScrapedTotal> & { label?: string },
): Counter {
  return new Counter({
    name,
    help,
    labelNames: label === undefined ? [] : [label],
    registers: [registry],
    collect() {
      this.reset();
      const total = read();
      if (typeof total === 'number') this.inc(total);
      else for (const [value, count] of total) this.inc({ [label ?? '']: value }, count);
    },
  });
}

/** A gauge read at scrape time. */
export function scrapedGauge(
  registry: Registry,
  { name, help, read }: ScrapedOptions<number>,
): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
