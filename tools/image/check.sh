#!/usr/bin/env bash
# npm run check:image: the checks the root Dockerfile gets on a machine without a Docker engine.
#
#  1. BuildKit's own Dockerfile frontend (tools/image, built from the Go module proxy) parses
#     and lints it with the rules of `docker build --check` (any warning fails), checks that
#     every FROM and COPY --from names an earlier stage, and converts each target to LLB
#     without resolving a base image.
#  2. The same program replays the runtime target's instructions into .cache/image/replay
#     (RUN steps on this machine's Node and npm, cached like layers), so the image's /app is
#     what this Dockerfile builds, not a copy of its steps.
#  3. That /app is measured and checked: no dev-only package (the embedded ClickHouse engine,
#     testcontainers, the compiler, the test runner), every static import of a shipped module
#     resolves, every entrypoint the chart names exists, and each starts from it (as the
#     image's user on a read-only view of the tree when this runs as root) and answers
#     /healthz or stops with its configuration error, never a missing module.
#
# A warm run (nothing changed) takes 10-16 s; a changed source re-runs tsc and the production
# install (40-70 s); a changed manifest or lockfile the full install too (60-95 s).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cache="$root/.cache/image"
bin="$cache/dockerfile-check"
started=$SECONDS
log() { printf '[check:image] %s\n' "$*" >&2; }

mkdir -p "$cache"
key="$(go env GOVERSION) $(cat tools/image/go.mod tools/image/go.sum tools/image/*.go | sha256sum | cut -c1-16)"
if [[ ! -x "$bin" || "$(cat "$cache/stamp" 2>/dev/null)" != "$key" ]]; then
  log "building tools/image (BuildKit $(awk '$1 == "github.com/moby/buildkit" { print $2 }' tools/image/go.mod))"
  (cd tools/image && GOFLAGS="-trimpath -buildvcs=false" go build -ldflags="-s -w" -o "$bin" .)
  echo "$key" >"$cache/stamp"
fi

# The checker must catch what it is here for: a rule of `docker build --check` and a COPY --from
# naming no stage.
selftest="$(mktemp -d)"
printf 'FROM node:20 as build\nCMD node main.js\n' >"$selftest/lint.Dockerfile"
printf 'FROM node:20 AS build\nFROM node:20 AS runtime\nCOPY --from=biuld /src /app\n' >"$selftest/stage.Dockerfile"
for bad in lint stage; do
  if "$bin" lint "$selftest/$bad.Dockerfile" runtime >/dev/null 2>&1; then
    echo "check:image: tools/image passed a Dockerfile it must refuse ($bad)" >&2
    exit 1
  fi
done
rm -rf "$selftest"

"$bin" lint Dockerfile build deps dev runtime

config="$cache/runtime.json"
"$bin" replay Dockerfile runtime . "$cache/replay" >"$config"
field() { node -e 'const c = require(process.argv[1]); console.log([].concat(c[process.argv[2]]).join("\n"))' "$config" "$1"; }
image_root="$(field root)"
app="$image_root$(field workingDir)"
user="$(field user)"
mapfile -t image_env < <(field env)
mapfile -t image_cmd < <(field cmd)
status=0
problem() {
  echo "check:image: $*" >&2
  status=1
}

bytes="$(du -sb "$app" | cut -f1)"
modules="$(du -sb "$app/node_modules" | cut -f1)"
printf 'size: /app %s MB (node_modules %s MB), plus the base image %s\n' \
  "$((bytes / 1000000))" "$((modules / 1000000))" "$(grep -m1 '^ARG NODE_IMAGE=' Dockerfile | cut -d= -f2)"

for pkg in chdb @chdb testcontainers @testcontainers typescript vitest @wikipulse/testing @wikipulse/local; do
  found="$(find "$app" -path "*/node_modules/$pkg" -print -quit)"
  [[ -z "$found" ]] || problem "$pkg is in the image: ${found#"$app/"}"
done
for dir in apps/local packages/testing; do
  [[ ! -e "$app/$dir" ]] || problem "$dir is in the image"
done
found="$(find "$app" -perm -0002 ! -type l -print -quit)"
[[ -z "$found" ]] || problem "writable by anyone: ${found#"$app/"}"
found="$(find "$app/apps" "$app/packages" -name node_modules -prune -o \
  \( -name '*.ts' -o -name '*.map' -o -name '*.test.*' -o -name src \) -print -quit)"
[[ -z "$found" ]] || problem "sources, tests or source maps are in the image: ${found#"$app/"}"

# Static imports must resolve from where each module sits; `import()` and `require` are allowed
# to miss (the embedded engine is loaded that way, only when no server is configured).
node --input-type=module - "$app" <<'JS' || status=1
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const app = process.argv[2];
const builtins = new Set(builtinModules);
const staticImport = /^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm;
let files = 0;
let missing = 0;
function* modules(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') yield* modules(path);
    else if (entry.isFile() && entry.name.endsWith('.js')) yield path;
  }
}
function packageFound(from, specifier) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
    if (dir === dirname(dir) || dir === dirname(app)) return false;
  }
}
for (const top of ['apps', 'packages']) {
  for (const file of modules(join(app, top))) {
    files += 1;
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(staticImport)) {
      const bare = !specifier.startsWith('.') && !specifier.startsWith('/');
      const found = specifier.startsWith('node:') || builtins.has(specifier)
        ? true
        : bare
          ? packageFound(file, specifier)
          : existsSync(resolve(dirname(file), specifier));
      if (!found) {
        missing += 1;
        console.error(`check:image: ${file.slice(app.length + 1)} imports ${specifier}, which is not in the image`);
      }
    }
  }
}
console.log(`imports: every static import of the ${files} shipped modules resolves`);
process.exit(missing === 0 ? 0 : 1);
JS

# Each entrypoint, started the way the image starts it: its working directory, its ENV, its
# user (uid:gid from USER), a read-only tree with no node_modules above it (Node would look
# there for a module the image lacks). As root, in a private mount namespace: the tree mounted
# read-only on /srv, the process as USER. Otherwise a copy in a temporary directory, as this user.
# The image's processes get no checkout tools (an outer `npm run` puts node_modules/.bin on PATH).
clean_path="$(tr ':' '\n' <<<"$PATH" | grep -v node_modules | paste -sd:)"
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
isolated=false
if [[ $EUID -eq 0 ]] && unshare -m true 2>/dev/null; then
  isolated=true
else
  cp -a "$app" "$out/app"
  run_dir="$out/app"
  for dir in "$out" "$(dirname "$out")" /; do
    [[ ! -e "$dir/node_modules" ]] || problem "$dir/node_modules would hide missing modules"
  done
fi
# NAME ENV... COMMAND...: starts it in the background; its pid in $pid, its log in $out/NAME.err.
start() {
  local name="$1"
  shift
  local command=(env -i "PATH=$clean_path" HOME=/nonexistent "${image_env[@]}" "$@")
  if $isolated; then
    # shellcheck disable=SC2016 # expanded by the inner shell
    command=(unshare -m sh -c 'mount --bind "$0" /srv && mount -o remount,bind,ro /srv && cd /srv &&
      uid="$1" gid="$2" && shift 2 && exec setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"' \
      "$app" "${user%%:*}" "${user##*:}" "${command[@]}")
    "${command[@]}" >"$out/$name.out" 2>"$out/$name.err" &
  else
    (cd "$run_dir" && exec "${command[@]}") >"$out/$name.out" 2>"$out/$name.err" &
  fi
  pid=$!
}
# A module not found, other than the embedded engine reported by @wikipulse/store's own error.
missing_module() { grep -E 'ERR_MODULE_NOT_FOUND|Cannot find (module|package)' "$1" | grep -vq 'install chdb'; }

# NAME ENTRYPOINT: answers /healthz within 20 s, then stops cleanly on SIGTERM.
expect_healthz() {
  local name="$1" entry="$2"
  shift 2
  local port
  port="$(free_port)"
  start "$name" METRICS_PORT="$port" METRICS_HOST=127.0.0.1 "$@" node "$entry"
  local answered=false
  for _ in $(seq 1 80); do
    if curl -fsS --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      answered=true
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if $answered && ! missing_module "$out/$name.err"; then
    echo "start: $name ($entry) answers /healthz"
  else
    problem "$name ($entry) did not answer /healthz:"
    tail -n 20 "$out/$name.err" >&2
  fi
}

# NAME ENTRYPOINT PATTERN: exits non-zero within 20 s with PATTERN in its log.
expect_exit() {
  local name="$1" entry="$2" pattern="$3"
  shift 3
  local code=0
  start "$name" "$@" node "$entry"
  for _ in $(seq 1 80); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || code=$?
  if [[ $code -ne 0 ]] && grep -qE "$pattern" "$out/$name.err" && ! missing_module "$out/$name.err"; then
    echo "start: $name ($entry) stops with its configuration error: $(grep -oE "$pattern" "$out/$name.err" | head -1)"
  else
    problem "$name ($entry) did not stop with /$pattern/ (exit $code):"
    tail -n 20 "$out/$name.err" >&2
  fi
}

# Every entrypoint the chart runs (rendered over its ci/*-values.yaml) is in the image.
helm="$(bash tools/k8s/install.sh --print)/helm"
if [[ -x "$helm" ]]; then
  mapfile -t entrypoints < <(for values in charts/wikipulse/ci/*-values.yaml; do
    "$helm" template ci charts/wikipulse -f "$values"
  done | grep -oE 'apps/[a-z-]+/dist/[A-Za-z0-9/._-]+\.js' | sort -u)
  [[ ${#entrypoints[@]} -gt 0 ]] || problem "the chart renders no entrypoint"
  for entry in "${entrypoints[@]}"; do
    [[ -f "$app/$entry" ]] || problem "the chart runs $entry, which is not in the image"
  done
  echo "chart: its entrypoints are in the image: ${entrypoints[*]}"
else
  echo "chart: not compared (no helm; bash tools/k8s/install.sh builds it)"
fi

# Loopback only: the streams, brokers and servers named here refuse connections.
closed=127.0.0.1:9
cmd_entry="${image_cmd[-1]}"
[[ -f "$app/$cmd_entry" ]] || problem "CMD runs $cmd_entry, which is not in the image"
expect_healthz ingestor apps/ingestor/dist/main.js STREAM_URL="http://$closed/stream" OUTPUT=stdout
expect_exit ingestor-kafka apps/ingestor/dist/main.js 'KAFKA_BROKERS[^"]*'

expect_exit sink apps/sink/dist/main.js 'KAFKA_BROKERS[^"]*'
expect_exit sink-embedded apps/sink/dist/main.js 'install chdb[^"]*CLICKHOUSE_URL' KAFKA_BROKERS="$closed"
expect_exit bot apps/bot/dist/main.js 'DISCORD_TOKEN is required'
# The bot logs in to the project's local Discord double (from this checkout, not the image).
npx tsc -b packages/testing
discord_token=image-check-token
node --input-type=module -e "
  import { DiscordDouble } from '@wikipulse/testing/discord';
  const discord = await new DiscordDouble({ token: process.argv[1] }).start();
  console.log(discord.apiUrl);
  process.on('SIGTERM', () => void discord.close().then(() => process.exit(0)));
" "$discord_token" >"$out/discord.url" &
discord_pid=$!
for _ in $(seq 1 40); do
  [[ ! -s "$out/discord.url" ]] || break
  sleep 0.25
done
expect_healthz bot-gateway apps/bot/dist/main.js DISCORD_TOKEN="$discord_token" \
  DISCORD_API_URL="$(cat "$out/discord.url")" CLICKHOUSE_URL="http://$closed" BOT_WATCH_ENABLED=false
kill -TERM "$discord_pid"
wait "$discord_pid" || true
expect_exit bot-embedded apps/bot/dist/main.js 'install chdb[^"]*CLICKHOUSE_URL' \
  DISCORD_TOKEN=not-a-token DISCORD_API_URL="http://$closed/api" METRICS_HOST=127.0.0.1 METRICS_PORT="$(free_port)"
expect_exit operator apps/operator/dist/main.js 'WATCH_NAMESPACE[^"]*'

printf 'check:image: %s in %ss (%s)\n' "$([[ $status -eq 0 ]] && echo passed || echo FAILED)" \
  "$((SECONDS - started))" "$($isolated && echo "as $user on a read-only tree" || echo "as $(id -u), tree writable")"
exit "$status"
