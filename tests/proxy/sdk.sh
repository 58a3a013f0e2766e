#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the pinned MCP TypeScript SDK (tests/proxy/sdk/package-lock.json) into the build
# directory with `npm ci`, then runs client.mjs against nucleus.  Usage: sdk.sh NUCLEUS BUILDDIR
set -eu
nucleus=$1
dir=$2/sdk-client
src=$(cd "$(dirname "$0")/sdk" && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "1..0 # SKIP node and npm are not installed (scripts/install-deps.sh all installs them)"
  exit 0
fi
mkdir -p "$dir"
if ! cmp -s "$src/package-lock.json" "$dir/package-lock.json" || [ ! -d "$dir/node_modules" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >npm.log 2>&1); then
    echo "not ok 1 - npm ci of the pinned SDK failed"
    sed 's/^/# /' "$dir/npm.log" | tail -20
    echo "1..1"
    exit 1
  fi
fi
cp "$src/client.mjs" "$dir/client.mjs"
exec node "$dir/client.mjs" "$nucleus"
