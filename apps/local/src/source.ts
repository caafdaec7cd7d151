import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventStreamsServer, readRecording, recordingsDir } from '@wikipulse/replay';
import type { LocalEnv } from './env.js';

export interface Source {
  kind: 'live' | 'replay';
  url: string;
  /** Human words for what is being read. */
  description: string;
  stop(): Promise<void>;
}

/** The bundled recording: real multi-wiki events from EventStreams. */
export const BUNDLED_RECORDING = join(recordingsDir, 'multiwiki-2026-09-17-24.jsonl');

/** True when the live stream answers with an event stream within the timeout. */
export async function liveStreamAnswers(
  url: string,
  userAgent: string,
  timeoutMs: number,
): Promise<boolean> {
  try {
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', 'user-agent': userAgent },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const ok = res.ok && (res.headers.get('content-type') ?? '').includes('text/event-stream');
    await res.body?.cancel();
    return ok;
  } catch {
    return false;
  }
}

interface ReplayState {
  startMs: number;
  seed: number;
}

/**
 * Replays a recording through a local EventStreams server on loopback. Its log is a pure
 * function of a start time and a seed, kept in the data folder, so a restarted run sees the
 * same log and resumes where it left off instead of receiving new copies of old events.
 */
export async function startReplay(env: LocalEnv): Promise<Source> {
  const file = env.REPLAY_FILE === '' ? BUNDLED_RECORDING : env.REPLAY_FILE;
  const lines = readRecording(file);
  if (lines.length === 0) throw new Error(`the recording ${file} holds no events`);
  await mkdir(env.dataDir, { recursive: true });
  const statePath = join(env.dataDir, 'replay.json');
  let state: ReplayState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as ReplayState;
  } catch {
    state = { startMs: Date.now(), seed: Math.floor(Math.random() * 0xffffffff) };
    await writeFile(statePath, JSON.stringify(state));
  }
  const server = await EventStreamsServer.start({
    lines,
    rate: env.REPLAY_RATE,
    verbatimFirstPass: true,
    startMs: state.startMs,
    stepMs: 1000 / env.REPLAY_RATE,
    seed: state.seed,
    ...(env.REPLAY_LOOP ? {} : { limit: lines.length }),
  });
  return {
    kind: 'replay',
    url: server.url,
    description: `replaying ${file} (${lines.length} events${env.REPLAY_LOOP ? ', looped with fresh ids' : ', once'}) at ${env.REPLAY_RATE}/s`,
    stop: () => server.stop(),
  };
}
