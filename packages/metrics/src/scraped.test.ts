import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { scrapedCounter, scrapedGauge } from './scraped.js';

describe('scraped metrics', () => {
  it('read their values at each scrape, totals by label included', async () => {
    const registry = new Registry();
    const stats = { received: 3, dropped: new Map([['canary', 2]]), lag: 1.5 };
    scrapedCounter(registry, { name: 'w_received_total', help: 'h', read: () => stats.received });
    scrapedCounter(registry, {
      name: 'w_dropped_total',
      help: 'h',
      read: () => stats.dropped,
      label: 'reason',
    });
    scrapedGauge(registry, { name: 'w_lag_seconds', help: 'h', read: () => stats.lag });
    const first = await registry.metrics();
    expect(first).toContain('w_received_total 3');
    expect(first).toContain('w_dropped_total{reason="canary"} 2');
    expect(first).toContain('w_lag_seconds 1.5');

    stats.received = 10;
    stats.dropped.set('filtered', 4);
    stats.lag = 0.25;
    const second = await registry.metrics();
    expect(second).toContain('w_received_total 10');
    expect(second).toContain('w_dropped_total{reason="canary"} 2');
    expect(second).toContain('w_dropped_total{reason="filtered"} 4');
    expect(second).toContain('w_lag_seconds 0.25');
  });
});
