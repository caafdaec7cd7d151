import { Backoff, sleep } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { ChangeRow, ClickHouseClient } from '@wikipulse/store';
import { isDataError } from './clickhouse-errors.js';
import type { SinkMetrics } from './metrics.js';

export interface Refused {
  index: number;
  detail: string;
}

export interface ChangeWriterOptions {
  client: ClickHouseClient;
  database: string;
  log: Logger;
  metrics: SinkMetrics;
  retryMaxMs: number;
  /** Aborts waiting between retries; the write then rejects and nothing is committed. */
  signal: AbortSignal;
}

/**
 * Writes rows into `changes`, retrying while ClickHouse is unavailable, and isolates rows
 * ClickHouse refuses so the rest of the batch still lands.
 */
export class ChangeWriter {
  readonly #options: ChangeWriterOptions;
  readonly #table: string;
  #healthy = true;

  constructor(options: ChangeWriterOptions) {
    this.#options = options;
    this.#table = `${options.database}.changes`;
  }

  /** False from a failed attempt until the next success: readiness reports it. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /**
   * Inserts every row ClickHouse accepts and returns the others. Resolves only once the accepted
   * rows are stored; rejects only when aborted.
   */
  async write(rows: readonly ChangeRow[], token: string): Promise<Refused[]> {
    const refused: Refused[] = [];
    await this.#writeSlice(rows, 0, token, refused);
    return refused;
  }

  async #writeSlice(
    rows: readonly ChangeRow[],
    offset: number,
    token: string,
    refused: Refused[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const error = await this.#insertWithRetry(rows, token);
    if (error === undefined) return;
    if (rows.length === 1) {
      refused.push({ index: offset, detail: error.message.split('\n')[0]!.slice(0, 500) });
      return;
    }
    // Halving finds k refused rows among n in about 2k·log2(n) inserts; each half has its own
    // deterministic token.
    const middle = Math.ceil(rows.length / 2);
    await this.#writeSlice(rows.slice(0, middle), offset, `${token}-a`, refused);
    await this.#writeSlice(rows.slice(middle), offset + middle, `${token}-b`, refused);
  }

  /** undefined once stored; the error when ClickHouse refuses the data itself. */
  async #insertWithRetry(rows: readonly ChangeRow[], token: string): Promise<Error | undefined> {
    const { client, log, metrics, retryMaxMs, signal } = this.#options;
    const backoff = new Backoff(200, retryMaxMs);
    for (let attempt = 0; ; attempt += 1) {
      signal.throwIfAborted();
      const started = performance.now();
      try {
        await client.insert({
          table: this.#table,
          values: rows,
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplication_token: token,
            // Pinned, not left to the version's default: `extra` arrives as a JSON object.
            input_format_json_read_objects_as_strings: 1,
          },
        });
        metrics.insertSeconds.observe((performance.now() - started) / 1000);
        metrics.rows.inc(rows.length);
        metrics.batchRows.observe(rows.length);
        if (!this.#healthy) log.info({ attempt }, 'ClickHouse accepts inserts again');
        this.#healthy = true;
        return undefined;
      } catch (error) {
        if (isDataError(error)) {
          metrics.errors.inc({ kind: 'clickhouse_refused' });
          return error as Error;
        }
        metrics.errors.inc({ kind: 'clickhouse_unavailable' });
        this.#healthy = false;
        const waitMs = backoff.next();
        log.warn(
          { err: error, attempt, waitMs, rows: rows.length },
          'ClickHouse insert failed, retrying',
        );
        await sleep(waitMs, { signal });
      }
    }
  }
}
