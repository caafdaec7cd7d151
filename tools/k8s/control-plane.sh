#!/usr/bin/env bash
# A throw-away Kubernetes control plane on loopback for tests: etcd and kube-apiserver (and,
# on request, kube-controller-manager, kube-scheduler and kwok with one fake node), with
# certificates, keys and an admin token generated into a state folder. No kubelet: with
# --controllers, kwok plays the node and reports the pods scheduled to it as running and
# ready, so Deployments become Available without running a container.
#
#   bash tools/k8s/control-plane.sh start DIR [--controllers]   returns once /readyz answers
#   bash tools/k8s/control-plane.sh stop DIR
#
# start writes DIR/admin.kubeconfig and DIR/env (SERVER=..., CA_FILE=...). Ports come from
# ETCD_PORT, ETCD_PEER_PORT and APISERVER_PORT (defaults 23790, 23800, 26443).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${K8S_BIN:-$(bash "$here/install.sh" --print)}"
cache="$(bash "$here/install.sh" --print-cache)"
command="${1:-}"
dir="${2:-}"
[[ -n "$command" && -n "$dir" ]] || {
  echo "usage: $0 start|stop DIR [--controllers]" >&2
  exit 2
}

stop() {
  local name pid
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [[ -f "$dir/$name.pid" ]] || continue
    pid="$(cat "$dir/$name.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
  done
}

if [[ "$command" == stop ]]; then
  stop
  exit 0
fi
[[ "$command" == start ]] || {
  echo "unknown command: $command" >&2
  exit 2
}

etcd_port="${ETCD_PORT:-23790}"
etcd_peer_port="${ETCD_PEER_PORT:-23800}"
api_port="${APISERVER_PORT:-26443}"
server="https://127.0.0.1:$api_port"
mkdir -p "$dir/pki"
dir="$(cd "$dir" && pwd)"
pki="$dir/pki"

# Certificates: a CA, the API server's serving certificate for 127.0.0.1, and a client
# certificate for the controllers. The admin authenticates with a random static token.
ssl() { openssl "$@" 2>/dev/null; }
ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=wikipulse-test-ca' \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
ssl req -newkey rsa:2048 -nodes -subj '/CN=kube-apiserver' \
  -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >"$pki/san.ext"
ssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 2 -extfile "$pki/san.ext" -out "$pki/apiserver.crt"
ssl genrsa -out "$pki/sa.key" 2048
ssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
token="$(openssl rand -hex 24)"
printf '%s,admin,admin,system:masters\n' "$token" >"$pki/tokens.csv"
chmod 600 "$pki"/*

kubeconfig() {
  local user="$1" auth="$2"
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: wikipulse-test
    cluster:
      server: $server
      certificate-authority: $pki/ca.crt
users:
  - name: $user
    user:
$auth
contexts:
  - name: $user@wikipulse-test
    context: { cluster: wikipulse-test, user: $user, namespace: default }
current-context: $user@wikipulse-test
EOF
}
kubeconfig admin "      token: $token" >"$dir/admin.kubeconfig"
chmod 600 "$dir/admin.kubeconfig"

start_daemon() {
  local name="$1"
  shift
  "$bin/$name" "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# Tests do not need durability: skipping fsync makes etcd several times faster.
start_daemon etcd \
  --name default --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" \
  --listen-metrics-urls "" \
  --unsafe-no-fsync --log-level warn

start_daemon kube-apiserver \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --token-auth-file "$pki/tokens.csv" \
  --authorization-mode RBAC,Node \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --endpoint-reconciler-type none \
  --enable-priority-and-fairness=false \
  --profiling=false \
  --v 1

ready=
for _ in $(seq 1 600); do
  if curl -sf --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" "$server/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "kube-apiserver did not become ready; last log lines:" >&2
  tail -n 30 "$dir/kube-apiserver.log" >&2
  stop
  exit 1
fi

if [[ "${3:-}" == --controllers ]]; then
  ssl req -newkey rsa:2048 -nodes -subj '/CN=system:kube-controller-manager' \
    -keyout "$pki/kcm.key" -out "$pki/kcm.csr"
  ssl x509 -req -in "$pki/kcm.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -days 2 -out "$pki/kcm.crt"
  ssl req -newkey rsa:2048 -nodes -subj '/CN=system:kube-scheduler' \
    -keyout "$pki/sched.key" -out "$pki/sched.csr"
  ssl x509 -req -in "$pki/sched.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -days 2 -out "$pki/sched.crt"
  kubeconfig kcm "      client-certificate: $pki/kcm.crt
      client-key: $pki/kcm.key" >"$dir/kcm.kubeconfig"
  kubeconfig scheduler "      client-certificate: $pki/sched.crt
      client-key: $pki/sched.key" >"$dir/scheduler.kubeconfig"
  start_daemon kube-controller-manager \
    --kubeconfig "$dir/kcm.kubeconfig" --authentication-kubeconfig "$dir/kcm.kubeconfig" \
    --authorization-kubeconfig "$dir/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
    --use-service-account-credentials \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt"
  start_daemon kube-scheduler \
    --kubeconfig "$dir/scheduler.kubeconfig" --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
  start_daemon kwok \
    --kubeconfig "$dir/admin.kubeconfig" --config "$cache/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --server-address 127.0.0.1:0
  curl -sf --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -X POST "$server/api/v1/nodes" -d '{
      "apiVersion": "v1", "kind": "Node",
      "metadata": {
        "name": "kwok-node-0",
        "annotations": { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        "labels": { "kubernetes.io/hostname": "kwok-node-0", "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "type": "kwok" }
      },
      "status": {
        "allocatable": { "cpu": "32", "memory": "256Gi", "pods": "110" },
        "capacity": { "cpu": "32", "memory": "256Gi", "pods": "110" }
      }
    }' >/dev/null
fi

printf 'SERVER=%s\nCA_FILE=%s\n' "$server" "$pki/ca.crt" >"$dir/env"
