import { systemClock, type Clock } from '@wikipulse/lifecycle';
import type { Logger } from '@wikipulse/logger';
import type { CommandService } from '../core/service.js';
import type { BotMetrics } from '../metrics.js';
import { commandInput, type CommandRequest } from './request.js';
import type { DiscordResponder } from './responder.js';
import { problem } from '../reply/model.js';

const SLOW_DOWN = problem('You are sending commands a little fast; please wait a moment.');

export interface ProcessedCommand {
  command: string;
  outcome: string;
  /** Received by the gateway → reply accepted by Discord, ms. */
  latencyMs: number;
}

/**
 * Runs one command request and sends its reply: what a worker does per record, and what the
 * standalone role does in-process. Never throws: a reply Discord refuses is logged.
 */
export function createProcessor(options: {
  service: CommandService;
  responder: DiscordResponder;
  log: Logger;
  metrics?: BotMetrics;
  /** The clock the gateway stamped `receivedAt` with, in this process or another. */
  clock?: Clock;
}): (request: CommandRequest) => Promise<ProcessedCommand | null> {
  const { service, responder, log, metrics } = options;
  const clock = options.clock ?? systemClock;
  return async (request) => {
    const handled =
      (await service.handle(commandInput(request))) ??
      // A deferred slash command shows "thinking…" until it is answered, so even a silently
      // dropped (rate-limited) one gets a word.
      (request.interaction
        ? { command: 'rate_limit', outcome: 'rate_limited', reply: SLOW_DOWN }
        : null);
    if (handled === null) return null;
    try {
      await responder.reply(request, handled.reply);
    } catch (error) {
      log.warn(
        { err: error, command: handled.command, requestId: request.id },
        'reply refused by Discord',
      );
      metrics?.commands.inc({ command: handled.command, outcome: 'reply_failed' });
      return {
        command: handled.command,
        outcome: 'reply_failed',
        latencyMs: clock().getTime() - request.receivedAt,
      };
    }
    const latencyMs = clock().getTime() - request.receivedAt;
    metrics?.commands.inc({ command: handled.command, outcome: handled.outcome });
    metrics?.latency.observe({ command: handled.command }, latencyMs / 1000);
    return { command: handled.command, outcome: handled.outcome, latencyMs };
  };
}
