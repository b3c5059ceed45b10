#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, without Docker (docs/test-cluster.md).
#
#   cluster.sh up      start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake kubelet
#                      with fake Nodes); wait until all are ready; write $CLUSTER_DIR/kubeconfig. Reuses a healthy
#                      cluster in the same CLUSTER_DIR.
#   cluster.sh down    stop exactly the processes `up` started (pid files), then remove $CLUSTER_DIR.
#   cluster.sh status  say whether the cluster in $CLUSTER_DIR is running.
#
# Environment:
#   CLUSTER_DIR        state folder (default: .cluster in the repository)
#   CLUSTER_BIN        folder holding the binaries (default: the one test/cluster/build.sh prints)
#   TEST_ASSET_<NAME>  one binary, e.g. TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER (envtest convention)
#   CLUSTER_ETCD_PORT, CLUSTER_API_PORT, CLUSTER_KWOK_PORT   fixed ports (default: free ports are picked)
#   CLUSTER_NODES      number of fake Nodes (default 1)
#   CLUSTER_TIMEOUT    seconds to wait for each component to become ready (default 60)
#   CLUSTER_KEEP_LOGS  `down` keeps $CLUSTER_DIR/logs when set to 1
#
# Every failure ends in one line `cluster: <reason>` followed by the last log lines of the component at fault.
# Processes are stopped only through their pid files, never by name.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${CLUSTER_DIR:-$repo/.cluster}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
timeout_s=${CLUSTER_TIMEOUT:-60}
nodes=${CLUSTER_NODES:-1}
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

launched=false # set once this run starts processes; only then does a failure stop them
say() { printf 'cluster: %s\n' "$*" >&2; }

# fail REASON [COMPONENT]: the one-line reason, the component's last log lines, stop what was started, exit 1.
fail() {
  local reason=$1 component=${2:-}
  say "$reason"
  if [ -n "$component" ] && [ -s "$dir/logs/$component.log" ]; then
    printf -- '--- last lines of %s ---\n' "$dir/logs/$component.log" >&2
    tail -n 15 "$dir/logs/$component.log" >&2
    printf -- '---\n' >&2
  fi
  [ "$launched" = false ] || stop_all quiet
  exit 1
}

# start_time PID: the process's start time in clock ticks since boot (with the pid, it names one process for good).
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  set -- $stat
  [ "$1" != Z ] || return 1 # a zombie has exited
  echo "${20}"
}

# pid_alive NAME: the process recorded in NAME's pid file is still running (same pid and same start time, so a
# reused pid is never mistaken for ours).
pid_alive() {
  local pidfile=$dir/pids/$1.pid pid started now
  [ -s "$pidfile" ] || return 1
  read -r pid started _ <"$pidfile"
  now=$(start_time "$pid") || return 1
  [ "$now" = "$started" ]
}

stop_one() {
  local name=$1 pid i
  [ -s "$dir/pids/$name.pid" ] || return 0
  if pid_alive "$name"; then
    read -r pid _ <"$dir/pids/$name.pid"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do pid_alive "$name" || break; sleep 0.1; done
    if pid_alive "$name"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$dir/pids/$name.pid"
}

# stop_all [quiet]: stops components in reverse start order.
stop_all() {
  local i
  [ -d "$dir/pids" ] || return 0
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do stop_one "${components[$i]}"; done
  [ "${1:-}" = quiet ] || say "stopped the control plane in $dir"
}

# port_in_use PORT: something listens on PORT, or (when `ss` is there) any socket uses it as its local port.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  command -v ss >/dev/null && [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
}

picked=" "
# free_port: sets `got` to a port no socket uses, below Linux's ephemeral range (32768+) where outgoing connections
# take theirs, picked at random so parallel clusters rarely race for the same one, and never twice in one run.
free_port() {
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    case $picked in *" $p "*) continue ;; esac
    port_in_use "$p" && continue
    picked+="$p "
    got=$p
    return
  done
  fail "found no free port between 20000 and 32000"
}

# port VAR COMPONENT FLAG: sets `got` to the port named by VAR if set (it must be free), else to a free one.
port() {
  local var=$1 component=$2 flag=$3 p=${!1:-}
  if [ -z "$p" ]; then free_port; return; fi
  [[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || fail "$var=$p is not a port number (1-65535)"
  if port_in_use "$p"; then
    fail "port $p ($component $flag, from $var) is already in use by another process; choose another $var or unset it to pick a free port"
  fi
  picked+="$p "
  got=$p
}

# binary NAME: the path of NAME (TEST_ASSET_<NAME> first, then the bin folder).
binary() {
  local name=$1 var path
  var="TEST_ASSET_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!var:-}" ]; then
    path=${!var}
    [ -f "$path" ] && [ -x "$path" ] || fail "$var=$path is not an executable file; point it at the $name binary or unset it"
  else
    path=$bin/$name
    [ -x "$path" ] || fail "missing binary $name in $bin; run 'bash test/cluster/build.sh' or set $var"
  fi
  echo "$path"
}

resolve_bin() {
  if [ -n "${CLUSTER_BIN:-}" ]; then
    bin=$CLUSTER_BIN
    [ -d "$bin" ] || fail "CLUSTER_BIN=$bin is not a folder; point it at the folder holding etcd, kube-apiserver, ... or unset it"
  else
    bin=$(bash "$here/build.sh") || fail "test/cluster/build.sh failed (its messages are above)"
  fi
  stages=${CLUSTER_KWOK_STAGES:-$bin/../kwok-stages}
  [ -d "$stages/pod/fast" ] || fail "missing kwok stage files in $stages; build.sh copies them from the kwok module (or set CLUSTER_KWOK_STAGES)"
}

# launch NAME BINARY ARGS...: starts a component in its own session, logs to logs/NAME.log, pid to pids/NAME.pid.
launch() {
  local name=$1 exe=$2; shift 2
  launched=true
  setsid "$exe" "$@" </dev/null >"$dir/logs/$name.log" 2>&1 9>&- &
  local pid=$! started
  started=$(start_time "$pid") || started=gone
  echo "$pid $started $exe" >"$dir/pids/$name.pid"
}

pending=()

# wait_for WHAT CHECK COMPONENTS...: polls CHECK until it succeeds; fails fast when a component has died.
wait_for() {
  local what=$1 check=$2 c deadline=$((SECONDS + timeout_s)); shift 2
  while ! $check; do
    for c in "$@"; do
      pid_alive "$c" || fail "$c exited during start-up (while waiting for $what)" "$c"
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
      local late=$1
      [ ${#pending[@]} -eq 0 ] || { what="${pending[*]}"; late=${pending[0]%% *}; }
      fail "timed out after ${timeout_s}s waiting for $what (CLUSTER_TIMEOUT raises the limit)" "$late"
    fi
    sleep 0.2
  done
}

api() { curl -sf --max-time 2 -A cluster.sh --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" "https://127.0.0.1:$api_port$1"; }

etcd_ready() { curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }
api_ready() { [ "$(api /readyz 2>/dev/null)" = ok ]; }
kwok_ready() { curl -sf --max-time 2 "http://127.0.0.1:$kwok_port/healthz" >/dev/null && nodes_ready; }
nodes_ready() {
  local n
  n=$(api /api/v1/nodes 2>/dev/null | grep -o '"type":"Ready","status":"True"' | wc -l) || return 1
  [ "$n" -ge "$nodes" ]
}
# The controller manager is working once its serviceaccount controller has made the default ServiceAccount.
kcm_ready() { api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1; }
# The scheduler is working once it holds its leader lease.
scheduler_ready() { api /apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler 2>/dev/null | grep -q holderIdentity; }
# rest_ready: all three work; `pending` names those that do not yet (for the timeout message).
rest_ready() {
  pending=()
  kcm_ready || pending+=("kube-controller-manager (no default ServiceAccount yet)")
  scheduler_ready || pending+=("kube-scheduler (no leader lease yet)")
  kwok_ready || pending+=("kwok (fewer than $nodes Ready fake Node(s))")
  [ ${#pending[@]} -eq 0 ]
}

make_pki() {
  command -v openssl >/dev/null || fail "openssl is not installed; install it (e.g. apt-get install openssl) to make the cluster's certificates"
  local p=$dir/pki
  mkdir -p "$p"
  (
    cd "$p"
    ec() { openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$1"; }
    ec ca.key
    openssl req -x509 -new -key ca.key -subj /CN=schedule-operator-test-ca -days 365 -out ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    # sign NAME SUBJECT EXTENSIONS
    sign() {
      ec "$1.key"
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign serving /CN=kube-apiserver "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc')"
    sign admin '/O=system:masters/CN=admin' "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  ) || fail "openssl could not make the certificates in $p"
}

write_kubeconfig() {
  local b64='base64 -w0'
  cat >"$dir/kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: schedule-operator-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority-data: $($b64 <"$dir/pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 <"$dir/pki/admin.crt")
    client-key-data: $($b64 <"$dir/pki/admin.key")
contexts:
- name: schedule-operator-test
  context: {cluster: schedule-operator-test, user: admin}
current-context: schedule-operator-test
EOF
  chmod 600 "$dir/kubeconfig.tmp"
}

# node_manifest I: fake Node I as kwok manages it (kwok's documented shape, without its taint: every node is fake).
# TaintNodesByCondition admission is off: no node-lifecycle controller runs to lift its not-ready taint.
node_manifest() {
  cat <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-$1",
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
 "labels":{"kubernetes.io/hostname":"kwok-node-$1","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"250"},"capacity":{"cpu":"32","memory":"256Gi","pods":"250"}}}
EOF
}

print_env() {
  echo "export KUBECONFIG=$dir/kubeconfig"
}

healthy() {
  local c
  [ -s "$dir/kubeconfig" ] && [ -s "$dir/ports" ] || return 1
  for c in "${components[@]}"; do pid_alive "$c" || return 1; done
  # shellcheck disable=SC1091
  . "$dir/ports"
  api_ready
}

reuse() {
  healthy || return 1
  say "reusing the healthy control plane in $dir (api https://127.0.0.1:$api_port)"
  print_env
}

up() {
  local started=$SECONDS
  reuse && return 0
  lock
  reuse && return 0 # another `up` finished while this one waited for the lock
  trap 'fail "interrupted during start-up; stopped what had started"' INT TERM
  if compgen -G "$dir/pids/*.pid" >/dev/null; then
    say "found a stopped or partial control plane in $dir; stopping its leftovers and starting afresh"
    stop_all quiet
  fi
  rm -rf "$dir"
  mkdir -p "$dir/logs" "$dir/pids"
  command -v curl >/dev/null || fail "curl is not installed; the readiness checks need it"

  resolve_bin
  local etcd apiserver kcm scheduler kwok
  etcd=$(binary etcd)
  apiserver=$(binary kube-apiserver)
  kcm=$(binary kube-controller-manager)
  scheduler=$(binary kube-scheduler)
  kwok=$(binary kwok)

  local got etcd_peer_port
  port CLUSTER_ETCD_PORT etcd --listen-client-urls && etcd_port=$got
  port CLUSTER_API_PORT kube-apiserver --secure-port && api_port=$got
  port CLUSTER_KWOK_PORT kwok --server-address && kwok_port=$got
  free_port && etcd_peer_port=$got
  printf 'etcd_port=%s\napi_port=%s\nkwok_port=%s\n' "$etcd_port" "$api_port" "$kwok_port" >"$dir/ports"

  make_pki
  write_kubeconfig
  local kc=$dir/kubeconfig.tmp

  launch etcd "$etcd" --name=etcd --data-dir="$dir/etcd" --unsafe-no-fsync --log-level=warn \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="etcd=http://127.0.0.1:$etcd_peer_port"
  wait_for "etcd to be healthy on 127.0.0.1:$etcd_port" etcd_ready etcd

  launch kube-apiserver "$apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --etcd-servers="http://127.0.0.1:$etcd_port" --cert-dir="$dir/pki" \
    --tls-cert-file="$dir/pki/serving.crt" --tls-private-key-file="$dir/pki/serving.key" \
    --client-ca-file="$dir/pki/ca.crt" --authorization-mode=RBAC --disable-admission-plugins=ServiceAccount,TaintNodesByCondition \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$dir/pki/sa.pub" \
    --service-account-signing-key-file="$dir/pki/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
    --allow-privileged=true --profiling=false
  wait_for "kube-apiserver /readyz on https://127.0.0.1:$api_port" api_ready kube-apiserver etcd

  local n
  for n in $(seq 0 $((nodes - 1))); do
    node_manifest "$n" |
      curl -sf --max-time 5 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
        -H 'Content-Type: application/json' --data-binary @- "https://127.0.0.1:$api_port/api/v1/nodes" >/dev/null ||
      fail "could not create the fake Node kwok-node-$n" kube-apiserver
  done

  launch kube-controller-manager "$kcm" --kubeconfig="$kc" --leader-elect=false --secure-port=0 \
    --controllers=job,cronjob,garbagecollector,namespace,ttl-after-finished,serviceaccount \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt"
  launch kube-scheduler "$scheduler" --kubeconfig="$kc" --secure-port=0 --leader-elect=true
  local stage_files=()
  mapfile -t stage_files < <(
    find "$stages/node/fast" "$stages/node/heartbeat" "$stages/pod/fast" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml
    find "$stages/pod/chaos" -maxdepth 1 -name 'pod-container-running-failed.yaml'
  )
  local cfg=() f
  for f in "${stage_files[@]}"; do cfg+=(--config="$f"); done
  launch kwok "$kwok" --kubeconfig="$kc" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --server-address="127.0.0.1:$kwok_port" \
    --node-ip=127.0.0.1 --cidr=10.244.0.0/16 "${cfg[@]}"
  wait_for "kube-controller-manager, kube-scheduler and kwok (fake Nodes Ready)" rest_ready \
    kube-controller-manager kube-scheduler kwok kube-apiserver etcd

  mv "$dir/kubeconfig.tmp" "$dir/kubeconfig"
  say "control plane ready in $((SECONDS - started))s (api https://127.0.0.1:$api_port, $nodes fake node(s), logs in $dir/logs)"
  print_env
}

down() {
  if [ ! -d "$dir" ]; then
    say "nothing to stop: $dir does not exist"
    return 0
  fi
  stop_all
  if [ "${CLUSTER_KEEP_LOGS:-}" = 1 ]; then
    find "$dir" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  else
    rm -rf "$dir"
  fi
}

status() {
  if healthy; then
    say "running in $dir (api https://127.0.0.1:$api_port)"
    print_env
  else
    say "not running in $dir"
    return 1
  fi
}

# One starting `up` at a time per CLUSTER_DIR (the lock lives outside it, since `up` removes the folder). A healthy
# cluster is reused without the lock, and `down` needs none: it acts only through pid files.
lock() {
  command -v flock >/dev/null || return 0
  exec 9>"${TMPDIR:-/tmp}/schedule-operator-cluster.$(printf '%s' "$dir" | md5sum | cut -c1-12).lock"
  flock -w 180 9 || fail "another cluster.sh is still busy with $dir after 180s"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status   (CLUSTER_DIR chooses the state folder, default .cluster)" >&2; exit 2 ;;
esac
