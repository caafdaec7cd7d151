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
#   tools/kafka/kafka.sh secure-info  print the SASL_SSL listener's facts (JSON, see below)
#
# Environment (defaults in brackets):
#   KAFKA_HOME_DIR         [<repo>/.cache/kafka]  jars in ./libs, broker state in ./data
#   KAFKA_PORT             [19092]  client listener; bootstrap servers = 127.0.0.1:$KAFKA_PORT
#   KAFKA_SASL_PORT        [19094]  SASL_SSL client listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
#   KAFKA_CONTROLLER_PORT  [19093]  KRaft controller listener
#   KAFKA_HEAP             [-Xms256m -Xmx512m]
#   KAFKA_START_TIMEOUT    [90]     seconds to wait for the broker to answer
#
# The SASL_SSL listener's test CA, certificates, users and passwords are made with openssl on
# the first start, private to the data dir, and kept until `reset`. data/secure.json holds
# them for the test kit: { brokers, caFile, otherCaFile (an unrelated CA), clientCertFile,
# clientKeyFile, users: { scram256, scram512, plain: { username, password } } }.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

KAFKA_HOME_DIR=${KAFKA_HOME_DIR:-$REPO_ROOT/.cache/kafka}
# One broker per real folder, however it is reached (a symlinked .cache shares the broker).
KAFKA_HOME_DIR=$(realpath -m "$KAFKA_HOME_DIR")
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-19094}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP=${KAFKA_HEAP:--Xms256m -Xmx512m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}

POM=$SCRIPT_DIR/pom.xml
LOG4J_CONFIG=$SCRIPT_DIR/log4j2.properties
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# Set by resolve_paths once KAFKA_HOME_DIR exists (it may be given as a relative path).
LIBS_DIR='' DATA_DIR='' STAMP_FILE='' PID_FILE='' CONFIG_FILE='' LOG_DIRS='' OUT_FILE='' SERVER_LOG=''
TLS_DIR='' CREDENTIALS_FILE='' SCRAM_USERS_FILE='' SECURE_INFO=''

# The SASL_SSL listener's users, by the key secure.json gives each. Passwords are random per
# data dir (load_credentials); each SCRAM user has a credential for its own mechanism only.
declare -rA USERNAMES=([scram256]=wikipulse-scram-256 [scram512]=wikipulse-scram-512 [plain]=wikipulse-plain)
declare -A PASSWORDS=()

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
  TLS_DIR=$DATA_DIR/tls
  CREDENTIALS_FILE=$DATA_DIR/credentials
  SCRAM_USERS_FILE=$DATA_DIR/scram-users
  SECURE_INFO=$DATA_DIR/secure.json
}

# Writes stdin to a file only this user can read, whole or not at all: the files written
# through it hold passwords or keys, and readers must never see half of one.
write_private() {
  (umask 077 && cat >"$1.tmp") && mv -f "$1.tmp" "$1"
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

# Kafka's tools are short-lived JVMs: a small heap and no optimising compiler start them
# faster, and they log to their own file, never into the running broker's.
tool_opts() {
  printf '%s\n' -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG" "-Dkafka.logs.dir=$DATA_DIR" -Dkafka.log.file=tools.log
}

# Runs one of Kafka's tools (a class on the broker's classpath); its output is shown only when
# it fails, with the users' passwords masked (the tools quote bad arguments back in full).
run_tool() {
  local output password
  local -a opts
  mapfile -t opts < <(tool_opts)
  if ! output=$("$JAVA" "${opts[@]}" -cp "$LIBS_DIR/*" "$@" 2>&1); then
    for password in "${PASSWORDS[@]}"; do
      output=${output//"$password"/'<password>'}
    done
    echo "$output" >&2
    return 1
  fi
}

# ---------------------------------------------------------------- SASL_SSL material

# A test CA, a broker certificate it signs for the names clients dial (localhost, 127.0.0.1),
# a client certificate it signs (mutual TLS), and a second CA that signs nothing here (a
# client trusting only it must refuse the broker). P-256 keys in unencrypted PKCS#8 PEM,
# which both Kafka's PEM keystore and Node read. Made again, all together, when any file is
# missing or the broker's certificate expires within a day.
make_certificates() {
  command -v openssl >/dev/null || die "openssl not found (needed for the SASL_SSL listener's test certificates)"
  certificates_usable && return 0
  local tmp=$DATA_DIR/tls.tmp output
  rm -rf "$tmp"
  mkdir -m 700 "$tmp"
  if ! output=$(make_certificates_in "$tmp" 2>&1); then
    echo "$output" >&2
    rm -rf "$tmp"
    die "openssl failed to make the SASL_SSL listener's certificates"
  fi
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
  log "made a test CA and certificates in $TLS_DIR"
}

certificates_usable() {
  local f
  for f in ca.pem other-ca.pem broker.pem broker-keystore.pem client.pem client.key; do
    [[ -f $TLS_DIR/$f ]] || return 1
  done
  openssl x509 -checkend 86400 -noout -in "$TLS_DIR/broker.pem" >/dev/null 2>&1
}

make_certificates_in() (
  cd "$1"
  umask 077
  new_ca ca 'Wikipulse test CA'
  new_ca other-ca 'Wikipulse unrelated test CA'
  new_leaf broker localhost 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth'
  new_leaf client wikipulse-test-client 'extendedKeyUsage=clientAuth'
  # Kafka's PEM keystore file: the key, then the certificate chain.
  cat broker.key broker.pem >broker-keystore.pem
  # Nothing is signed after this: the CA keys would only be secrets lying around.
  rm -f ca.key other-ca.key broker.key broker.csr client.csr
)

new_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
}

new_leaf() {
  local name=$1 cn=$2
  shift 2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -days 3650 \
    -set_serial "0x$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" -out "$name.pem" \
    -extfile <(printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
      'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' "$@")
}

# Hex passwords: nothing in them needs quoting in the JAAS config, StorageTool's SCRAM
# syntax or JSON. New passwords must reach the cluster's SCRAM users too, hence the
# SCRAM_USERS_FILE removal (see ensure_scram_users).
make_credentials() {
  local key
  if [[ ! -f $CREDENTIALS_FILE ]]; then
    for key in "${!USERNAMES[@]}"; do
      echo "$key=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    done | write_private "$CREDENTIALS_FILE"
    rm -f "$SCRAM_USERS_FILE"
  fi
  load_credentials
}

load_credentials() {
  local key value
  [[ -f $CREDENTIALS_FILE ]] || die "$CREDENTIALS_FILE is missing; run stop, then start"
  while IFS='=' read -r key value; do
    PASSWORDS[$key]=$value
  done <"$CREDENTIALS_FILE"
  for key in "${!USERNAMES[@]}"; do
    [[ -n ${PASSWORDS[$key]:-} ]] || die "$CREDENTIALS_FILE has no password for $key; run reset"
  done
}

cluster_id() {
  sed -n 's/^cluster\.id=//p' "$LOG_DIRS/meta.properties"
}

# SCRAM credentials live in the cluster's metadata. A data dir formatted before this script
# served SASL_SSL has none, so they are added (or their passwords replaced) through the
# running broker, once: SCRAM_USERS_FILE names the cluster that has the current ones.
ensure_scram_users() {
  local id key bits
  id=$(cluster_id)
  if [[ -f $SCRAM_USERS_FILE && $(<"$SCRAM_USERS_FILE") == "$id" ]]; then
    return 0
  fi
  log "setting the SCRAM users' passwords in the cluster's metadata"
  for key in scram256 scram512; do
    bits=${key#scram}
    # A config file rather than --add-config keeps the password off the command line. Unlike
    # --add-config, the file's values take no brackets.
    echo "SCRAM-SHA-$bits=password=${PASSWORDS[$key]}" | write_private "$DATA_DIR/scram.properties"
    if ! run_tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --alter --entity-type users --entity-name "${USERNAMES[$key]}" \
        --add-config-file "$DATA_DIR/scram.properties"; then
      rm -f "$DATA_DIR/scram.properties"
      die "adding the SCRAM user ${USERNAMES[$key]} failed"
    fi
  done
  rm -f "$DATA_DIR/scram.properties"
  echo "$id" >"$SCRAM_USERS_FILE"
}

# The SASL_SSL port the running broker was configured with; fails when it has no such listener.
configured_sasl_port() {
  local port
  port=$(sed -n 's|^listeners=.*SASL_SSL://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$CONFIG_FILE" 2>/dev/null)
  [[ -n $port ]] && echo "$port"
}

# A TLS handshake that checks the broker's certificate against the test CA for 127.0.0.1, the
# address clients dial: the listener serves what secure.json promises.
tls_answers() {
  timeout 10 openssl s_client -connect "127.0.0.1:$1" -CAfile "$TLS_DIR/ca.pem" \
    -verify_return_error -verify_ip 127.0.0.1 -brief </dev/null >/dev/null 2>&1
}

json_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

write_secure_info() {
  local port=$1
  write_private "$SECURE_INFO" <<EOF
{
  "brokers": ["127.0.0.1:$port"],
  "caFile": $(json_string "$TLS_DIR/ca.pem"),
  "otherCaFile": $(json_string "$TLS_DIR/other-ca.pem"),
  "clientCertFile": $(json_string "$TLS_DIR/client.pem"),
  "clientKeyFile": $(json_string "$TLS_DIR/client.key"),
  "users": {
    "scram256": { "username": "${USERNAMES[scram256]}", "password": "${PASSWORDS[scram256]}" },
    "scram512": { "username": "${USERNAMES[scram512]}", "password": "${PASSWORDS[scram512]}" },
    "plain": { "username": "${USERNAMES[plain]}", "password": "${PASSWORDS[plain]}" }
  }
}
EOF
}

# Run once the broker answers on PLAINTEXT: its users exist, the SASL_SSL listener completes a
# verified handshake, and secure.json describes it. A broker an older kafka.sh started has no
# such listener: say so, and leave no secure.json that would claim one.
finish_secure_listener() {
  local port
  if ! port=$(configured_sasl_port); then
    rm -f "$SECURE_INFO"
    log "note: this broker has no SASL_SSL listener (an older kafka.sh started it); run stop, then start"
    return 0
  fi
  load_credentials
  ensure_scram_users
  tls_answers "$port" || die "the SASL_SSL listener on 127.0.0.1:$port did not complete a TLS handshake checked against $TLS_DIR/ca.pem"
  write_secure_info "$port"
  log "SASL_SSL on 127.0.0.1:$port; its CA, users and passwords: $SECURE_INFO"
}

# ---------------------------------------------------------------- start

# Private: it holds the PLAIN user's password.
write_config() {
  write_private "$CONFIG_FILE" <<EOF
# Written by tools/kafka/kafka.sh on every start: change the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
log.dirs=$LOG_DIRS

# The secured client listener, for tests of TLS and SASL. Clients may present a certificate
# signed by the test CA (mutual TLS); the SASL user is who they are either way.
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/broker-keystore.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.sasl_ssl.ssl.client.auth=requested
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${USERNAMES[plain]}="${PASSWORDS[plain]}";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

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
  # A Kafka cluster id is 16 random bytes in unpadded URL-safe base64. One in 64 of those
  # starts with "-", which the storage tool reads as an option; Kafka's own generator
  # (Uuid.randomUuid) draws again in that case, and so does this.
  local cluster_id=- key
  local -a scram=()
  while [[ $cluster_id == -* ]]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  for key in scram256 scram512; do
    scram+=(--add-scram "SCRAM-SHA-${key#scram}=[name=${USERNAMES[$key]},password=${PASSWORDS[$key]}]")
  done
  run_tool kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$CONFIG_FILE" \
    --ignore-formatted "${scram[@]}" || die "formatting the KRaft storage in $LOG_DIRS failed"
  echo "$cluster_id" >"$SCRAM_USERS_FILE"
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
    else
      # Alive but not answering yet: an earlier start is still coming up.
      wait_until_ready "$pid" "$started"
    fi
    finish_secure_listener
    return 0
  fi
  rm -f "$PID_FILE"

  for port in "$KAFKA_PORT" "$KAFKA_SASL_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_in_use "$port"; then
      die "127.0.0.1:$port is already in use by a process this script did not start"
    fi
  done

  "$JAVA" -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' \
    || die "Kafka 4 needs Java 17 or newer; $JAVA is: $("$JAVA" -version 2>&1 | head -n1)"

  make_certificates
  make_credentials
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
  finish_secure_listener
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

cmd_secure_info() {
  local pid
  if pid=$(broker_pid) && ! configured_sasl_port >/dev/null; then
    die "the running broker (pid $pid) has no SASL_SSL listener (an older kafka.sh started it); run stop, then start"
  fi
  [[ -f $SECURE_INFO ]] || die "no $SECURE_INFO yet: run start"
  cat "$SECURE_INFO"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR"
  log "deleted $DATA_DIR"
}

main() {
  local cmd=${1:-}
  case $cmd in
    install | start | stop | status | reset | secure-info) resolve_paths ;;
  esac
  case $cmd in
    install) take_lock; cmd_install ;;
    start) take_lock; cmd_start ;;
    stop) take_lock; cmd_stop ;;
    status) cmd_status ;;
    reset) take_lock; cmd_reset ;;
    secure-info) cmd_secure_info ;;
    *)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
