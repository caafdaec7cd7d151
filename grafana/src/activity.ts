import * as common from '@grafana/grafana-foundation-sdk/common';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  clickhouseDatasource,
  clickhouseDatasourceVariable,
  ClickHouseQueryBuilder,
  databaseVariable,
} from './clickhouse.js';

/*
 * The panels read daily_counts, whose `events` column holds each day's set of event ids:
 * uniqExactMerge unions the sets, so a change stored twice still counts once. The day filter
 * uses the plugin's $__fromTime/$__toTime macros (DateTime expressions).
 */
const days = 'day BETWEEN toDate($__fromTime) AND toDate($__toTime)';

export const activitySql = {
  changesPerLanguage: `SELECT toDateTime(day) AS time, language, uniqExactMerge(events) AS changes
FROM \${database}.daily_counts
WHERE ${days}
  AND language IN (
    SELECT language FROM \${database}.daily_counts
    WHERE ${days}
    GROUP BY language ORDER BY uniqExactMerge(events) DESC LIMIT 10
  )
GROUP BY time, language
ORDER BY time, language`,
  botsVsHumans: `SELECT toDateTime(day) AS time, if(bot, 'bots', 'humans') AS editor, uniqExactMerge(events) AS changes
FROM \${database}.daily_counts
WHERE ${days}
GROUP BY time, editor
ORDER BY time, editor`,
  topWikis: `SELECT wiki, uniqExactMerge(events) AS changes
FROM \${database}.daily_counts
WHERE ${days}
GROUP BY wiki
ORDER BY changes DESC, wiki
LIMIT 20`,
  changesByType: `SELECT toDateTime(day) AS time, type, uniqExactMerge(events) AS changes
FROM \${database}.daily_counts
WHERE ${days}
GROUP BY time, type
ORDER BY time, type`,
};

function dailyPanel(id: number, title: string, description: string, sql: string) {
  return new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .datasource(clickhouseDatasource)
    .unit('short')
    .span(12)
    .height(9)
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .calcs(['sum']),
    )
    .withTarget(new ClickHouseQueryBuilder(sql, 'timeseries'));
}

export function changesPerLanguage() {
  return dailyPanel(
    1,
    'Changes per language per day',
    'Distinct changes per UTC day for the ten busiest languages of the range.',
    activitySql.changesPerLanguage,
  );
}

export function botsVsHumans() {
  return dailyPanel(
    2,
    'Bots vs humans',
    'Distinct changes per UTC day by accounts flagged as bots and by everyone else.',
    activitySql.botsVsHumans,
  );
}

export function topWikis() {
  return new bargauge.PanelBuilder()
    .id(3)
    .title('Top wikis')
    .description('The 20 wikis with the most distinct changes in the range.')
    .datasource(clickhouseDatasource)
    .unit('short')
    .span(12)
    .height(12)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs(['lastNotNull']))
    .withTarget(new ClickHouseQueryBuilder(activitySql.topWikis, 'table'));
}

export function changesByType() {
  return dailyPanel(
    4,
    'Changes by type',
    'Distinct changes per UTC day by type: edit, new, log, categorize.',
    activitySql.changesByType,
  ).height(12);
}

export function activityDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('Wikipulse / Wikipedia activity')
    .uid('wikipulse-activity')
    .description('What Wikipedia did, from the changes stored in ClickHouse.')
    .tags(['wikipulse'])
    .refresh('5m')
    .time({ from: 'now-7d', to: 'now' })
    .timezone('utc')
    .withVariable(clickhouseDatasourceVariable())
    .withVariable(databaseVariable())
    .withPanel(changesPerLanguage())
    .withPanel(botsVsHumans())
    .withPanel(topWikis())
    .withPanel(changesByType())
    .build();
}
