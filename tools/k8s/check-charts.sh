#!/usr/bin/env bash
# The chart checks CI runs (npm run check:charts): helm lint, and every ci/*-values.yaml
# rendered with helm template and validated against the Kubernetes API schemas of the version
# the tests run (kubernetes-validate --strict rejects unknown fields too); then the development
# Prometheus and Grafana of k8s/dev (tools/k8s/check-dev.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/k8s/install.sh
bin="$(bash tools/k8s/install.sh --print)"
kube_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2 }' tools/k8s/kube/go.mod)"
status=0

# The chart ships the CRD that k8s/crds holds; the two must not drift apart.
for crd in k8s/crds/*.yaml; do
  if ! cmp -s "$crd" "charts/wikipulse/crds/$(basename "$crd")"; then
    echo "charts/wikipulse/crds/$(basename "$crd") differs from $crd: copy it over" >&2
    status=1
  fi
done

# values.schema.json is enforced: a password in a plain value is refused.
if "$bin/helm" template ci charts/wikipulse --set clickhouse.url=http://user:pw@ch:8123 \
  >/dev/null 2>&1; then
  echo "charts/wikipulse accepted a ClickHouse URL with credentials in values" >&2
  status=1
fi

# Rules the templates enforce (values.schema.json cannot compare two values): more sinks than
# partitions, the bot without its token Secret, a Discord token or a password as a literal
# value, Kafka or ClickHouse settings that could not work.
refused() {
  local why="$1"
  shift
  if "$bin/helm" template ci charts/wikipulse "$@" >/dev/null 2>&1; then
    echo "charts/wikipulse accepted $why" >&2
    status=1
  fi
}
refused "more sink replicas than partitions" --set pipeline.sinkReplicas=7 --set topics.partitions=6
refused "more than two ingestors" --set pipeline.ingestorReplicas=3
refused "the pipeline without the operator" --set operator.enabled=false
refused "a pod label the selectors use" --set 'sink.podLabels.app\.kubernetes\.io/name=x'
refused "the bot without bot.discord.existingSecret" --set bot.enabled=true
refused "a literal DISCORD_TOKEN" --set bot.enabled=true --set bot.discord.existingSecret=d \
  --set 'bot.gateway.extraEnv[0].name=DISCORD_TOKEN' --set 'bot.gateway.extraEnv[0].value=x'
refused "more bot workers than command partitions" --set bot.enabled=true \
  --set bot.discord.existingSecret=d --set bot.worker.autoscaling.maxReplicas=13
refused "a literal KAFKA_SASL_PASSWORD" --set 'sink.extraEnv[0].name=KAFKA_SASL_PASSWORD' \
  --set 'sink.extraEnv[0].value=x'
refused "a SASL mechanism without its Secret" --set kafka.mode=external \
  --set kafka.external.tls.enabled=true --set kafka.external.sasl.mechanism=scram-sha-512
refused "SASL PLAIN without TLS" --set kafka.mode=external \
  --set kafka.external.sasl.mechanism=plain --set kafka.external.sasl.existingSecret=k
refused "a Kafka CA without TLS" --set kafka.mode=external \
  --set kafka.external.tls.caSecret.name=ca
refused "ClickHouse replicas with non-replicated tables" --set clickhouse.mode=altinity \
  --set clickhouse.altinity.replicas=2
refused "clickhouse.auth.existingSecret in altinity mode" --set clickhouse.mode=altinity \
  --set clickhouse.auth.existingSecret=ch
refused "a ClickHouse CA with an http URL" --set clickhouse.mode=external \
  --set clickhouse.tls.caSecret.name=ca
refused "a ClickHouse client certificate without its CA" --set clickhouse.mode=external \
  --set clickhouse.url=https://ch:8443 --set clickhouse.tls.clientSecret.name=client

# kubernetes-validate knows the built-in kinds only: it warns about any other kind and passes
# it. These third-party kinds are rendered (behind their flags and modes) without a schema
# check here; any other kind it cannot check fails the run.
unchecked_kinds='WikiStream wikipulse.io/v1alpha1
ServiceMonitor monitoring.coreos.com/v1
Kafka kafka.strimzi.io/v1
KafkaNodePool kafka.strimzi.io/v1
KafkaUser kafka.strimzi.io/v1
ClickHouseInstallation clickhouse.altinity.com/v1'

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT

# The operator's Role in the chart grants exactly what k8s/rbac/operator.yaml grants, the
# rules the API-server tests run the operator with.
"$bin/helm" template ci charts/wikipulse --namespace wikipulse \
  --show-only templates/operator/rbac.yaml >"$rendered/rbac.yaml"
node --input-type=module - "$rendered/rbac.yaml" k8s/rbac/operator.yaml <<'JS' || status=1
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
const rules = (file) =>
  JSON.stringify(
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'Role')?.rules,
  );
const [chart, plain] = process.argv.slice(2);
if (rules(chart) !== rules(plain)) {
  console.error(`the chart's operator Role differs from ${plain}`);
  process.exit(1);
}
JS
# helm lint, then the render validated; $1 the chart, $2 a values file, $3 the report's name.
check_values() {
  local chart="$1" values="$2" name="$3"
  echo "==> $name"
  "$bin/helm" lint --strict --quiet "$chart" -f "$values" --kube-version "$kube_version" || status=1
  local out="$rendered/$name.yaml"
  if "$bin/helm" template ci "$chart" --namespace wikipulse --include-crds \
    --kube-version "$kube_version" -f "$values" >"$out"; then
    "$bin/kubernetes-validate" --strict --quiet -k "${kube_version#v}" "$out" \
      >"$out.log" 2>&1 || status=1
    grep -v "Couldn't find schema for kind" "$out.log" >&2 || true
    while read -r kind api; do
      if grep -qxF "$kind $api" <<<"$unchecked_kinds"; then
        echo "    not schema-checked (third-party CRD): $kind $api"
      else
        echo "no schema for $kind $api: add it to unchecked_kinds only if it is a third-party CRD" >&2
        status=1
      fi
    done < <(sed -n "s/.*Couldn't find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\1 \2/p" \
      "$out.log" | sort -u)
  else
    status=1
  fi
}
for chart in charts/*/; do
  chart="${chart%/}"
  for values in "$chart"/ci/*-values.yaml; do
    check_values "$chart" "$values" "$(basename "$chart")-$(basename "$values" -values.yaml)"
  done
done
# The recipes of docs/kafka-and-clickhouse.md: rendered like the ci cases, and quoted there verbatim.
for values in k8s/examples/*-values.yaml; do
  check_values charts/wikipulse "$values" "example-$(basename "$values" -values.yaml)"
  if ! node -e 'const fs = require("node:fs");
    process.exit(fs.readFileSync(process.argv[1], "utf8").includes(fs.readFileSync(process.argv[2], "utf8")) ? 0 : 1)' \
    docs/kafka-and-clickhouse.md "$values"; then
    echo "docs/kafka-and-clickhouse.md does not quote $values as it is" >&2
    status=1
  fi
done
bash tools/k8s/check-dev.sh || status=1
exit "$status"
