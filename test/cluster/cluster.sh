#!/usr/bin/env bash
# A real Kubernetes control plane on this machine, without Docker (docs/test-cluster.md).
#
#   cluster.sh up      start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake kubelet
#                      with fake Nodes); wait until all are ready; write $CLUSTER_DIR/kubeconfig. Reuses a healthy
#                      cluster in the same CLUSTER_DIR.
#   cluster.sh down    stop exactly the processes `up` started (pid files), then remove $CLUSTER_DIR.
#   cluster.sh status  say whether the cluster in $CLUSTER_DIR is running (and which components are frozen).
#
# Faults, on one component C of a running cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok):
#   cluster.sh stop C      stop it (TERM, then KILL after 5 s)      cluster.sh kill C   SIGKILL it
#   cluster.sh start C     start it again with the arguments `up` gave it; wait until it is ready
#   cluster.sh restart C   stop, then start
#   cluster.sh freeze C    SIGSTOP it (its connections stay open and hang)      cluster.sh thaw C   SIGCONT it
#   cluster.sh compact     compact etcd at its current revision (watches from older resourceVersions get 410 Gone)
#   cluster.sh probe       check that the cluster runs pods: a probe pod must be scheduled and become Running
#   cluster.sh settle      probe; restart the scheduler or kwok when the probe shows that one of them is stuck
# start/restart of etcd or kube-apiserver, and thaw of either, settle afterwards (CLUSTER_SETTLE=0 skips that).
# Signals go only to the pid recorded in pids/C.pid, checked against its recorded start time, never by name.
# start/restart print `C ready_at_ms=<epoch ms>` on stdout: when C answered its readiness check.
#
# Environment:
#   CLUSTER_DIR        state folder (default: .cluster in the repository)
#   CLUSTER_BIN        folder holding the binaries (default: the one test/cluster/build.sh prints)
#   TEST_ASSET_<NAME>  one binary, e.g. TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER (envtest convention)
#   CLUSTER_ETCD_PORT, CLUSTER_API_PORT, CLUSTER_KWOK_PORT   fixed ports (default: free ports are picked)
#   CLUSTER_NODES      number of fake Nodes (default 1)
#   CLUSTER_TIMEOUT    seconds to wait for each component to become ready (default 60)
#   CLUSTER_KEEP_LOGS  `down` keeps $CLUSTER_DIR/logs when set to 1
#   CLUSTER_APISERVER_ARGS  extra kube-apiserver flags, split on spaces (e.g. --watch-cache=false); restarts keep them
#   CLUSTER_KCM_ARGS   extra kube-controller-manager flags, split on spaces (e.g. --kube-api-qps=500); restarts keep them
#   CLUSTER_SETTLE_TIMEOUT  seconds `settle` gives the probe pod before it restarts the scheduler or kwok (default 20)
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
    kill -CONT "$pid" 2>/dev/null || true # a frozen process acts on TERM only once it runs again
    for i in $(seq 1 50); do pid_alive "$name" || break; sleep 0.1; done
    if pid_alive "$name"; then kill -KILL "$pid" 2>/dev/null || true; fi
    for i in $(seq 1 50); do pid_alive "$name" || break; sleep 0.1; done
  fi
  rm -f "$dir/pids/$name.pid" "$dir/frozen/$name"
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

# launch NAME BINARY ARGS...: starts a component in its own session, logs to logs/NAME.log (appending, so a restart
# keeps the earlier life's lines), pid to pids/NAME.pid, its command line to cmd/NAME (NUL-separated) for restarts.
launch() {
  local name=$1 exe=$2; shift 2
  launched=true
  mkdir -p "$dir/cmd"
  printf '%s\0' "$exe" "$@" >"$dir/cmd/$name"
  setsid "$exe" "$@" </dev/null >>"$dir/logs/$name.log" 2>&1 9>&- &
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
# healthz PORT: the component serving on 127.0.0.1:PORT (its own self-signed certificate) answers ok on /healthz.
healthz() { [ "$(curl -sk --max-time 2 "https://127.0.0.1:$1/healthz" 2>/dev/null)" = ok ]; }
kcm_healthy() { healthz "$kcm_port"; }
# The controller manager is working once it is healthy and its serviceaccount controller made the default ServiceAccount.
kcm_ready() { kcm_healthy && api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1; }
# The scheduler runs without leader election (so a paused API server cannot make it exit): /healthz says it works.
scheduler_ready() { healthz "$sched_port"; }
# rest_ready: all three work; `pending` names those that do not yet (for the timeout message).
rest_ready() {
  pending=()
  kcm_ready || pending+=("kube-controller-manager (not healthy or no default ServiceAccount yet)")
  scheduler_ready || pending+=("kube-scheduler (/healthz not ok yet)")
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

# write_kubeconfig FILE: an admin kubeconfig (client certificate in system:masters).
write_kubeconfig() {
  local b64='base64 -w0' file=$1
  cat >"$file" <<EOF
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
  chmod 600 "$file"
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
  free_port && kcm_port=$got
  free_port && sched_port=$got
  printf 'etcd_port=%s\napi_port=%s\nkwok_port=%s\nkcm_port=%s\nsched_port=%s\n' \
    "$etcd_port" "$api_port" "$kwok_port" "$kcm_port" "$sched_port" >"$dir/ports"

  make_pki
  # Each component keeps a kubeconfig of its own for its whole life, so `start`/`restart` can reuse its arguments;
  # kubeconfig.tmp becomes the user's kubeconfig once everything is ready.
  mkdir -p "$dir/kubeconfigs"
  local c
  for c in kube-controller-manager kube-scheduler kwok; do write_kubeconfig "$dir/kubeconfigs/$c.kubeconfig"; done
  write_kubeconfig "$dir/kubeconfig.tmp"
  local extra=() kcm_extra=()
  read -r -a extra <<<"${CLUSTER_APISERVER_ARGS:-}"
  read -r -a kcm_extra <<<"${CLUSTER_KCM_ARGS:-}"

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
    --allow-privileged=true --profiling=false "${extra[@]}"
  wait_for "kube-apiserver /readyz on https://127.0.0.1:$api_port" api_ready kube-apiserver etcd

  local n
  for n in $(seq 0 $((nodes - 1))); do
    node_manifest "$n" |
      curl -sf --max-time 5 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
        -H 'Content-Type: application/json' --data-binary @- "https://127.0.0.1:$api_port/api/v1/nodes" >/dev/null ||
      fail "could not create the fake Node kwok-node-$n" kube-apiserver
  done

  # Single instances without leader election: a paused API server cannot make them give up a lease and exit.
  # Their /healthz is served on a port of their own (self-signed certificate in pki/<component>).
  launch kube-controller-manager "$kcm" --kubeconfig="$dir/kubeconfigs/kube-controller-manager.kubeconfig" --leader-elect=false \
    --secure-port="$kcm_port" --bind-address=127.0.0.1 --cert-dir="$dir/pki/kube-controller-manager" \
    --controllers=job,cronjob,garbagecollector,namespace,ttl-after-finished,serviceaccount \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt" "${kcm_extra[@]}"
  launch kube-scheduler "$scheduler" --kubeconfig="$dir/kubeconfigs/kube-scheduler.kubeconfig" --leader-elect=false \
    --secure-port="$sched_port" --bind-address=127.0.0.1 --cert-dir="$dir/pki/kube-scheduler"
  # kwok's fast pod stages, except that pod-complete is this repository's: it honours kwok's delay annotation.
  local stage_files=()
  mapfile -t stage_files < <(
    find "$stages/node/fast" "$stages/node/heartbeat" "$stages/pod/fast" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml ! -name pod-complete.yaml
    find "$stages/pod/chaos" -maxdepth 1 -name 'pod-container-running-failed.yaml'
    echo "$here/stages/pod-complete.yaml"
  )
  local cfg=() f
  for f in "${stage_files[@]}"; do cfg+=(--config="$f"); done
  launch kwok "$kwok" --kubeconfig="$dir/kubeconfigs/kwok.kubeconfig" --manage-all-nodes=false \
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
  local frozen=()
  [ -d "$dir/frozen" ] && mapfile -t frozen < <(ls "$dir/frozen")
  [ ${#frozen[@]} -eq 0 ] || say "frozen (SIGSTOP): ${frozen[*]}"
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

# ---- faults on one component (docs/test-cluster.md, "Faults") ------------------------------------------------------

# loaded: the cluster in $dir was started by `up` (ports and recorded command lines exist); reads its ports.
loaded() {
  [ -s "$dir/ports" ] && [ -d "$dir/cmd" ] || fail "no cluster in $dir: run 'cluster.sh up' first (with the same CLUSTER_DIR)"
  # shellcheck disable=SC1091
  . "$dir/ports"
  [ -n "${kcm_port:-}" ] || fail "the cluster in $dir was started by an older cluster.sh (no component ports); run 'cluster.sh down' and 'up'"
  mkdir -p "$dir/frozen"
}

component() {
  local c
  for c in "${components[@]}"; do [ "$c" = "${1:-}" ] && return 0; done
  fail "unknown component '${1:-}'; name one of: ${components[*]}"
}

# running NAME: fails unless NAME's recorded process (pid and start time) is alive; sets `pid`.
running() {
  pid_alive "$1" || fail "$1 is not running (no live process matches $dir/pids/$1.pid); 'cluster.sh start $1' starts it"
  read -r pid _ <"$dir/pids/$1.pid"
}

ready_check() {
  case $1 in
    etcd) echo etcd_ready ;;
    kube-apiserver) echo api_ready ;;
    kube-controller-manager) echo kcm_healthy ;;
    kube-scheduler) echo scheduler_ready ;;
    kwok) echo kwok_ready ;;
  esac
}

now_ms() { date +%s%3N; }

# start_component NAME: launches NAME with its recorded command line and waits until it is ready.
start_component() {
  local name=$1 argv=()
  if pid_alive "$name"; then say "$name is already running"; return 0; fi
  [ -s "$dir/cmd/$name" ] || fail "no recorded command line for $name in $dir/cmd"
  mapfile -d '' -t argv <"$dir/cmd/$name"
  printf -- '--- cluster.sh: starting %s again at %s ---\n' "$name" "$(date -u +%FT%T.%3NZ)" >>"$dir/logs/$name.log"
  local began=$SECONDS
  launch "$name" "${argv[@]}"
  launched=false # a failed readiness wait must not stop the rest of the cluster
  wait_for "$name to be ready again" "$(ready_check "$name")" "$name"
  echo "$name ready_at_ms=$(now_ms)"
  say "$name started again, ready in $((SECONDS - began))s"
  case $name in etcd | kube-apiserver) [ "${CLUSTER_SETTLE:-1}" = 0 ] || settle ;; esac
}

stop_component() {
  pid_alive "$1" || { say "$1 is not running"; rm -f "$dir/pids/$1.pid" "$dir/frozen/$1"; return 0; }
  stop_one "$1"
  say "stopped $1"
}

kill_component() {
  local i
  running "$1"
  kill -KILL "$pid"
  for i in $(seq 1 50); do pid_alive "$1" || break; sleep 0.1; done
  pid_alive "$1" && fail "$1 (pid $pid) is still alive 5s after SIGKILL"
  rm -f "$dir/pids/$1.pid" "$dir/frozen/$1"
  say "killed $1 (pid $pid, SIGKILL)"
}

freeze_component() {
  running "$1"
  kill -STOP "$pid"
  date +%s >"$dir/frozen/$1"
  say "froze $1 (pid $pid, SIGSTOP)"
}

thaw_component() {
  running "$1"
  kill -CONT "$pid"
  local since=""
  [ -s "$dir/frozen/$1" ] && since=" after $(($(date +%s) - $(cat "$dir/frozen/$1")))s"
  rm -f "$dir/frozen/$1"
  say "thawed $1 (pid $pid, SIGCONT)$since"
  case $1 in etcd | kube-apiserver)
    [ "${CLUSTER_SETTLE:-1}" = 0 ] && return 0
    wait_for "$1 to be ready after the thaw" "$(ready_check "$1")" "$1"
    settle ;;
  esac
}

# compact: compacts etcd's history up to its current revision through etcd's gRPC gateway (no etcdctl needed). A
# watch that asks etcd for an older revision then fails with "required revision has been compacted", which the API
# server passes on as 410 Gone (to watches it serves from etcd: its watch cache keeps its own window of events).
compact() {
  running etcd >/dev/null
  local etcd="http://127.0.0.1:$etcd_port" rev
  rev=$(curl -sf --max-time 5 -X POST "$etcd/v3/kv/range" -d '{"key":"AA==","limit":1}' | sed -n 's/.*"revision":"\([0-9]*\)".*/\1/p') ||
    fail "could not read etcd's revision from $etcd/v3/kv/range" etcd
  [ -n "$rev" ] || fail "etcd's /v3/kv/range answer had no header revision" etcd
  curl -sf --max-time 30 -X POST "$etcd/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null ||
    fail "etcd refused to compact at revision $rev" etcd
  echo "compacted_revision=$rev"
  say "compacted etcd at revision $rev"
}

# probe_pod TIMEOUT: a pod with no node must be scheduled (kube-scheduler) and become Running (kwok) within TIMEOUT
# seconds. Returns 0, or 2 when it was never scheduled, 3 when it was scheduled but never ran, 4 when the API server
# refused the pod. Sets `probe_ms` to how long it took. The pod is force-deleted afterwards.
probe_pod() {
  local timeout=$1 name="cluster-probe-$RANDOM$RANDOM" began got state=2 t0
  t0=$(now_ms)
  local ns=/api/v1/namespaces/kube-system/pods
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},"spec":{"containers":[{"name":"probe","image":"probe"}],"terminationGracePeriodSeconds":0}}' "$name" |
    curl -sf --max-time 5 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
      -H 'Content-Type: application/json' --data-binary @- "https://127.0.0.1:$api_port$ns" >/dev/null || return 4
  began=$SECONDS
  while [ $((SECONDS - began)) -lt "$timeout" ]; do
    got=$(api "$ns/$name" 2>/dev/null) || got=""
    if grep -q '"nodeName":' <<<"$got"; then
      state=3
      if grep -q '"phase":"Running"' <<<"$got"; then state=0; break; fi
    fi
    sleep 0.2
  done
  probe_ms=$(($(now_ms) - t0))
  curl -sf --max-time 5 -X DELETE --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    "https://127.0.0.1:$api_port$ns/$name?gracePeriodSeconds=0" >/dev/null || true
  return $state
}

probe() {
  local r=0
  probe_pod "${CLUSTER_PROBE_TIMEOUT:-20}" || r=$?
  case $r in
    0) say "probe pod scheduled and Running in ${probe_ms} ms" ;;
    2) fail "probe pod not scheduled within ${CLUSTER_PROBE_TIMEOUT:-20}s (kube-scheduler stuck?)" kube-scheduler ;;
    3) fail "probe pod scheduled but not Running within ${CLUSTER_PROBE_TIMEOUT:-20}s (kwok stuck?)" kwok ;;
    *) fail "the API server refused the probe pod" kube-apiserver ;;
  esac
}

# settle: after the API server (or etcd) came back, check end to end that pods are scheduled and run. kube-scheduler
# and the controller manager reconnect on their own; kwok may not. Whichever stage the probe pod is stuck in names the
# component to restart (scheduler: never bound; kwok: bound, never Running), once; then the probe must pass.
settle() {
  local r=0 limit=${CLUSTER_SETTLE_TIMEOUT:-20} culprit
  probe_pod "$limit" || r=$?
  if [ "$r" = 0 ]; then say "settled: a probe pod was scheduled and Running in ${probe_ms} ms"; return 0; fi
  case $r in
    2) culprit=kube-scheduler ;;
    3) culprit=kwok ;;
    *) fail "the API server refused the probe pod while settling" kube-apiserver ;;
  esac
  say "$culprit did not resume (probe pod $([ "$r" = 2 ] && echo 'not scheduled' || echo 'not Running') after ${limit}s); restarting it"
  echo "restarted=$culprit"
  stop_one "$culprit"
  CLUSTER_SETTLE=0 start_component "$culprit" >/dev/null
  r=0
  probe_pod 30 || r=$?
  [ "$r" = 0 ] || fail "the cluster still does not run pods after restarting $culprit (probe result $r)" "$culprit"
  say "settled after restarting $culprit: probe pod Running in ${probe_ms} ms"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  start | stop | restart | kill | freeze | thaw)
    component "${2:-}"
    loaded
    case $1 in
      start) start_component "$2" ;;
      stop) stop_component "$2" ;;
      restart) stop_component "$2" && start_component "$2" ;;
      kill) kill_component "$2" ;;
      freeze) freeze_component "$2" ;;
      thaw) thaw_component "$2" ;;
    esac ;;
  compact | probe | settle) loaded && $1 ;;
  *)
    echo "usage: $0 up|down|status|probe|settle|compact   or   $0 start|stop|restart|kill|freeze|thaw <component>" >&2
    echo "  components: ${components[*]}   (CLUSTER_DIR chooses the state folder, default .cluster)" >&2
    exit 2 ;;
esac
