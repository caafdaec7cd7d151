#!/usr/bin/env bash
# What `tilt up` deploys beside the chart (k8s/dev/: Prometheus, Grafana and the console-only
# bot; part of npm run check:charts): the manifests validated like the chart's renders, the
# Prometheus configuration checked by promtool together with the alert rules it loads, the
# restricted Pod Security settings, and credentials read from keys of the chart's Secret.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/k8s/install.sh
bash tools/observability/install.sh
bin="$(bash tools/k8s/install.sh --print)"
kube_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2 }' tools/k8s/kube/go.mod)"
status=0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> k8s/dev"
for manifest in k8s/dev/*.yaml; do
  "$bin/kubernetes-validate" --strict --quiet -k "${kube_version#v}" "$manifest" || status=1
done

# What Grafana reads the credentials from, as the chart renders it for `tilt up`.
"$bin/helm" template wikipulse charts/wikipulse --namespace wikipulse \
  -f charts/wikipulse/ci/tilt-values.yaml >"$work/chart.yaml"

node --input-type=module - "$work" "$root/grafana/alerts/wikipulse.rules.yaml" <<'JS' || status=1
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, parseAllDocuments, stringify } from 'yaml';

const [work, rules] = process.argv.slice(2);
const load = (file) =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
const dev = ['prometheus', 'grafana', 'bot-console'].flatMap((f) => load(`k8s/dev/${f}.yaml`));
const chart = load(`${work}/chart.yaml`);
const problems = [];

// Restricted Pod Security: the namespace may enforce it.
for (const deployment of dev.filter((o) => o.kind === 'Deployment')) {
  const name = deployment.metadata.name;
  const pod = deployment.spec.template.spec;
  if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot`);
  if (!(pod.securityContext?.runAsUser > 0)) problems.push(`${name}: a numeric non-root runAsUser`);
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') {
    problems.push(`${name}: seccompProfile RuntimeDefault`);
  }
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const sc = container.securityContext ?? {};
    const where = `${name}/${container.name}`;
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem`);
    if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]') problems.push(`${where}: drop ALL`);
    // The Wikipulse image is the one Tilt builds; the others are pinned releases.
    const built = container.image.startsWith('ghcr.io/wikipulse/wikipulse:');
    if (!built && !/^[^:@]+:v?\d+\.\d+\.\d+$/.test(container.image)) {
      problems.push(`${where}: image ${container.image} is not pinned to a version`);
    }
  }
}

// Prometheus: promtool checks the configuration with the very rules file it loads in the pod.
const config = parse(dev.find((o) => o.metadata.name === 'wikipulse-dev-prometheus' && o.kind === 'ConfigMap').data['prometheus.yml']);
if (JSON.stringify(config.rule_files) !== '["/etc/prometheus/rules/*.yaml"]') {
  problems.push('prometheus.yml: rule_files must be the mounted rules ConfigMap');
}
config.rule_files = [rules];
// Debian's promtool is built without Kubernetes discovery: it checks the rest with a static
// target in its place, and the discovery block is checked here.
for (const job of config.scrape_configs) {
  const sd = job.kubernetes_sd_configs ?? [];
  const pods = sd.length === 1 && sd[0].role === 'pod' && sd[0].namespaces?.own_namespace === true;
  if (!pods || Object.keys(sd[0]).some((k) => !['role', 'namespaces', 'selectors'].includes(k))) {
    problems.push(`prometheus.yml: ${job.job_name} must discover the pods of its own namespace`);
  }
  delete job.kubernetes_sd_configs;
  job.static_configs = [{ targets: ['127.0.0.1:9464'] }];
}
writeFileSync(`${work}/prometheus.yml`, stringify(config));
// The Role the discovery runs with: pods, read-only, nothing else.
const role = dev.find((o) => o.kind === 'Role' && o.metadata.name === 'wikipulse-dev-prometheus');
if (JSON.stringify(role?.rules) !== JSON.stringify([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }])) {
  problems.push('prometheus: its Role must grant get, list and watch on pods only');
}

// Credentials come from the chart's Secret (a key it renders), never a literal; the Grafana
// admin's password from the Secret the Tiltfile generates.
const secrets = new Map(chart.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, s]));
secrets.set('wikipulse-dev-grafana-admin', { data: { password: '' } });
const secretVariables = new Set(['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']);
for (const deployment of dev.filter((o) => o.kind === 'Deployment')) {
  // Secret files: every key a volume mounts is one the chart renders.
  for (const volume of deployment.spec.template.spec.volumes ?? []) {
    const secret = volume.secret;
    if (!secret) continue;
    for (const item of secret.items ?? []) {
      if (!(item.key in (secrets.get(secret.secretName)?.data ?? {}))) {
        problems.push(`${deployment.metadata.name}: volume ${volume.name} mounts ${secret.secretName}/${item.key}, which the chart does not render`);
      }
    }
  }
  for (const variable of deployment.spec.template.spec.containers.flatMap((c) => c.env ?? [])) {
    if (variable.name === 'CLICKHOUSE_URL' && /\/\/[^/]*@/.test(variable.value ?? '')) {
      problems.push(`${deployment.metadata.name}: CLICKHOUSE_URL carries credentials`);
    }
    const ref = variable.valueFrom?.secretKeyRef;
    if (secretVariables.has(variable.name) && !ref) {
      problems.push(`${deployment.metadata.name}: ${variable.name} is not read from a Secret`);
    }
    if (ref && !(ref.key in (secrets.get(ref.name)?.data ?? {}))) {
      problems.push(`${deployment.metadata.name}: ${variable.name} reads ${ref.name}/${ref.key}, which the chart does not render`);
    }
  }
}
const grafana = dev.find((o) => o.kind === 'Deployment' && o.metadata.name === 'wikipulse-dev-grafana');
const env = new Map(grafana.spec.template.spec.containers[0].env.map((e) => [e.name, e]));
for (const variable of ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']) {
  if (!env.get(variable)?.valueFrom?.secretKeyRef) problems.push(`grafana: ${variable} missing`);
}
const provisioning = dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'wikipulse-dev-grafana');
const datasources = parse(provisioning.data['datasources.yaml']).datasources;
const clickhouse = datasources.find((d) => d.type === 'grafana-clickhouse-datasource');
if (clickhouse?.secureJsonData?.password !== '$CLICKHOUSE_PASSWORD') {
  problems.push('grafana: the ClickHouse password must be $CLICKHOUSE_PASSWORD from the env');
}
if (clickhouse?.jsonData?.username !== '$CLICKHOUSE_USER') {
  problems.push('grafana: the ClickHouse user must be $CLICKHOUSE_USER from the env');
}
const services = new Set(
  [...chart, ...dev].filter((o) => o.kind === 'Service').map((s) => s.metadata.name),
);
for (const source of datasources) {
  const host = source.url ? new URL(source.url).hostname : source.jsonData?.host;
  if (!services.has(host)) problems.push(`grafana: datasource ${source.name} names no Service (${host})`);
}
// Nobody queries a datasource anonymously, and the ClickHouse one is the read-only user.
if (env.get('GF_AUTH_ANONYMOUS_ENABLED')?.value !== 'false') {
  problems.push('grafana: anonymous access must be off (GF_AUTH_ANONYMOUS_ENABLED=false)');
}
for (const variable of ['CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD']) {
  if (env.get(variable)?.valueFrom?.secretKeyRef?.name !== 'wikipulse-clickhouse-grafana') {
    problems.push(`grafana: ${variable} must come from the read-only user's Secret wikipulse-clickhouse-grafana`);
  }
}
if (!env.get('GF_PLUGINS_PREINSTALL_SYNC')?.value?.startsWith(`${clickhouse?.type}@`)) {
  problems.push('grafana: the ClickHouse plugin is not installed at start');
}

if (problems.length > 0) {
  console.error(`k8s/dev: ${problems.join('; ')}`);
  process.exit(1);
}
JS
if [ -f "$work/prometheus.yml" ]; then
  promtool check config "$work/prometheus.yml" >"$work/promtool.log" 2>&1 || {
    cat "$work/promtool.log" >&2
    status=1
  }
fi
exit "$status"
