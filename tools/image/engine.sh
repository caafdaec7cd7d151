# The Docker engine npm run check:image builds and runs with. Sourced by tools/image/check.sh:
#
#   engine_start   use the engine DOCKER_HOST or /var/run/docker.sock names when one answers;
#                  otherwise (as root) install Debian's docker.io when dockerd is missing and
#                  start a private dockerd, then pick a client that builds with BuildKit
#                  ($docker_cli) and export DOCKER_HOST
#   engine_stop    stop the dockerd engine_start started, if any
#
# The private engine listens on its own socket, keeps its images in $WIKIPULSE_DOCKER_DATA
# (/var/lib/wikipulse-docker: outside the checkout, and kept between runs as the cache of base
# images and build layers) and touches neither the host's network (no bridge, no iptables
# rules: containers get host networking or none) nor another engine on the machine.
# shellcheck shell=bash

engine_run_dir=/run/wikipulse-docker
engine_data_dir="${WIKIPULSE_DOCKER_DATA:-/var/lib/wikipulse-docker}"
engine_started=false
# True on an engine this check owns (started now or by another run): it may prune its caches.
engine_private=false
engine_pid=''
docker_cli=''

# True when an engine answers /_ping on the Unix socket $1.
engine_answers() {
  [[ -S "$1" ]] && curl -fsS --max-time 2 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

engine_start() {
  if [[ -n "${DOCKER_HOST:-}" ]]; then
    log "using the Docker engine DOCKER_HOST names ($DOCKER_HOST)"
  elif engine_answers /var/run/docker.sock; then
    log "using the machine's Docker engine (/var/run/docker.sock)"
    export DOCKER_HOST=unix:///var/run/docker.sock
  elif engine_answers "$engine_run_dir/docker.sock"; then
    # Another check's engine, still running: it stays, as this run did not start it.
    log "using the private engine another run started ($engine_run_dir/docker.sock)"
    export DOCKER_HOST="unix://$engine_run_dir/docker.sock"
    engine_private=true
  else
    engine_launch
  fi
  engine_pick_client
  log "engine: Docker $("$docker_cli" version --format '{{.Server.Version}}'), client $docker_cli $("$docker_cli" version --format '{{.Client.Version}}')"
}

engine_launch() {
  if [[ $EUID -ne 0 ]]; then
    echo "check:image: no Docker engine answers, and only root can install and start one" >&2
    echo "  (as root this script installs Debian's docker.io and starts a private dockerd)" >&2
    exit 1
  fi
  if ! command -v dockerd >/dev/null; then
    log "no Docker engine here: installing Debian's docker.io with apt-get"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends docker.io; } >"$cache/logs/apt.log" 2>&1; then
      echo "check:image: apt-get could not install docker.io (log: .cache/image/logs/apt.log)" >&2
      exit 1
    fi
  fi
  mkdir -p "$engine_run_dir" "$engine_data_dir"
  log "starting a private dockerd $(dockerd --version | awk '{ print $3 }' | tr -d ,) (data in $engine_data_dir; stopped when the check ends)"
  dockerd --host "unix://$engine_run_dir/docker.sock" --data-root "$engine_data_dir" \
    --exec-root "$engine_run_dir/exec" --pidfile "$engine_run_dir/dockerd.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --log-level=warn >"$cache/logs/dockerd.log" 2>&1 &
  engine_pid=$!
  engine_started=true
  engine_private=true
  local _
  for _ in $(seq 1 120); do
    engine_answers "$engine_run_dir/docker.sock" && break
    if ! kill -0 "$engine_pid" 2>/dev/null; then
      echo "check:image: dockerd stopped at start:" >&2
      tail -n 20 "$cache/logs/dockerd.log" >&2
      exit 1
    fi
    sleep 0.25
  done
  engine_answers "$engine_run_dir/docker.sock" || {
    echo "check:image: dockerd did not answer within 30 s (log: .cache/image/logs/dockerd.log)" >&2
    exit 1
  }
  export DOCKER_HOST="unix://$engine_run_dir/docker.sock"
}

# Docker 23 and later build with BuildKit through the buildx plugin only; older clients (Debian's
# 20.10) have BuildKit built in behind DOCKER_BUILDKIT=1. The first client that can is used.
engine_pick_client() {
  local candidate major
  for candidate in docker /usr/bin/docker; do
    command -v "$candidate" >/dev/null || continue
    if "$candidate" buildx version >/dev/null 2>&1; then
      docker_cli="$candidate"
      return
    fi
    major="$("$candidate" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"
    if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 23)); then
      docker_cli="$candidate"
      export DOCKER_BUILDKIT=1
      return
    fi
  done
  echo "check:image: no Docker client here builds with BuildKit (install the buildx plugin)" >&2
  exit 1
}

engine_stop() {
  $engine_started || return 0
  engine_started=false
  kill -TERM "$engine_pid" 2>/dev/null || return 0
  local _
  for _ in $(seq 1 120); do
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$engine_pid" 2>/dev/null; then
    log "dockerd did not stop within 30 s: killing it"
    kill -KILL "$engine_pid" 2>/dev/null || true
  fi
  wait "$engine_pid" 2>/dev/null || true
  log "stopped the private dockerd"
}
