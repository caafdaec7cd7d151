import type { ReadinessCheck } from '@wikipulse/metrics';
import { gateOnSchema, type SchemaGate } from '@wikipulse/store';
import type { Sink } from './sink.js';

export interface StartedGate extends SchemaGate {
  /** Settles once the sink started (true) or the wait was aborted (false). */
  started: Promise<boolean>;
}

/**
 * The sink runs no DDL: the database's owner migrates it (the operator, `npm run migrate`).
 * Until every migration this sink writes for is recorded there, it stays not ready, saying why
 * in `/readyz` and in one log line per reason, and it starts consuming as soon as the schema is
 * there, without a restart.
 */
export function startWhenSchemaReady(
  sink: Pick<Sink, 'start'>,
  options: Parameters<typeof gateOnSchema>[0],
): StartedGate {
  const gate = gateOnSchema(options);
  const started = gate.ready.then(async (ready) => {
    if (ready) await sink.start();
    return ready;
  });
  return { ...gate, started };
}

/** The sink's `/readyz` checks. */
export function sinkReadiness(
  sink: Pick<Sink, 'readiness'>,
  gate: Pick<SchemaGate, 'state'>,
): Record<string, ReadinessCheck> {
  return {
    schema: () => gate.state(),
    kafka: () => sink.readiness().kafka,
    // Not known to be usable before the schema is there (the sink has written nothing yet).
    clickhouse: () => gate.state().ready && sink.readiness().clickhouse,
  };
}
