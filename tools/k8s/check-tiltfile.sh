#!/usr/bin/env bash
# npm run check:tiltfile: evaluates the root Tiltfile with the Tilt CLI (no cluster, no image
# build) and checks that it declares the image and the resources `tilt up` is meant to run,
# with the apps waiting for Kafka and ClickHouse, each resource's label and forwarded ports,
# the development Prometheus and Grafana reading the generated rules and dashboards, the bot
# console forwarded from a bot that serves it, and every
# object it would apply valid against the Kubernetes schemas (kubernetes-validate --strict).
# It evaluates twice: with the developer's tilt-settings.yaml if any, and with settings that
# turn the bot on, whose resources need a Discord token Secret.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/k8s/install.sh
PATH="$(bash tools/k8s/install.sh --print):$PATH"
export PATH
kube_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2 }' tools/k8s/kube/go.mod)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tilt alpha tiltfile-result --file Tiltfile >"$work/default.json"
printf 'bot_discord_secret: discord\n' >"$work/bot-settings.yaml"
WIKIPULSE_TILT_SETTINGS="$work/bot-settings.yaml" \
  tilt alpha tiltfile-result --file Tiltfile >"$work/bot.json"

status=0
for run in default bot; do
  node --input-type=module - "$work/$run.json" "$work/$run.yaml" "$run" <<'JS' || status=1
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [resultFile, yamlFile, run] = process.argv.slice(2);
const result = JSON.parse(readFileSync(resultFile, 'utf8'));
const manifests = new Map((result.Manifests ?? []).map((m) => [m.Name, m]));
// Each resource, what it must wait for, its label, whether it runs the live-updated Wikipulse
// image, and the container ports it forwards, by link name.
const ops = (name) => ({ [`${name} /metrics`]: 9464 });
const expected = {
  'wikipulse-setup': { deps: [], label: 'infra', image: false, forwards: {} },
  'wikipulse-kafka': { deps: ['wikipulse-setup'], label: 'infra', image: false, forwards: {} },
  'wikipulse-clickhouse': {
    deps: ['wikipulse-setup'],
    label: 'infra',
    image: false,
    forwards: { 'ClickHouse HTTP': 8123 },
  },
  'wikipulse-ingestor': {
    deps: ['wikipulse-kafka'],
    label: 'pipeline',
    image: true,
    forwards: ops('ingestor'),
  },
  // The schema's owner: the sink and the bot run no DDL.
  migrate: { deps: ['wikipulse-clickhouse'], label: 'pipeline', image: true, forwards: {} },
  'wikipulse-sink': {
    deps: ['wikipulse-kafka', 'wikipulse-clickhouse'],
    label: 'pipeline',
    image: true,
    forwards: ops('sink'),
  },
  'wikipulse-operator': {
    deps: ['wikipulse-kafka', 'wikipulse-clickhouse'],
    label: 'operator',
    image: true,
    forwards: ops('operator'),
  },
  prometheus: {
    deps: ['wikipulse-setup'],
    label: 'observability',
    image: false,
    forwards: { Prometheus: 9090 },
  },
  grafana: {
    deps: ['wikipulse-setup'],
    label: 'observability',
    image: false,
    forwards: { Grafana: 3000 },
  },
};
const botOn =
  run === 'bot' || manifests.has('wikipulse-bot-gateway') || manifests.has('wikipulse-bot-worker');
if (!botOn) {
  expected['bot-console'] = {
    deps: ['wikipulse-clickhouse', 'migrate'],
    label: 'bot',
    image: true,
    forwards: { 'bot console': 9470 },
  };
}
if (botOn) {
  expected['wikipulse-bot-gateway'] = {
    deps: ['wikipulse-kafka'],
    label: 'bot',
    image: true,
    forwards: ops('bot-gateway'),
  };
  expected['wikipulse-bot-worker'] = {
    deps: ['wikipulse-kafka', 'wikipulse-clickhouse'],
    label: 'bot',
    image: true,
    forwards: { ...ops('bot-worker'), 'bot console': 9470 },
  };
}
const problems = [];
if (result.Error) problems.push(`evaluation failed: ${JSON.stringify(result.Error)}`);
const localPorts = new Map();
const objects = new Map();
for (const [name, { deps, label, image, forwards }] of Object.entries(expected)) {
  const manifest = manifests.get(name);
  if (!manifest) {
    problems.push(`no resource ${name}`);
    continue;
  }
  const have = manifest.ResourceDependencies ?? [];
  for (const dep of deps) {
    if (!have.includes(dep)) problems.push(`${name} does not wait for ${dep}`);
  }
  if (!(label in (manifest.Labels ?? {}))) problems.push(`${name} is not labelled ${label}`);
  const target = (manifest.ImageTargets ?? []).find(
    (t) => t.selector === 'ghcr.io/wikipulse/wikipulse',
  );
  if (image && !target?.LiveUpdateSpec?.syncs?.length) {
    problems.push(`${name} does not run the live-updated Wikipulse image`);
  }
  const declared = manifest.DeployTarget?.portForwardTemplateSpec?.forwards ?? [];
  for (const [link, containerPort] of Object.entries(forwards)) {
    const forward = declared.find((f) => f.name === link);
    if (forward?.containerPort !== containerPort) {
      problems.push(`${name} does not forward container port ${containerPort} as "${link}"`);
    }
  }
  for (const forward of declared) {
    if (!(forward.name in forwards)) problems.push(`${name} forwards unexpected "${forward.name}"`);
    const other = localPorts.get(forward.localPort);
    if (other) problems.push(`local port ${forward.localPort} is forwarded twice (${other}, ${name})`);
    localPorts.set(forward.localPort, name);
  }
  for (const doc of parseAllDocuments(manifest.DeployTarget?.yaml ?? '')) {
    const object = doc.toJS();
    if (object) objects.set(`${object.kind}/${object.metadata.name}`, object);
  }
}
const operatorImage = (manifests.get('wikipulse-operator')?.ImageTargets ?? [])[0];
if (operatorImage && !operatorImage.matchInEnvVars) {
  problems.push("the operator's APP_IMAGE does not get the built image");
}
for (const name of manifests.keys()) {
  if (!(name in expected)) problems.push(`unexpected resource ${name}`);
}

// The development Prometheus and Grafana read the generated files themselves.
const configMap = (name) => objects.get(`ConfigMap/${name}`)?.data ?? {};
const rules = configMap('wikipulse-dev-prometheus-rules');
if (
  Object.keys(rules).join() !== 'wikipulse.rules.yaml' ||
  rules['wikipulse.rules.yaml'] !== readFileSync('grafana/alerts/wikipulse.rules.yaml', 'utf8')
) {
  problems.push('the Prometheus rules ConfigMap is not grafana/alerts/wikipulse.rules.yaml');
}
const dashboards = configMap('wikipulse-dev-grafana-dashboards');
const files = readdirSync('grafana/dashboards').filter((f) => f.endsWith('.json')).sort();
if (
  JSON.stringify(Object.keys(dashboards).sort()) !== JSON.stringify(files) ||
  files.some((f) => dashboards[f] !== readFileSync(`grafana/dashboards/${f}`, 'utf8'))
) {
  problems.push('the Grafana dashboards ConfigMap is not grafana/dashboards/*.json');
}
// The namespace the Tiltfile creates (tilt-settings.yaml may name another) holds everything.
const namespaces = [...objects.values()].filter((o) => o.kind === 'Namespace');
const namespace = namespaces[0]?.metadata.name;
if (namespaces.length !== 1) problems.push('the Tiltfile must create exactly one Namespace');
const clusterScoped = ['Namespace', 'CustomResourceDefinition'];
for (const [key, object] of objects) {
  if (!clusterScoped.includes(object.kind) && object.metadata.namespace !== namespace) {
    problems.push(`${key} is not in the namespace ${namespace}`);
  }
}
const binding = objects.get('RoleBinding/wikipulse-dev-prometheus');
if (binding?.subjects?.[0]?.namespace !== namespace) {
  problems.push("the dev Prometheus' RoleBinding names another namespace's ServiceAccount");
}
// The console the Tiltfile forwards is the one the bot workers (tilt values) or, without the
// bot, the console-only bot serve, on the pod's loopback.
const consoleServer = objects.get(
  botOn ? 'Deployment/wikipulse-bot-worker' : 'Deployment/wikipulse-dev-bot-console',
);
const consoleEnv = consoleServer?.spec.template.spec.containers[0].env ?? [];
if (consoleEnv.find((e) => e.name === 'CONSOLE_PORT')?.value !== '9470') {
  problems.push('no bot serves the forwarded console on port 9470 (CONSOLE_PORT)');
}
if (consoleEnv.some((e) => e.name === 'CONSOLE_HOST')) {
  problems.push('the bot console must stay on the pod loopback (no CONSOLE_HOST)');
}

writeFileSync(
  yamlFile,
  [...objects.values()].map((o) => `---\n${JSON.stringify(o)}\n`).join(''),
);
if (problems.length > 0) {
  console.error(`Tiltfile (${run} settings): ${problems.join('; ')}`);
  process.exit(1);
}
console.error(
  `Tiltfile (${run} settings): ${manifests.size} resources, ${objects.size} objects: ${[...manifests.keys()].join(', ')}`,
);
JS
  # Everything `tilt up` applies, after the Tiltfile's own changes, against the API schemas.
  kubernetes-validate --strict --quiet -k "${kube_version#v}" "$work/$run.yaml" || status=1
done
exit "$status"
