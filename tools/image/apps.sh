# Each app run from the runtime image as the chart runs its pod, for npm run check:image. Sourced
# by tools/image/check.sh once the image is built ($docker_cli, $image, $work, $run_id):
#
#   apps_check   renders the chart and runs its ingestor, sink, bot and operator containers with
#                their pods' command, environment and security settings (user, read-only root,
#                a tmpfs for each emptyDir, capabilities dropped, no privilege escalation,
#                memory limit), on host networking so every connection stays on loopback, then
#                stops each with SIGTERM and expects exit 0 within the pod's grace period
#   apps_cleanup removes this run's containers and stops the services it started
#
# The services are the tests' own (@wikipulse/testing): a local EventStreams server playing the
# bundled recordings, and Kafka from KAFKA_BROKERS or the project's broker (tools/kafka), as
# integration tests get it. Events are read back with @wikipulse/kafka, whatever client it wraps.
# shellcheck shell=bash

fixtures_pid=''

apps_check() {
  chart_pods
  fixtures_start
  local brokers stream_url
  brokers="$(fixture_field brokers)"
  stream_url="$(fixture_field streamUrl)"
  log "services: $(fixture_field kafka); EventStreams at $stream_url ($(fixture_field events) events)"
  passed "tests with this engine would use $(fixture_field tests)"
  # A port nothing listens on: the sink's, the bot's and the operator's ClickHouse.
  local closed topic
  closed="http://127.0.0.1:$(free_port)"
  topic="wikipulse.image-check.$run_id"
  ingestor_check "$brokers" "$stream_url" "$topic"
  sink_check "$brokers" "$topic" "$closed"
  bot_check "$closed"
  operator_check "$brokers" "$closed"
}

# The chart's Deployments (bot included) and those its operator creates for the chart's
# WikiStream (the ingestor and the sink, from the operator's own code and the settings the
# chart gives it) as $work/pods.json: per component, the `docker run`
# options its pod's settings translate to, its environment, command and grace period. Secrets
# the chart renders (its generated ClickHouse credentials) reach the containers as Kubernetes
# hands them over: variables, and read-only files under $work/secrets owned by root and the
# pod's fsGroup with the volume's mode; a Secret the chart only names is left out.
chart_pods() {
  local helm
  helm="$(bash tools/k8s/install.sh --print)/helm"
  [[ -x "$helm" ]] || bash tools/k8s/install.sh
  "$helm" template wikipulse charts/wikipulse --namespace wikipulse \
    --set bot.enabled=true --set bot.discord.existingSecret=image-check >"$work/chart.yaml"
  npx tsc -b apps/operator
  node --input-type=module - "$work/chart.yaml" >>"$work/chart.yaml" <<'JS'
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { childSettings, desiredDeployments, loadEnv } from '@wikipulse/operator';

const docs = parseAllDocuments(readFileSync(process.argv[2], 'utf8')).map((d) => d.toJS());
const operator = docs.find((d) => d?.kind === 'Deployment' && d.metadata.name.endsWith('-operator'));
const stream = docs.find((d) => d?.kind === 'WikiStream');
// What the operator passes on to the pipeline's pods; its own connection stays in its pod.
const env = Object.fromEntries(
  operator.spec.template.spec.containers[0].env
    .filter((e) => e.value !== undefined && /^(APP_|KAFKA_BROKERS$|CLICKHOUSE_URL$)/.test(e.name))
    .map((e) => [e.name, e.value]),
);
const settings = childSettings(loadEnv({ ...env, WATCH_NAMESPACE: stream.metadata.namespace }));
const owned = { ...stream, metadata: { ...stream.metadata, uid: 'image-check' } };
for (const deployment of desiredDeployments(owned, settings)) {
  process.stdout.write(`---\n${stringify(deployment)}`);
}
JS
  node --input-type=module - "$work/chart.yaml" "$work/secrets" >"$work/pods.json" <<'JS'
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [rendered, secretsDir] = process.argv.slice(2);
// YAML 1.1, as Kubernetes reads manifests: `defaultMode: 0440` is octal.
const docs = parseAllDocuments(readFileSync(rendered, 'utf8'), { version: '1.1' }).map((d) => d.toJS());
const secrets = new Map(
  docs
    .filter((d) => d?.kind === 'Secret')
    .map((d) => [
      d.metadata.name,
      {
        ...Object.fromEntries(Object.entries(d.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        ...Object.fromEntries(Object.entries(d.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
      },
    ]),
);
// Kubernetes quantities as Docker's: 64Mi -> 64m.
const size = (q) => String(q).replace(/^(\d+)([KMG])i$/, (_, n, u) => n + u.toLowerCase());
const pods = {};
for (const doc of docs) {
  if (doc?.kind !== 'Deployment') continue;
  const spec = doc.spec.template.spec;
  const component = doc.metadata.labels['app.kubernetes.io/component'];
  const [container, ...more] = spec.containers;
  if (more.length > 0) throw new Error(`${component}: one container per pod expected`);
  const pod = spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const user = own.runAsUser ?? pod.runAsUser;
  const group = own.runAsGroup ?? pod.runAsGroup;
  if (user === undefined || group === undefined) throw new Error(`${component}: no runAsUser/runAsGroup`);
  const options = ['--user', `${user}:${group}`];
  if (own.readOnlyRootFilesystem) options.push('--read-only');
  if (own.capabilities?.drop?.includes('ALL')) options.push('--cap-drop', 'ALL');
  if (own.allowPrivilegeEscalation === false) options.push('--security-opt', 'no-new-privileges');
  for (const mount of container.volumeMounts ?? []) {
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (volume?.emptyDir) {
      const limit = volume.emptyDir.sizeLimit ? `:size=${size(volume.emptyDir.sizeLimit)}` : '';
      options.push('--tmpfs', `${mount.mountPath}${limit}`);
    } else if (volume?.secret) {
      const data = secrets.get(volume.secret.secretName);
      if (!data) continue;
      const dir = join(secretsDir, component, volume.name);
      mkdirSync(dir, { recursive: true });
      const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const file = join(dir, item.path);
        writeFileSync(file, data[item.key], { mode: item.mode ?? volume.secret.defaultMode ?? 0o644 });
        try {
          chownSync(file, 0, pod.fsGroup ?? group);
        } catch {
          // Not root: readable by everyone instead of by the pod's group.
          chmodSync(file, 0o444);
        }
      }
      options.push('--mount', `type=bind,source=${dir},target=${mount.mountPath},readonly`);
    } else {
      throw new Error(`${component}: volume ${mount.name} is neither an emptyDir nor a Secret`);
    }
  }
  const memory = container.resources?.limits?.memory;
  if (memory) options.push('--memory', size(memory));
  const env = {};
  for (const e of container.env ?? []) {
    // No API server here: the ingestor runs alone, without leader election (which
    // apps/ingestor/src/leader.k8s.test.ts tests against a real one).
    if (e.name === 'LEASE_NAME') continue;
    const ref = e.valueFrom?.secretKeyRef;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (ref && secrets.get(ref.name)?.[ref.key]) env[e.name] = secrets.get(ref.name)[ref.key].toString();
  }
  pods[component] = {
    options,
    env,
    command: container.command,
    grace: spec.terminationGracePeriodSeconds ?? 30,
  };
}
console.log(JSON.stringify(pods, null, 2));
JS
  log "chart: pods of $(node -p 'Object.keys(require(process.argv[1])).join(", ")' "$work/pods.json")"
}

# The services, from a Node process that keeps them until SIGTERM; what they are in
# $work/fixtures.json.
fixtures_start() {
  npx tsc -b packages/testing
  node --input-type=module - "$work/fixtures.json" "$work/expected-ids" >"$cache/logs/services.log" 2>&1 <<'JS' &
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLICKHOUSE_IMAGE,
  EventLog,
  KAFKA_IMAGE,
  chooseServices,
  provideKafka,
  readRecording,
  recordingsDir,
  startEventStreamsServer,
} from '@wikipulse/testing';

const [out, expectedIds] = process.argv.slice(2);
// What the integration tests would run on with this engine: a look-up, nothing is started.
const tests = await chooseServices([KAFKA_IMAGE, CLICKHOUSE_IMAGE]);
const kafka = await provideKafka();
const lines = ['enwiki-2023-07-29-100.jsonl', 'multiwiki-2026-09-17-24.jsonl']
  .flatMap((f) => readRecording(join(recordingsDir, f)))
  .filter((line) => JSON.parse(line).meta?.domain !== 'canary');
// Every event once, each with a fresh id, then an open connection with nothing more to say.
const options = { lines, limit: lines.length, seed: process.pid };
const stream = await startEventStreamsServer(options);
const log = new EventLog(options);
const ids = [];
for (let i = 0; i < lines.length; i += 1) ids.push(log.entryAt(i).metaId);
writeFileSync(expectedIds, ids.join('\n') + '\n');
process.on('SIGTERM', () => {
  void Promise.all([stream.stop(), kafka.stop()]).then(() => process.exit(0));
});
writeFileSync(
  out,
  JSON.stringify({
    brokers: kafka.value.join(','),
    kafka: kafka.description,
    streamUrl: stream.url,
    events: ids.length,
    tests: `${tests.containers ? 'testcontainers' : 'the local services'}: ${tests.reason}`,
  }),
);
JS
  fixtures_pid=$!
  local _
  for _ in $(seq 1 480); do
    [[ ! -s "$work/fixtures.json" ]] || return 0
    kill -0 "$fixtures_pid" 2>/dev/null || break
    sleep 0.25
  done
  echo "check:image: the services did not start:" >&2
  tail -n 20 "$cache/logs/services.log" >&2
  exit 1
}

fixture_field() {
  node -p 'require(process.argv[1])[process.argv[2]]' "$work/fixtures.json" "$1"
}

# NAME COMPONENT IMAGE [KEY=VALUE...]: starts the component's pod from IMAGE as container NAME,
# its environment with these values on top. Ops servers listen on loopback: the host's network
# is shared. FOR_DEVELOPMENT=1 changes the pod as the Tiltfile does for `tilt up`: a writable
# root filesystem and `node --watch`.
app_start() {
  local name="$1" component="$2" from="$3"
  shift 3
  local args
  # shellcheck disable=SC2016 # JavaScript
  mapfile -t args < <(node -e '
    const [pods, component, image, ...overrides] = process.argv.slice(1);
    const pod = require(pods)[component];
    if (!pod) throw new Error(`the chart has no ${component} Deployment`);
    const env = { ...pod.env, METRICS_HOST: "127.0.0.1" };
    for (const kv of overrides) env[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
    let [entrypoint, ...rest] = pod.command;
    let options = pod.options;
    if (process.env.FOR_DEVELOPMENT === "1") {
      options = options.filter((o) => o !== "--read-only");
      // As the Tiltfile raises it (DEV_MEMORY): live update compiles the project in there.
      const memory = options.indexOf("--memory");
      if (memory >= 0) options[memory + 1] = "1536m";
      rest = ["--watch", ...rest];
    }
    const envOptions = Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
    console.log([...options, ...envOptions, "--entrypoint", entrypoint, image, ...rest].join("\n"));
  ' "$work/pods.json" "$component" "$from" "$@")
  # A Deployment's pod restarts its container when it fails; restarts are reported.
  "$docker_cli" run --detach --name "wikipulse-check-$name-$run_id" --label "io.wikipulse.check=$run_id" \
    --network host --restart on-failure "${args[@]}" >/dev/null
}

# NAME: the container's state (running, restarting, exited...) and its restart count.
container_state() {
  "$docker_cli" inspect --format '{{.State.Status}} {{.RestartCount}}' "wikipulse-check-$1-$run_id" 2>/dev/null ||
    echo 'gone 0'
}

# NAME: what the container's crashes said: the message of each fatal log line.
container_crashes() {
  "$docker_cli" logs "wikipulse-check-$1-$run_id" 2>&1 |
    node -e '
      const lines = require("node:fs").readFileSync(0, "utf8").split("\n");
      const fatal = lines.flatMap((l) => { try { const e = JSON.parse(l); return e.level === "fatal" ? [e.err?.message ?? e.msg] : []; } catch { return []; } });
      console.log([...new Set(fatal)].join("; "));
    '
}

# NAME URL: waits up to 60 s for any HTTP answer from URL, less when the container stops or
# fails three times; its status in $http_status and its body in $http_body.
http_wait() {
  local name="$1" url="$2" state _
  http_status=000
  for _ in $(seq 1 240); do
    http_status="$(curl -sS --max-time 2 -o "$work/body" -w '%{http_code}' "$url" 2>/dev/null || true)"
    [[ "$http_status" == 000 ]] || break
    state="$(container_state "$name")"
    [[ "$state" == @(running|restarting)\ [012] ]] || break
    sleep 0.25
  done
  http_body="$(cat "$work/body" 2>/dev/null || true)"
}

# NAME COMPONENT: SIGTERM through `docker stop` with the pod's grace period; expects exit 0.
app_stop() {
  local name="$1" component="$2" container="wikipulse-check-$1-$run_id" grace before code seconds
  grace="$(node -p 'require(process.argv[1])[process.argv[2]].grace' "$work/pods.json" "$component")"
  before=$EPOCHREALTIME
  "$docker_cli" stop --time "$grace" "$container" >/dev/null
  seconds="$(seconds_between "$before" "$EPOCHREALTIME")"
  code="$("$docker_cli" inspect --format '{{.State.ExitCode}}' "$container")"
  "$docker_cli" logs "$container" >"$cache/logs/$name.log" 2>&1
  local restarts
  restarts="$(container_state "$name" | cut -d' ' -f2)"
  if [[ "$restarts" != 0 ]]; then
    log "note: $name restarted $restarts time(s) before it was stopped: $(container_crashes "$name")"
  fi
  if [[ "$code" == 0 ]]; then
    passed "$name: exit 0 on SIGTERM after ${seconds}s (grace period ${grace}s)"
  else
    problem "$name: exit $code on SIGTERM after ${seconds}s (log: .cache/image/logs/$name.log)"
    tail -n 5 "$cache/logs/$name.log" >&2
  fi
}

# A stopped container's last lines, when it stopped before its check was done.
app_died() {
  "$docker_cli" logs "wikipulse-check-$1-$run_id" >"$cache/logs/$1.log" 2>&1 || true
  problem "$1: $2 (log: .cache/image/logs/$1.log)"
}

ingestor_check() {
  local brokers="$1" stream_url="$2" topic="$3" port
  port="$(free_port)"
  app_start ingestor ingestor "$image" KAFKA_BROKERS="$brokers" STREAM_URL="$stream_url" TOPIC="$topic" \
    DEAD_LETTER_TOPIC="$topic.dead-letter" CHECKPOINT_TOPIC="$topic.positions" METRICS_PORT="$port"
  http_wait ingestor "http://127.0.0.1:$port/healthz"
  if [[ "$http_status" != 200 ]]; then
    app_died ingestor "no /healthz (HTTP $http_status; crashes: $(container_crashes ingestor))"
    return
  fi
  local read
  if read="$(node --input-type=module - "$brokers" "$topic" "$work/expected-ids" 2>"$cache/logs/read-back.log" <<'JS'
import { readFileSync } from 'node:fs';
import { KafkaBus } from '@wikipulse/kafka';

const [brokers, topic, expectedIds] = process.argv.slice(2);
const expected = new Set(readFileSync(expectedIds, 'utf8').split('\n').filter(Boolean));
const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'wikipulse-image-check' });
const consumer = await bus.consumer({
  groupId: `wikipulse-image-check-${process.pid}`,
  topics: [topic],
  fromBeginning: true,
});
const seen = new Set();
let unexpected = 0;
await consumer.run(async (batch) => {
  for (const message of batch.messages) {
    const id = JSON.parse(message.value?.toString() ?? 'null')?.meta?.id;
    if (expected.has(id)) seen.add(id);
    else unexpected += 1;
  }
});
const deadline = Date.now() + 60_000;
while (seen.size < expected.size && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 200));
}
await consumer.close();
console.log(`${seen.size} of the ${expected.size} events served, ${unexpected} others`);
process.exit(seen.size === expected.size && unexpected === 0 ? 0 : 1);
JS
  )"; then
    passed "ingestor: read back from Kafka ($topic): $read"
  else
    problem "ingestor: read back from Kafka ($topic): $read"
  fi
  app_stop ingestor ingestor
}

# The sink with a ClickHouse that does not answer: it must keep running, not ready, saying why,
# and commit nothing of what it reads.
sink_check() {
  local brokers="$1" topic="$2" closed="$3" port group
  port="$(free_port)"
  group="wikipulse-image-check-sink-$run_id"
  app_start sink sink "$image" KAFKA_BROKERS="$brokers" TOPIC="$topic" GROUP_ID="$group" \
    DEAD_LETTER_TOPIC="$topic.dead-letter" CLICKHOUSE_URL="$closed" METRICS_PORT="$port"
  http_wait sink "http://127.0.0.1:$port/readyz"
  if [[ "$http_status" == 000 ]]; then
    app_died sink "never answered /readyz with ClickHouse at $closed not answering ($(container_state sink | cut -d' ' -f2) restarts: $(container_crashes sink))"
    return
  fi
  # Long enough for a batch to be read and its write to be tried and retried.
  sleep 10
  if [[ "$(container_state sink)" != 'running 0' ]]; then
    app_died sink "did not keep running with ClickHouse at $closed not answering ($(container_state sink | cut -d' ' -f2) restarts: $(container_crashes sink))"
    return
  fi
  http_wait sink "http://127.0.0.1:$port/readyz"
  if [[ "$http_status" == 503 && "$http_body" == *'"clickhouse":false'* ]]; then
    passed "sink: not ready while ClickHouse does not answer: $http_body"
  else
    problem "sink: /readyz answered $http_status $http_body with ClickHouse not answering"
  fi
  local committed
  committed="$(node --input-type=module - "$brokers" "$group" "$topic" <<'JS'
import { KafkaBus } from '@wikipulse/kafka';

const [brokers, group, topic] = process.argv.slice(2);
const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'wikipulse-image-check' });
const offsets = await bus.committedOffsets(group, topic);
console.log([...offsets.values()].filter((offset) => BigInt(offset) >= 0n).length);
JS
  )"
  if [[ "$committed" == 0 ]]; then
    passed "sink: committed no offset of $topic"
  else
    problem "sink: committed offsets on $committed partitions without writing to ClickHouse"
  fi
  app_stop sink sink
}

# The bot's console role (the HTTP console alone) from the bot workers' pod, with a ClickHouse
# that does not answer: the bot runs no DDL and waits for its schema, so it must keep running,
# not ready, saying why, and serve no console yet.
bot_check() {
  local closed="$1" port console
  port="$(free_port)"
  console="$(free_port)"
  app_start bot bot-worker "$image" BOT_ROLE=console CONSOLE_PORT="$console" CLICKHOUSE_URL="$closed" \
    METRICS_PORT="$port"
  http_wait bot "http://127.0.0.1:$port/healthz"
  if [[ "$http_status" != 200 ]]; then
    app_died bot "no /healthz (HTTP $http_status; crashes: $(container_crashes bot))"
    return
  fi
  # The first check of the schema may still be under way.
  for _ in $(seq 1 40); do
    http_wait bot "http://127.0.0.1:$port/readyz"
    [[ "$http_body" == *'"schema":"could not check the schema'* ]] && break
    sleep 0.25
  done
  if [[ "$http_status" == 503 && "$http_body" == *'"schema":"could not check the schema'* ]]; then
    passed "bot: not ready while ClickHouse does not answer, saying why: $http_body"
  else
    problem "bot: /readyz answered $http_status $http_body with ClickHouse not answering"
  fi
  if curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$console/" 2>/dev/null; then
    problem "bot: its HTTP console answered before the schema was there"
  fi
  app_stop bot bot-worker
}

# The operator, with no Kubernetes API to reach: it starts, says it is not watching, and stops.
operator_check() {
  local brokers="$1" closed="$2" port
  port="$(free_port)"
  app_start operator operator "$image" WATCH_NAMESPACE=wikipulse KAFKA_BROKERS="$brokers" \
    CLICKHOUSE_URL="$closed" APP_IMAGE="$image" METRICS_PORT="$port"
  http_wait operator "http://127.0.0.1:$port/healthz"
  if [[ "$http_status" != 200 ]]; then
    app_died operator "no /healthz (HTTP $http_status; crashes: $(container_crashes operator))"
    return
  fi
  http_wait operator "http://127.0.0.1:$port/readyz"
  passed "operator: started; /readyz with no Kubernetes API: $http_status $http_body"
  app_stop operator operator
}

apps_cleanup() {
  local containers
  containers="$("$docker_cli" ps --all --quiet --filter "label=io.wikipulse.check=$run_id" 2>/dev/null || true)"
  # shellcheck disable=SC2086 # one id per word
  [[ -z "$containers" ]] || "$docker_cli" rm --force $containers >/dev/null 2>&1 || true
  if [[ -n "$fixtures_pid" ]]; then
    kill -TERM "$fixtures_pid" 2>/dev/null || true
    wait "$fixtures_pid" 2>/dev/null || true
    fixtures_pid=''
  fi
}
