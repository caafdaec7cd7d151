import { hostname } from 'node:os';
import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import {
  activeDigests,
  digestPostState,
  pauseChannel,
  pausedChannels,
  recordDigestPost,
  type ActiveDigest,
  type Store,
} from '@wikipulse/store';
import { channelRefusal, stableNonce, type DiscordResponder } from '../discord/responder.js';
import { digestReply, digestScope, previousDay } from '../digest/report.js';
import type { BotMetrics } from '../metrics.js';
import { renderDiscord } from '../reply/discord.js';
import { runGroups } from './groups.js';

export interface DigestSchedulerOptions {
  store: Store;
  responder: DiscordResponder;
  log: Logger;
  metrics?: BotMetrics;
  /** How often the digests are looked at, ms; a digest is posted within this of its time. */
  tickMs: number;
  /** Digests posted at the same time. */
  concurrency?: number;
  /** Names this worker in its claims: unique per process. */
  worker?: string;
  /** A claim older than this, never followed by a post, is taken over by another worker. */
  claimTimeoutMs?: number;
  /** What time of day it is: when a digest is due, and which day it reports. */
  clock?: Clock;
}

export interface DigestScheduler {
  /** Posts the digests that are due now; the timer calls it every `tickMs`. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Posts each channel's daily digest once a day, at its time (UTC), for the day before. Every
 * worker runs one, and each digest is still posted exactly once:
 * - a digest already recorded as posted that day is skipped (restarts, late workers);
 * - a worker claims a digest before building it, and leaves it to the earliest claim of another
 *   worker while that claim is fresh (two workers do not both build it);
 * - the message carries a nonce made of the channel and the day with `enforce_nonce`, so when
 *   two workers do post (claims written at the same moment, or a crash between the post and its
 *   record) Discord keeps the first and returns it to the second.
 * A digest is posted only on the day after the one it reports, and only if it was set up
 * before its time that day: setting one up at 10:00 for 08:00 starts the next morning.
 */
export function startDigestScheduler(options: DigestSchedulerOptions): DigestScheduler {
  const { store, log, metrics } = options;
  const clock = options.clock ?? systemClock;
  const worker = options.worker ?? `${hostname()}-${process.pid}`;
  const claimTimeoutMs = options.claimTimeoutMs ?? 10 * 60_000;
  let running: Promise<void> | undefined;
  // Digests known to be posted, as `channel/day`: once seen, not asked about again.
  let posted = new Set<string>();

  async function tick(): Promise<void> {
    const now = clock();
    const today = now.toISOString().slice(0, 10);
    const dayStart = Date.parse(`${today}T00:00:00.000Z`);
    const [digests, paused] = await Promise.all([activeDigests(store), pausedChannels(store)]);
    const skip = new Set(paused.map((p) => p.channel_id));
    const day = previousDay(now);
    posted = new Set([...posted].filter((key) => key.endsWith(`/${day}`)));
    const due = digests.filter((digest) => {
      const at = dayStart + digest.minute_of_day * 60_000;
      return (
        !skip.has(digest.channel_id) &&
        !posted.has(`${digest.channel_id}/${day}`) &&
        at <= now.getTime() &&
        Date.parse(setAt(digest)) <= at
      );
    });
    await runGroups(
      due.map((digest) => [digest]),
      options.concurrency ?? 4,
      (digest) => post(digest, day, now),
    );
  }

  async function post(digest: ActiveDigest, day: string, now: Date): Promise<void> {
    const channelId = digest.channel_id;
    try {
      const decision = await mine(channelId, day, now);
      if (decision === 'posted') posted.add(`${channelId}/${day}`);
      if (decision !== 'mine') return;
      const scope = digestScope(digest.scope);
      if (scope === undefined) {
        log.warn({ channelId, scope: digest.scope }, 'a digest names an unknown language');
        return;
      }
      const messages = renderDiscord(await digestReply(store, day, scope));
      for (const [part, message] of messages.entries()) {
        await options.responder.send(
          channelId,
          message,
          stableNonce('digest', channelId, day, String(part)),
        );
      }
      await recordDigestPost(store, { channelId, day, state: 'posted', worker, at: clock() });
      posted.add(`${channelId}/${day}`);
      metrics?.digestsPosted.inc();
      log.info({ channelId, day, scope: digest.scope }, 'daily digest posted');
    } catch (error) {
      const status = channelRefusal(error);
      if (status === undefined) {
        // Claimed and not posted: this worker tries again at its next tick.
        log.warn({ err: error, channelId, day }, 'could not post a daily digest');
        return;
      }
      metrics?.channelsPaused.inc({ delivery: 'digest' });
      log.warn({ channelId, status }, 'Discord refuses this channel: pausing its digest');
      await pauseChannel(store, channelId, status, clock());
    }
  }

  /**
   * Whether this worker posts the digest: not posted yet, and its claim is the earliest fresh
   * one (a claim older than `claimTimeoutMs` belongs to a worker that died or gave up).
   */
  async function mine(
    channelId: string,
    day: string,
    now: Date,
  ): Promise<'mine' | 'posted' | 'theirs'> {
    const since = new Date(now.getTime() - claimTimeoutMs);
    const before = await digestPostState(store, { channelId, day, claimsSince: since });
    if (before.posted) return 'posted';
    if (before.claimedBy !== undefined) return before.claimedBy === worker ? 'mine' : 'theirs';
    await recordDigestPost(store, { channelId, day, state: 'claimed', worker, at: now });
    const after = await digestPostState(store, { channelId, day, claimsSince: since });
    if (after.posted) return 'posted';
    return after.claimedBy === worker ? 'mine' : 'theirs';
  }

  const timer = setInterval(() => {
    if (running !== undefined) return;
    running = tick()
      .catch((error: unknown) => log.warn({ err: error }, 'could not look at the daily digests'))
      .finally(() => (running = undefined));
  }, options.tickMs);
  timer.unref();

  return {
    tick,
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** When the digest's current setting was written. */
function setAt(digest: ActiveDigest): string {
  return `${digest.updated_at.replace(' ', 'T')}Z`;
}
