#!/usr/bin/env bash
# make run: the operator against the local control plane (make cluster-up), with examples/ applied and
# their status shown. Ctrl-C stops the operator; the cluster keeps running until `make cluster-down`.
# DEMO_SECONDS=N stops by itself after N seconds (default: run until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBECONFIG=$PWD/.cluster/kubeconfig
BIN=$(bash test/cluster/build.sh)
kubectl() { "$BIN/kubectl" "$@"; }

kubectl apply --server-side -f crds/ >/dev/null
kubectl wait --for condition=established crd/schedules.schedule-operator.io --timeout=30s >/dev/null
mkdir -p .cluster/logs
./bin/schedule-operator controller --leader-elect=false --metrics-bind-address=127.0.0.1:8080 --health-probe-bind-address=127.0.0.1:8081 \
  >.cluster/logs/operator.log 2>&1 &
operator=$!
trap 'kill $operator 2>/dev/null; wait $operator 2>/dev/null || true; echo "operator stopped (log: .cluster/logs/operator.log)"' EXIT
kubectl apply -f examples/ >/dev/null
echo "operator running (pid $operator, log .cluster/logs/operator.log, metrics http://127.0.0.1:8080/metrics)"
kubectl wait --for condition=Ready sched --all --timeout=60s >/dev/null || { tail -20 .cluster/logs/operator.log; exit 1; }
echo; echo "export KUBECONFIG=$KUBECONFIG"; echo
kubectl get sched -o wide
echo; echo "watching (Ctrl-C to stop the operator):"
if [ -n "${DEMO_SECONDS:-}" ]; then
  timeout "$DEMO_SECONDS" "$BIN/kubectl" get sched -w || true
else
  kubectl get sched -w
fi
