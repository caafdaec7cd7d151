import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  prometheusDashboard,
  ns,
  promQuery,
  quantileQueries,
  timeseriesPanel as panel,
} from './common.js';

export function commandsByOutcome() {
  return panel(
    1,
    'Commands/s by command and outcome',
    'Commands answered: ok, bad_input, rate_limited or failed. Alert: WikipulseBotErrorRateHigh.',
    'ops',
  ).targets([
    promQuery(
      `sum by (command, outcome) (rate(wikipulse_bot_commands_total{${ns}}[$__rate_interval]))`,
      '{{command}} {{outcome}}',
      'A',
    ),
  ]);
}

export function latencyPercentiles() {
  return panel(
    2,
    'Command latency percentiles',
    'From the gateway receiving a command to Discord accepting the reply, by command. SLO: 99% within 1 s (alerts WikipulseBotLatencyBudgetBurnFast/Slow).',
    's',
  ).targets(
    quantileQueries(
      'wikipulse_bot_command_latency_seconds',
      ['command'],
      [0.5, 0.95, 0.99],
      '{{command}} ',
    ),
  );
}

export function latencyBudget() {
  return panel(
    3,
    'Share of commands over 1 s',
    "The latency SLO's error ratio over 5 minutes and 1 hour; the budget is 1%.",
    'percentunit',
  ).targets([
    promQuery(`wikipulse:bot_command_slow_ratio:rate5m{${ns}}`, '5m {{job}}', 'A'),
    promQuery(`wikipulse:bot_command_slow_ratio:rate1h{${ns}}`, '1h {{job}}', 'B'),
  ]);
}

export function rateLimited() {
  return panel(
    4,
    'Rate-limited commands',
    'Commands refused because their user exceeded the per-user limit, by command.',
    'ops',
  ).targets([
    promQuery(
      `sum by (command) (rate(wikipulse_bot_commands_total{${ns}, outcome="rate_limited"}[$__rate_interval]))`,
      '{{command}}',
      'A',
    ),
  ]);
}

export function workerReplicas() {
  return panel(
    5,
    'Bot replicas',
    'Bot processes Prometheus scrapes, and available replicas as kube-state-metrics reports them (when installed).',
    'short',
  )
    .decimals(0)
    .targets([
      promQuery(
        `count by (job) (process_start_time_seconds{${ns}, app="bot"})`,
        'scraped {{job}}',
        'A',
      ),
      promQuery(
        `sum by (deployment) (kube_deployment_status_replicas_available{${ns}, deployment=~".*bot.*"})`,
        'available {{deployment}}',
        'B',
      ),
    ]);
}

export function forwarded() {
  return panel(
    6,
    'Forwarded and posted',
    'Commands the gateway forwarded to workers by source, watch notifications and daily digests posted, channels paused because Discord refused them, undecodable command records skipped.',
    'ops',
  ).targets([
    promQuery(
      `sum by (source) (rate(wikipulse_bot_forwarded_total{${ns}}[$__rate_interval]))`,
      'forwarded: {{source}}',
      'A',
    ),
    promQuery(
      `sum(rate(wikipulse_bot_watch_notifications_total{${ns}}[$__rate_interval]))`,
      'watch notifications',
      'B',
    ),
    promQuery(
      `sum(rate(wikipulse_bot_invalid_requests_total{${ns}}[$__rate_interval]))`,
      'invalid requests',
      'C',
    ),
    promQuery(
      `sum(rate(wikipulse_bot_digests_posted_total{${ns}}[$__rate_interval]))`,
      'digests posted',
      'D',
    ),
    promQuery(
      `sum by (delivery) (rate(wikipulse_bot_channels_paused_total{${ns}}[$__rate_interval]))`,
      'channels paused: {{delivery}}',
      'E',
    ),
  ]);
}

export function botDashboard(): dashboard.Dashboard {
  return prometheusDashboard(
    'Wikipulse / Bot',
    'wikipulse-bot',
    'The Discord bot: gateway and workers.',
    'wikipulse_bot_commands_total',
  )
    .withPanel(commandsByOutcome())
    .withPanel(latencyPercentiles())
    .withPanel(latencyBudget())
    .withPanel(rateLimited())
    .withPanel(workerReplicas())
    .withPanel(forwarded())
    .build();
}
