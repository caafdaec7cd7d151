#!/usr/bin/env bash
# A real single-node Apache Kafka 4 broker (KRaft, combined broker+controller) on
# 127.0.0.1, for Wikipulse's local tests and local run. There is no Docker and no
# internet here, only Maven Central and a JDK 17, so the broker's jars come from
# Maven Central through tools/kafka/pom.xml and run straight off the classpath.
# Linux only (/proc, flock, setsid); needs bash 5, Java 17+, and mvn for the install.
#
#   tools/kafka/kafka.sh install   fetch the jars (no-op when up to date)
#   tools/kafka/kafka.sh start     install if needed, start, wait until it answers
#   tools/kafka/kafka.sh stop      stop it (harmless when not running)
#   tools/kafka/kafka.sh status    exit 0 if running and answering, 1 otherwise
#   tools/kafka/kafka.sh reset     stop and delete all broker data (keeps the jars)
#
# Environment (defaults in brackets):
#   KAFKA_HOME_DIR         [<repo>/.cache/kafka]  jars in ./libs, broker state in ./data
#   KAFKA_PORT             [19092]  client listener; bootstrap servers = 127.0.0.1:$KAFKA_PORT
#   KAFKA_CONTROLLER_PORT  [19093]  KRaft controller listener
#   KAFKA_HEAP             [-Xms256m -Xmx512m]
#   KAFKA_START_TIMEOUT    [90]     seconds to wait for the broker to answer
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

KAFKA_HOME_DIR=${KAFKA_HOME_DIR:-$REPO_ROOT/.cache/kafka}
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP=${KAFKA_HEAP:--Xms256m -Xmx512m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}

POM=$SCRIPT_DIR/pom.xml
LOG4J_CONFIG=$SCRIPT_DIR/log4j2.properties
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# Set by resolve_paths once KAFKA_HOME_DIR exists (it may be given as a relative path).
LIBS_DIR='' DATA_DIR='' STAMP_FILE='' PID_FILE='' CONFIG_FILE='' LOG_DIRS='' OUT_FILE='' SERVER_LOG=''

log() { echo "kafka.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

resolve_paths() {
  mkdir -p "$KAFKA_HOME_DIR"
  KAFKA_HOME_DIR=$(cd "$KAFKA_HOME_DIR" && pwd)
  LIBS_DIR=$KAFKA_HOME_DIR/libs
  DATA_DIR=$KAFKA_HOME_DIR/data
  STAMP_FILE=$LIBS_DIR/.pom.sha256
  PID_FILE=$DATA_DIR/kafka.pid
  CONFIG_FILE=$DATA_DIR/server.properties
  LOG_DIRS=$DATA_DIR/kraft-logs
  OUT_FILE=$DATA_DIR/kafka.out
  SERVER_LOG=$DATA_DIR/server.log
}

# Serialises install/start/stop/reset, so parallel test runners calling `start`
# end up with one broker instead of racing on the pid file, the port and Maven.
take_lock() {
  exec 9>"$KAFKA_HOME_DIR/.lock"
  flock 9
}

# ---------------------------------------------------------------- install

pom_sha() { sha256sum "$POM" | cut -d' ' -f1; }

is_installed() {
  [[ -f $STAMP_FILE && "$(<"$STAMP_FILE")" == "$(pom_sha)" ]]
}

cmd_install() {
  if is_installed; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars from Maven Central)"
  log "fetching Kafka jars from Maven Central into $LIBS_DIR (slow the first time)..."
  # Fetch into a scratch folder and swap it in, so an interrupted or failed fetch
  # never leaves a half-filled libs folder that looks installed, and jars of an
  # older pom do not linger next to the new ones.
  local tmp=$KAFKA_HOME_DIR/libs.tmp
  local build=$KAFKA_HOME_DIR/maven-target
  rm -rf "$tmp" "$build"
  # Maven writes terminal escape codes even in quiet batch mode: keep its output
  # for when it fails.
  local output
  if ! output=$(mvn -B -q -f "$POM" -Dkafka.libs.dir="$tmp" -Dkafka.build.dir="$build" package 2>&1); then
    echo "$output" >&2
    die "mvn failed to fetch the Kafka jars"
  fi
  pom_sha >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR" "$build"
  mv "$tmp" "$LIBS_DIR"
  log "installed $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# ---------------------------------------------------------------- process helpers

# A pid only counts as our broker if it is alive (zombies are dead) and its command
# line names our config file: a stale pid file must not make us signal a stranger.
broker_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  is_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "kafka.Kafka $CONFIG_FILE" || return 1
  echo "$pid"
}

is_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# A real Kafka-protocol round trip, without paying for a JVM per poll: send an
# ApiVersions v0 request (api key 18, correlation id 42, empty client id) and expect
# a response carrying correlation id 42 and error code 0. A bare TCP connect is not
# enough, since the kernel can accept into the listen backlog before Kafka serves.
kafka_answers() {
  local port=$1 reply
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  reply=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x00" >&3
    head -c 10 <&3 | od -An -tx1
  ' _ "$port" 2>/dev/null | tr -d ' \n') || return 1
  [[ ${reply:8:12} == 0000002a0000 ]]
}

port_in_use() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

print_log_tail() {
  local f
  for f in "$OUT_FILE" "$SERVER_LOG"; do
    if [[ -s $f ]]; then
      log "---- last lines of $f ----"
      tail -n 40 "$f" >&2
    fi
  done
}

jvm_opts() {
  # Word splitting of KAFKA_HEAP is intended: it holds several JVM flags.
  # shellcheck disable=SC2206
  local heap=($KAFKA_HEAP)
  printf '%s\n' "${heap[@]}" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG" "-Dkafka.logs.dir=$DATA_DIR"
}

# ---------------------------------------------------------------- start

write_config() {
  cat >"$CONFIG_FILE" <<EOF
# Written by tools/kafka/kafka.sh on every start: change the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$LOG_DIRS

# A misspelt or missing topic must fail loudly in tests, not be created with defaults.
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1

# One broker: every internal topic must live with replication factor 1, and few
# partitions keep first use of consumer groups and transactions fast.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=4

# Tests join groups constantly; the default 3 s delay would slow every one of them.
group.initial.rebalance.delay.ms=0

log.retention.hours=24
log.segment.bytes=16777216
log.retention.check.interval.ms=300000

# Sized for a 2-core machine and a 512 MB heap (the cleaner's default buffer is 128 MB).
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
EOF
}

format_storage_if_needed() {
  [[ -f $LOG_DIRS/meta.properties ]] && return 0
  # A Kafka cluster id is 16 random bytes in unpadded URL-safe base64.
  local cluster_id output
  local -a opts
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  mapfile -t opts < <(jvm_opts)
  if ! output=$("$JAVA" "${opts[@]}" -cp "$LIBS_DIR/*" kafka.tools.StorageTool \
      format --cluster-id "$cluster_id" --config "$CONFIG_FILE" --ignore-formatted 2>&1); then
    echo "$output" >&2
    die "formatting the KRaft storage in $LOG_DIRS failed"
  fi
}

wait_until_ready() {
  local pid=$1 started=$2 deadline=$((EPOCHSECONDS + KAFKA_START_TIMEOUT))
  until kafka_answers "$KAFKA_PORT"; do
    if ! is_alive "$pid"; then
      print_log_tail
      rm -f "$PID_FILE"
      die "the broker exited during startup"
    fi
    if ((EPOCHSECONDS >= deadline)); then
      print_log_tail
      stop_pid "$pid"
      die "the broker did not answer on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s; stopped it"
    fi
    sleep 0.3
  done
  log "broker ready on 127.0.0.1:$KAFKA_PORT (pid $pid, $(elapsed_since "$started")s)"
}

elapsed_since() {
  # Some locales write EPOCHREALTIME with a decimal comma.
  local from=${1/,/.} now=${EPOCHREALTIME/,/.}
  awk -v a="$from" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

cmd_start() {
  local started=$EPOCHREALTIME pid port
  local -a opts
  cmd_install
  mkdir -p "$DATA_DIR"

  if pid=$(broker_pid); then
    if kafka_answers "$KAFKA_PORT"; then
      log "already running on 127.0.0.1:$KAFKA_PORT (pid $pid)"
      if [[ $(stat -c %Y "$STAMP_FILE") -gt $(stat -c %Y "/proc/$pid") ]]; then
        log "note: the jars changed since it started; run stop, then start, to use them"
      fi
      return 0
    fi
    # Alive but not answering yet: an earlier start is still coming up.
    wait_until_ready "$pid" "$started"
    return 0
  fi
  rm -f "$PID_FILE"

  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_in_use "$port"; then
      die "127.0.0.1:$port is already in use by a process this script did not start"
    fi
  done

  "$JAVA" -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' \
    || die "Kafka 4 needs Java 17 or newer; $JAVA is: $("$JAVA" -version 2>&1 | head -n1)"

  write_config
  format_storage_if_needed

  mapfile -t opts < <(jvm_opts)
  # Fresh logs per start, so the tail printed on failure is about this start only.
  : >"$OUT_FILE"
  if [[ -f $SERVER_LOG ]]; then
    mv -f "$SERVER_LOG" "$SERVER_LOG.previous"
  fi
  # setsid + nohup: the broker must outlive this script and not die with the
  # terminal's or the test runner's process group (Ctrl-C, SIGHUP). Fd 9 is our
  # lock; the broker must not inherit it or it would hold the lock forever.
  # Without job control the subshell is no process group leader, so setsid execs
  # in place and $! is the JVM's own pid.
  (
    cd "$DATA_DIR"
    exec nohup setsid "$JAVA" "${opts[@]}" -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" \
      >>"$OUT_FILE" 2>&1 </dev/null 9>&-
  ) &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_until_ready "$pid" "$started"
}

# ---------------------------------------------------------------- stop / status / reset

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  # Controlled shutdown of a single combined node normally takes a few seconds.
  for ((i = 0; i < 150; i++)); do
    is_alive "$pid" || break
    sleep 0.2
  done
  if is_alive "$pid"; then
    log "broker did not stop within 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      is_alive "$pid" || break
      sleep 0.2
    done
  fi
  rm -f "$PID_FILE"
}

cmd_stop() {
  local pid
  if ! pid=$(broker_pid); then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  stop_pid "$pid"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid=$(broker_pid) && kafka_answers "$KAFKA_PORT"; then
    echo "running on 127.0.0.1:$KAFKA_PORT (pid $pid)"
    return 0
  fi
  echo "not running"
  return 1
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  log "deleted $DATA_DIR"
}

main() {
  local cmd=${1:-}
  case $cmd in
    install | start | stop | status | reset) resolve_paths ;;
  esac
  case $cmd in
    install) take_lock; cmd_install ;;
    start) take_lock; cmd_start ;;
    stop) take_lock; cmd_stop ;;
    status) cmd_status ;;
    reset) take_lock; cmd_reset ;;
    *)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
