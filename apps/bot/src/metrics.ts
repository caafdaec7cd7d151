import { Counter, Histogram, type Registry } from '@wikipulse/metrics';

export interface BotMetrics {
  commands: Counter<'command' | 'outcome'>;
  latency: Histogram<'command'>;
  forwarded: Counter<'source'>;
  watchNotifications: Counter;
  invalidRequests: Counter;
  commandsRejected: Counter<'reason'>;
  digestsPosted: Counter;
  channelsPaused: Counter<'delivery'>;
  feedMatches: Counter;
  feedMessages: Counter<'outcome'>;
  feedChanges: Counter;
}

export function createBotMetrics(registry: Registry): BotMetrics {
  return {
    commands: new Counter({
      name: 'wikipulse_bot_commands_total',
      help: 'Commands answered, by command and outcome (ok, bad_input, rate_limited, failed)',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'wikipulse_bot_command_latency_seconds',
      help: 'From the gateway receiving a command to its reply being accepted by Discord',
      labelNames: ['command'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    forwarded: new Counter({
      name: 'wikipulse_bot_forwarded_total',
      help: 'Commands the gateway forwarded, by source (message, interaction)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    watchNotifications: new Counter({
      name: 'wikipulse_bot_watch_notifications_total',
      help: 'Messages posted for changes of watched pages',
      registers: [registry],
    }),
    invalidRequests: new Counter({
      name: 'wikipulse_bot_invalid_requests_total',
      help: 'Command-topic records that could not be decoded and were skipped',
      registers: [registry],
    }),
    commandsRejected: new Counter({
      name: 'wikipulse_bot_commands_rejected_total',
      help: 'Command-topic records dropped for their signature, by reason (unsigned, forged)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    digestsPosted: new Counter({
      name: 'wikipulse_bot_digests_posted_total',
      help: 'Daily digests posted by this worker',
      registers: [registry],
    }),
    channelsPaused: new Counter({
      name: 'wikipulse_bot_channels_paused_total',
      help: 'Channels paused because Discord refused to post there (403, 404), by delivery (watch, digest)',
      labelNames: ['delivery'] as const,
      registers: [registry],
    }),
    feedMatches: new Counter({
      name: 'wikipulse_bot_feed_matches_total',
      help: 'Changes matched to a feed and written to the deliveries topic (one per change and feed)',
      registers: [registry],
    }),
    feedMessages: new Counter({
      name: 'wikipulse_bot_feed_messages_total',
      help: 'Feed messages, by outcome (sent, unreachable: the channel answered 403/404, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    feedChanges: new Counter({
      name: 'wikipulse_bot_feed_changes_total',
      help: 'Changes delivered in feed messages (listed or counted in +N more)',
      registers: [registry],
    }),
  };
}
