#!/usr/bin/env bash
# npm run check:tiltfile: evaluates the root Tiltfile with the Tilt CLI (no cluster, no image
# build) and checks that it declares the image and the resources `tilt up` is meant to run,
# with the apps waiting for Kafka and ClickHouse. A developer's tilt-settings.yaml applies here
# too; the bot's resources are checked when it turns them on.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash tools/k8s/install.sh
PATH="$(bash tools/k8s/install.sh --print):$PATH"
export PATH
result="$(mktemp)"
trap 'rm -f "$result"' EXIT
tilt alpha tiltfile-result --file Tiltfile >"$result"
node --input-type=module - "$result" <<'JS'
import { readFileSync } from 'node:fs';

const result = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const manifests = new Map((result.Manifests ?? []).map((m) => [m.Name, m]));
// Each resource, what it must wait for, and whether it runs the live-updated Wikipulse image.
const expected = {
  'wikipulse-setup': { deps: [], image: false },
  'wikipulse-kafka': { deps: ['wikipulse-setup'], image: false },
  'wikipulse-clickhouse': { deps: ['wikipulse-setup'], image: false },
  'wikipulse-ingestor': { deps: ['wikipulse-kafka'], image: true },
  'wikipulse-sink': { deps: ['wikipulse-kafka', 'wikipulse-clickhouse'], image: true },
  'wikipulse-operator': { deps: ['wikipulse-kafka', 'wikipulse-clickhouse'], image: true },
};
if (manifests.has('wikipulse-bot-gateway') || manifests.has('wikipulse-bot-worker')) {
  expected['wikipulse-bot-gateway'] = { deps: ['wikipulse-kafka'], image: true };
  expected['wikipulse-bot-worker'] = { deps: ['wikipulse-kafka', 'wikipulse-clickhouse'], image: true };
}
const problems = [];
if (result.Error) problems.push(`evaluation failed: ${JSON.stringify(result.Error)}`);
for (const [name, { deps, image }] of Object.entries(expected)) {
  const manifest = manifests.get(name);
  if (!manifest) {
    problems.push(`no resource ${name}`);
    continue;
  }
  const have = manifest.ResourceDependencies ?? [];
  for (const dep of deps) {
    if (!have.includes(dep)) problems.push(`${name} does not wait for ${dep}`);
  }
  if (Object.keys(manifest.Labels ?? {}).length === 0) problems.push(`${name} has no label`);
  const target = (manifest.ImageTargets ?? []).find(
    (t) => t.selector === 'ghcr.io/wikipulse/wikipulse',
  );
  if (image && !target?.LiveUpdateSpec?.syncs?.length) {
    problems.push(`${name} does not run the live-updated Wikipulse image`);
  }
}
const operatorImage = (manifests.get('wikipulse-operator')?.ImageTargets ?? [])[0];
if (operatorImage && !operatorImage.matchInEnvVars) {
  problems.push("the operator's APP_IMAGE does not get the built image");
}
for (const name of manifests.keys()) {
  if (!(name in expected)) problems.push(`unexpected resource ${name}`);
}
if (problems.length > 0) {
  console.error(`Tiltfile: ${problems.join('; ')}`);
  process.exit(1);
}
console.error(`Tiltfile: ${manifests.size} resources: ${[...manifests.keys()].join(', ')}`);
JS
