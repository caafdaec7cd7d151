import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { activityDashboard, activitySql } from './activity.js';
import { botDashboard } from './bot.js';
import { pipelineDashboard } from './pipeline.js';

export { activitySql };

/** Each dashboard and the file its JSON lands in (grafana/dashboards/<file>). */
export const dashboards: { file: string; build: () => dashboard.Dashboard }[] = [
  { file: 'pipeline.json', build: pipelineDashboard },
  { file: 'bot.json', build: botDashboard },
  { file: 'activity.json', build: activityDashboard },
];

export interface PanelExpression {
  dashboard: string;
  panel: string;
  refId: string;
  /** With dashboard variables replaced by values Prometheus accepts. */
  expr: string;
}

/** Grafana variables in PromQL, replaced by what Grafana would send for "All" and a short range. */
export function substituteVariables(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$namespace', '.*');
}

/** Every PromQL expression of every dashboard panel. */
export function promqlExpressions(rateInterval = '1m'): PanelExpression[] {
  const out: PanelExpression[] = [];
  for (const { build } of dashboards) {
    const board = build();
    for (const panel of board.panels ?? []) {
      if (!('targets' in panel)) continue;
      for (const target of panel.targets ?? []) {
        const expr = (target as { expr?: unknown }).expr;
        if (typeof expr !== 'string') continue;
        out.push({
          dashboard: board.uid ?? '',
          panel: panel.title ?? '',
          refId: (target as { refId?: string }).refId ?? '',
          expr: substituteVariables(expr, rateInterval),
        });
      }
    }
  }
  return out;
}

/** Dashboard JSON as committed: stable key order as built, two-space indent, final newline. */
export function serialize(board: dashboard.Dashboard): string {
  return `${JSON.stringify(board, null, 2)}\n`;
}
