import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

/** grafana-clickhouse-datasource (v4) query: raw SQL with the plugin's macros. */
export interface ClickHouseQuery extends cog.Dataquery {
  refId: string;
  datasource: dashboard.DataSourceRef;
  editorType: 'sql';
  /** The plugin's Format enum: 0 time series, 1 table. */
  format: 0 | 1;
  queryType: 'timeseries' | 'table';
  rawSql: string;
}

export const clickhouseDatasource: dashboard.DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: '${clickhouse}',
};

export function clickhouseDatasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('clickhouse')
    .label('ClickHouse')
    .type('grafana-clickhouse-datasource');
}

/**
 * The database, spliced into the SQL as text: a constant (changed in the dashboard's settings,
 * not from a viewer's text box) so viewers cannot edit the SQL through it.
 */
export function databaseVariable(): dashboard.ConstantVariableBuilder {
  return new dashboard.ConstantVariableBuilder('database')
    .label('Database')
    .description('The ClickHouse database the sinks write (CLICKHOUSE_DATABASE).')
    .value('wikipulse');
}

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly sql: string,
    private readonly kind: 'timeseries' | 'table',
    private readonly ref = 'A',
  ) {}

  build(): ClickHouseQuery {
    return {
      refId: this.ref,
      datasource: clickhouseDatasource,
      editorType: 'sql',
      format: this.kind === 'timeseries' ? 0 : 1,
      queryType: this.kind,
      rawSql: this.sql,
      _implementsDataqueryVariant() {},
    };
  }
}
