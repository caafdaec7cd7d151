#!/usr/bin/env bash
# Installs the Kubernetes toolchain the chart checks, the Tiltfile check and the API-server
# tests use, built from pinned sources into .cache/k8s (git-ignored). Needs only Go (1.21 or
# newer) and Python 3: the Go module proxy and PyPI are the only downloads. Idempotent: a tool
# whose stamp matches its pinned version is left alone, so a warm run takes well under a second.
#
#   bash tools/k8s/install.sh          install what is missing or out of date
#   bash tools/k8s/install.sh --print  print the bin directory (for PATH)
#   bash tools/k8s/install.sh --print-cache  print the cache directory
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${WIKIPULSE_K8S_CACHE:-$root/.cache/k8s}"
bin="$cache/bin"
stamps="$cache/stamps"

helm_version=v3.18.6
kubernetes_validate_version=1.37.0
# Kubernetes and kwok are pinned in tools/k8s/kube/go.mod; the Kubernetes version goes into
# the binaries.
kube_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2 }' "$here/kube/go.mod")"
kwok_version="$(awk '$1 == "sigs.k8s.io/kwok" && $2 ~ /^v/ { print $2 }' "$here/kube/go.mod")"
[[ -n "$kube_version" && -n "$kwok_version" ]] || {
  echo "no k8s.io/kubernetes or sigs.k8s.io/kwok version in $here/kube/go.mod" >&2
  exit 1
}
# Tilt (the Tiltfile check) is pinned in tools/k8s/tilt/go.mod.
tilt_version="$(awk '$1 == "github.com/tilt-dev/tilt" && $2 ~ /^v/ { print $2 }' "$here/tilt/go.mod")"
[[ -n "$tilt_version" ]] || {
  echo "no github.com/tilt-dev/tilt version in $here/tilt/go.mod" >&2
  exit 1
}

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi
if [[ "${1:-}" == "--print-cache" ]]; then
  echo "$cache"
  exit 0
fi

mkdir -p "$bin" "$stamps"
# Reproducible, smaller binaries; the module cache is verified against go.sum. An older Go
# fetches the toolchain the kube module asks for (go 1.26) through the module proxy.
export GOFLAGS="-trimpath -buildvcs=false"

log() { printf '[k8s-tools] %s\n' "$*" >&2; }

# True when the stamp for $1 holds exactly $2 and every listed file exists.
current() {
  local name="$1" want="$2"
  shift 2
  [[ -f "$stamps/$name" && "$(cat "$stamps/$name")" == "$want" ]] || return 1
  local file
  for file in "$@"; do [[ -e "$file" ]] || return 1; done
}

timed() {
  local name="$1"
  shift
  local start=$SECONDS
  "$@"
  log "$name ready in $((SECONDS - start))s"
}

# As helm's own Makefile does: its version, and the Kubernetes version `helm template` and
# `helm lint` assume (that of the client-go it is built with, v0.33 for helm 3.18).
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  helm_ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=33"
done

install_helm() {
  GOBIN="$bin" go install -ldflags="$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$helm_version"
}

# kwok acts only through stages; its own "fast" node and pod stages (ready at once, with
# heartbeats) come from the source of the release the kube module builds.
install_kwok_stages() {
  local stages
  stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$kwok_version/kustomize/stage"
  local file
  for file in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    printf -- '---\n'
    cat "$stages/$file"
  done >"$cache/kwok-stages.yaml"
}

# One `go build` for all five binaries, so the packages they share compile once. kwok is built
# against the same Kubernetes libraries as the control plane (its own release pins a slightly
# older minor): that costs seconds instead of minutes of compiling a second client-go.
install_kube() {
  local minor="${kube_version#v1.}"
  minor="${minor%%.*}"
  local pkg=k8s.io/component-base/version
  local ldflags="-s -w -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  local out
  out="$(mktemp -d "$cache/build.XXXXXX")"
  (cd "$here/kube" && go build -ldflags="$ldflags" -o "$out/" \
    go.etcd.io/etcd/server/v3 \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    sigs.k8s.io/kwok/cmd/kwok)
  # Go names a binary after the last path element before a major-version suffix.
  mv "$out/server" "$bin/etcd"
  mv "$out/kube-apiserver" "$out/kube-controller-manager" "$out/kube-scheduler" "$out/kwok" "$bin/"
  rmdir "$out"
  "$bin/kube-apiserver" --version >&2
  install_kwok_stages
}

# As Tilt's release build does: the version `tilt version` and the Tiltfile's version_settings
# see.
install_tilt() {
  (cd "$here/tilt" && go build -ldflags="-s -w -X main.version=${tilt_version#v}" \
    -o "$bin/tilt" github.com/tilt-dev/tilt/cmd/tilt)
}

install_kubernetes_validate() {
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$kubernetes_validate_version"
  ln -sf "$cache/venv/bin/kubernetes-validate" "$bin/kubernetes-validate"
}

kube_key="$kube_version $(cat "$here/kube/go.mod" "$here/kube/go.sum" | sha256sum | cut -c1-16)"
go_key="$(go env GOVERSION)"

helm_key="$helm_version $go_key $(sha256sum <<<"$helm_ldflags" | cut -c1-16)"
if ! current helm "$helm_key" "$bin/helm"; then
  timed helm install_helm
  echo "$helm_key" >"$stamps/helm"
fi
if ! current kube "$kube_key $go_key" "$bin/etcd" "$bin/kube-apiserver" \
  "$bin/kube-controller-manager" "$bin/kube-scheduler" "$bin/kwok" "$cache/kwok-stages.yaml"; then
  timed "etcd, kube-apiserver, kube-controller-manager, kube-scheduler $kube_version, kwok $kwok_version" install_kube
  echo "$kube_key $go_key" >"$stamps/kube"
fi
tilt_key="$tilt_version $(cat "$here/tilt/go.mod" "$here/tilt/go.sum" | sha256sum | cut -c1-16) $go_key"
if ! current tilt "$tilt_key" "$bin/tilt"; then
  timed "tilt $tilt_version" install_tilt
  echo "$tilt_key" >"$stamps/tilt"
fi
if ! current kubernetes-validate "$kubernetes_validate_version" "$bin/kubernetes-validate"; then
  timed kubernetes-validate install_kubernetes_validate
  echo "$kubernetes_validate_version" >"$stamps/kubernetes-validate"
fi
