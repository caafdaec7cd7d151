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

npm run build --silent
npx vitest run --config vitest.observability.config.ts
