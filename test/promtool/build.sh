#!/usr/bin/env bash
# Builds (once) promtool from its Go module and prints the path of the binary.
#
#   github.com/prometheus/prometheus/cmd/promtool - module version v0.316.0 is Prometheus 3.x's promtool
#
# The binary goes to $SCHEDULE_OPERATOR_CACHE/promtool-<version>/promtool (default ~/.cache/schedule-operator,
# the cache test/cluster/build.sh uses, sharing its Go build cache) and is rebuilt only when missing.
# A promtool the user already has is honoured first: TEST_ASSET_PROMTOOL names the file.
# Progress goes to stderr; stdout is only the binary's path, so callers can do PROMTOOL=$(build.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROMETHEUS_VERSION=v0.316.0

if [ -n "${TEST_ASSET_PROMTOOL:-}" ]; then
  [ -x "$TEST_ASSET_PROMTOOL" ] || { echo "[promtool build] TEST_ASSET_PROMTOOL=$TEST_ASSET_PROMTOOL is not an executable file" >&2; exit 1; }
  echo "$TEST_ASSET_PROMTOOL"; exit 0
fi

cache_root=${SCHEDULE_OPERATOR_CACHE:-$HOME/.cache/schedule-operator}
# remove_all_sd leaves the service-discovery plugins (cloud SDKs) out: promtool checks and tests rules without them,
# and the cold build takes a fraction of the time.
out="$cache_root/promtool-$PROMETHEUS_VERSION-nosd/promtool"
if [ ! -x "$out" ]; then
  export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
  export GOCACHE=${GOCACHE_OVERRIDE:-$cache_root/go-build}
  echo "[promtool build] building promtool $PROMETHEUS_VERSION (cold: several minutes on 2 cores)" >&2
  mkdir -p "$(dirname "$out")"
  # Build to a temporary name, then rename: a build that is interrupted never leaves a half-written binary.
  (cd "$here" && go build -tags remove_all_sd -trimpath -ldflags "-s -w" -o "$out.tmp" github.com/prometheus/prometheus/cmd/promtool)
  mv "$out.tmp" "$out"
fi
echo "$out"
