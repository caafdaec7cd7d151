#!/usr/bin/env bash
# npm run check:image: the root Dockerfile built and run by a real Docker engine.
#
#  1. The engine (tools/image/engine.sh): the one DOCKER_HOST or /var/run/docker.sock names, or,
#     as root where none answers, Debian's docker.io (installed when missing) in a private
#     dockerd that this check starts and stops.
#  2. The bases (tools/image/bases.sh): every image the Dockerfile's FROM lines name is present,
#     pulled, or, only where it cannot be pulled, made here under the same name (Debian's
#     archive through debootstrap, Node from the npm registry), and the log says which.
#  3. Every target (build, deps, dev, runtime) built with BuildKit on host networking, so npm ci
#     reaches the registry as npm on this machine does (its registry and certificate
#     authorities go in as build secrets, and only where they differ from npm's defaults);
#     the runtime image's layers and total size (budget 260 MB); what it must not contain.
#  4. Each app from the runtime image as the chart runs its pod (tools/image/apps.sh).
#  5. The dev target as `tilt up` runs it, with a source change live-updated (tools/image/dev.sh).
#
# Logs of each build and container: .cache/image/logs. Timings: docs/kubernetes-and-helm.md, The image.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cache="$root/.cache/image"
mkdir -p "$cache/logs"
started=$SECONDS
run_id="$(date +%s)-$$"
image=wikipulse-check:runtime
dev_image=wikipulse-check:dev
# 250 MB until the runtime drew the digest's chart: a PNG rasteriser (resvg, 4 MB) and its font.
budget_mb=260
status=0

log() { printf '[check:image %3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
passed() { printf 'check:image %3ss: ok   %s\n' "$((SECONDS - started))" "$*"; }
problem() {
  printf 'check:image %3ss: FAIL %s\n' "$((SECONDS - started))" "$*" >&2
  status=1
}
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# shellcheck source=engine.sh
source tools/image/engine.sh
# shellcheck source=bases.sh
source tools/image/bases.sh
# shellcheck source=apps.sh
source tools/image/apps.sh
# shellcheck source=dev.sh
source tools/image/dev.sh

work="$(mktemp -d)"
finished=false
# shellcheck disable=SC2317 # the EXIT trap calls it
cleanup() {
  $finished || printf 'check:image: FAILED (stopped early) in %ss\n' "$((SECONDS - started))" >&2
  apps_cleanup
  engine_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# npm in the build set up as npm here, where that differs from npm's defaults: its registry in
# an .npmrc (the build secret `npmrc`) and, when npm here trusts a certificate authority file
# (`cafile`) or Node extra ones (NODE_EXTRA_CA_CERTS), those certificates (the secret `npm-ca`,
# which the .npmrc names as its `cafile`). The `--secret` options on stdout, nothing otherwise.
npm_build_secrets() {
  local registry cafile extra=''
  registry="$(npm config get registry)"
  cafile="$(npm config get cafile)"
  [[ "$cafile" != null && -f "$cafile" ]] || cafile=''
  [[ -z "${NODE_EXTRA_CA_CERTS:-}" || ! -f "$NODE_EXTRA_CA_CERTS" ]] || extra="$NODE_EXTRA_CA_CERTS"
  [[ "$registry" != https://registry.npmjs.org/ || -n "$cafile$extra" ]] || return 0
  echo "registry=$registry" >"$work/npmrc"
  if [[ -n "$cafile$extra" ]]; then
    # A cafile replaces Node's own authorities, as it does for npm here; extra ones add to them.
    node -e '
      const { readFileSync } = require("node:fs");
      const { rootCertificates } = require("node:tls");
      const [cafile, extra] = process.argv.slice(1);
      const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
      const read = (f) => (f ? readFileSync(f, "utf8").match(pem) ?? [] : []);
      const cas = new Set([...(cafile ? read(cafile) : rootCertificates), ...read(extra)]);
      process.stdout.write([...cas].join("\n") + "\n");
    ' "$cafile" "$extra" >"$work/npm-ca.pem"
    echo "cafile=/run/secrets/npm-ca" >>"$work/npmrc"
    echo --secret "id=npm-ca,src=$work/npm-ca.pem"
  fi
  echo --secret "id=npmrc,src=$work/npmrc"
  local trust='' nodes="Node's own"
  if [[ -n "$cafile$extra" ]]; then
    trust=", the $(grep -c 'BEGIN CERT' "$work/npm-ca.pem") certificate authorities npm trusts here"
    trust+=" (${cafile:-$nodes}${extra:+ and $extra})"
  fi
  log "npm in the build, as npm here: registry $registry$trust (build secrets)"
}

build_targets() {
  local options=(--network host --progress plain) secrets target before
  # shellcheck disable=SC2207 # options without spaces, one a word
  secrets=($(npm_build_secrets))
  options+=("${secrets[@]}")
  for target in build deps dev runtime; do
    before=$SECONDS
    if ! "$docker_cli" build "${options[@]}" --target "$target" -t "wikipulse-check:$target" \
      --label io.wikipulse.check=image . \
      >"$cache/logs/build-$target.log" 2>&1; then
      problem "target $target does not build (log: .cache/image/logs/build-$target.log):"
      grep -E 'ERROR|error' "$cache/logs/build-$target.log" | tail -n 10 >&2
      exit 1
    fi
    passed "target $target built in $((SECONDS - before))s ($(image_size "wikipulse-check:$target"))"
  done
  # The images earlier runs built under these tags, and on the private engine build cache
  # beyond 3 GB (BuildKit keeps npm's downloads there).
  "$docker_cli" image prune --force --filter label=io.wikipulse.check=image >/dev/null
  ! $engine_private || "$docker_cli" builder prune --force --keep-storage 3gb >/dev/null
}

# The runtime image's layers, oldest first, as Docker counts them (uncompressed).
report_layers() {
  local total base_layers from
  from="$(awk -F= '/^ARG RUNTIME_IMAGE=/ { print $2 }' Dockerfile)"
  base_layers="$("$docker_cli" history --quiet "$from" | wc -l)"
  echo "runtime image layers, oldest first (uncompressed, as Docker counts them):"
  "$docker_cli" history --human=false --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$image" | tac |
    awk -F'\t' -v base="$base_layers" -v from="$from" '
      { cmd = NR <= base ? "(" from ")" : $2; gsub(/[ \t]+/, " ", cmd); sub(/ # buildkit$/, "", cmd) }
      $1 > 0 { printf "  %8.1f MB  %s\n", $1 / 1e6, substr(cmd, 1, 110) }'
  total="$("$docker_cli" image inspect --format '{{.Size}}' "$image")"
  if ((total <= budget_mb * 1000000)); then
    passed "runtime image: $(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1e6 }') MB (budget $budget_mb MB)"
  else
    problem "runtime image: $(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1e6 }') MB, over its $budget_mb MB budget"
  fi
}

# What must not be in the runtime image, looked for from inside it as its user.
check_contents() {
  local found
  # shellcheck disable=SC2016 # the image's shell expands them
  found="$("$docker_cli" run --rm --network none --read-only --cap-drop ALL --entrypoint sh "$image" -c '
    for pkg in chdb @chdb testcontainers @testcontainers typescript vitest @wikipulse/testing @wikipulse/local @wikipulse/bench @wikipulse/replay; do
      [ ! -e "node_modules/$pkg" ] || echo "a development package: $pkg"
    done
    for dir in apps/local packages/testing packages/bench packages/replay; do [ ! -e "$dir" ] || echo "$dir"; done
    for tool in npm npx yarn corepack; do ! command -v "$tool" >/dev/null || echo "$tool"; done
    find /app -writable -print -quit | sed "s/^/writable by the app user: /"
    find apps packages -name node_modules -prune -o \( -name "*.ts" -o -name "*.map" -o -name "*.test.*" -o -name src \) -print -quit |
      sed "s/^/sources, tests or source maps: /"
    echo "node $(node --version)" >&2
  ' 2>"$work/node-version")"
  if [[ -z "$found" ]]; then
    passed "runtime image: $(cat "$work/node-version"); no development package, sources, npm or file the app user can write"
  else
    problem "runtime image contains: $(paste -sd ';' <<<"$found")"
  fi
}

engine_start
bases_ensure Dockerfile
build_targets
report_layers
check_contents
apps_check
dev_check

finished=true
printf 'check:image: %s in %ss\n' "$([[ $status -eq 0 ]] && echo passed || echo FAILED)" "$((SECONDS - started))"
exit "$status"
