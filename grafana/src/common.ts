import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel reads its datasource from a dashboard variable, so one JSON fits any Grafana. */
export const prometheusDatasource: dashboard.DataSourceRef = {
  type: 'prometheus',
  uid: '${datasource}',
};

export function prometheusDatasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .type('prometheus');
}

/** Deployments of several WikiStreams share a cluster; the namespace narrows to one release. */
export function namespaceVariable(metric: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder('namespace')
    .label('Namespace')
    .datasource(prometheusDatasource)
    .query(`label_values(${metric}, namespace)`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** The label matcher every Prometheus query of the dashboards carries. */
export const ns = 'namespace=~"$namespace"';

export function promQuery(
  expr: string,
  legend: string,
  refId: string,
): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .expr(expr)
    .legendFormat(legend)
    .range()
    .refId(refId)
    .datasource(prometheusDatasource);
}

/** Quantile queries over a Prometheus histogram, one target per quantile. */
export function quantileQueries(
  histogram: string,
  by: string[],
  quantiles: number[],
  legendPrefix: string,
): prometheus.DataqueryBuilder[] {
  const labels = ['le', ...by].join(', ');
  return quantiles.map((q, i) =>
    promQuery(
      `histogram_quantile(${q}, sum by (${labels}) (rate(${histogram}_bucket{${ns}}[$__rate_interval])))`,
      `${legendPrefix}p${Math.round(q * 100)}`,
      String.fromCharCode(65 + i),
    ),
  );
}

/** A full-width time series panel on the Prometheus datasource, its legend a table of mean and max. */
export function timeseriesPanel(id: number, title: string, description: string, unit: string) {
  return new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(prometheusDatasource)
    .span(12)
    .height(8)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['mean', 'max']),
    );
}

/** A dashboard on the Prometheus datasource with Wikipulse's shared settings and variables. */
export function prometheusDashboard(
  title: string,
  uid: string,
  description: string,
  namespaceMetric: string,
): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['wikipulse'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(prometheusDatasourceVariable())
    .withVariable(namespaceVariable(namespaceMetric));
}
