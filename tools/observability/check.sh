#!/usr/bin/env bash
# npm run check:observability: regenerates the dashboards (and the chart's copies) and fails
# when they differ from the committed files; parses every PromQL expression of the dashboards
# and rules with promtool; runs the alert rules' unit tests; then the live check against a
# real Prometheus scraping the apps.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/observability/install.sh

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npx tsc -b grafana
node grafana/dist/generate.js --expressions "$work/dashboard-expressions.rules.yaml"

generated=(grafana/dashboards charts/wikipulse/files)
if ! git diff --exit-code --stat -- "${generated[@]}" ||
  [ -n "$(git ls-files --others --exclude-standard -- "${generated[@]}")" ]; then
  echo "generated dashboards or chart copies differ from the committed ones: run" >&2
  echo "  npx tsc -b grafana && node grafana/dist/generate.js   and commit the result" >&2
  exit 1
fi

promtool check rules grafana/alerts/wikipulse.rules.yaml "$work/dashboard-expressions.rules.yaml"
(cd grafana/alerts && promtool test rules ./*.test.yaml)

# The chart renders exactly these rules and dashboards.
bash tools/k8s/install.sh
helm="$(bash tools/k8s/install.sh --print)/helm"
"$helm" template ci charts/wikipulse --namespace wikipulse --set prometheusRule.enabled=true \
  --set grafana.dashboards.enabled=true --show-only templates/observability/prometheusrule.yaml \
  --show-only templates/observability/dashboards.yaml >"$work/chart.yaml"
node --input-type=module - "$work/chart.yaml" <<'JS'
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
const docs = parseAllDocuments(readFileSync(process.argv[2], 'utf8')).map((d) => d.toJS());
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const rule = docs.find((d) => d?.kind === 'PrometheusRule');
if (!same(rule?.spec, parse(readFileSync('grafana/alerts/wikipulse.rules.yaml', 'utf8')))) {
  console.error('the chart\'s PrometheusRule differs from grafana/alerts/wikipulse.rules.yaml');
  process.exit(1);
}
const maps = docs.filter((d) => d?.metadata?.labels?.grafana_dashboard === '1');
for (const file of ['pipeline.json', 'bot.json', 'activity.json']) {
  const map = maps.find((m) => file in (m.data ?? {}));
  if (!map || !same(JSON.parse(map.data[file]), JSON.parse(readFileSync(`grafana/dashboards/${file}`, 'utf8')))) {
    console.error(`the chart's ConfigMap for ${file} differs from grafana/dashboards/${file}`);
    process.exit(1);
  }
}
console.log(`chart: PrometheusRule and ${maps.length} dashboard ConfigMaps match`);
JS

npm run build --silent
npx vitest run --config vitest.observability.config.ts
