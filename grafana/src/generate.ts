/*
 * Writes the dashboards' JSON to grafana/dashboards/, and copies dashboards and alert rules
 * into the chart (Helm reads only files inside the chart). With --expressions <file>, also
 * writes the dashboards' PromQL as recording rules, for `promtool check rules` to parse.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboards, promqlExpressions, serialize } from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(root, 'grafana/dashboards');
const chartFiles = join(root, 'charts/wikipulse/files');
const rules = join(root, 'grafana/alerts/wikipulse.rules.yaml');

mkdirSync(out, { recursive: true });
mkdirSync(join(chartFiles, 'dashboards'), { recursive: true });
for (const { file, build } of dashboards) {
  const json = serialize(build());
  writeFileSync(join(out, file), json);
  writeFileSync(join(chartFiles, 'dashboards', file), json);
}
copyFileSync(rules, join(chartFiles, 'wikipulse.rules.yaml'));

const flag = process.argv.indexOf('--expressions');
if (flag !== -1) {
  const target = process.argv[flag + 1];
  if (!target) throw new Error('--expressions needs a file name');
  const lines = ['groups:', '  - name: dashboard-expressions', '    rules:'];
  for (const [i, e] of promqlExpressions().entries()) {
    lines.push(
      `      - record: dashboard:${e.dashboard.replaceAll('-', '_')}:${i}`,
      `        expr: ${JSON.stringify(e.expr)}`,
    );
  }
  writeFileSync(target, `${lines.join('\n')}\n`);
}
