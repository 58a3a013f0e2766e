#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The single list of Debian 12 packages nucleus needs, and an installer that installs only the
# missing ones.  Usage: scripts/install-deps.sh [build|all|bench]
#   build  what `make demo` needs: compiler, meson, libraries
#   all    also what `make check` needs: test, fuzz, analysis and proof tools
#   bench  also the peers bench/ compares against
set -eu

BUILD_PKGS="gcc libc6-dev make meson ninja-build pkg-config libyaml-dev libjansson-dev libseccomp-dev libssl-dev libpcre2-dev libcurl4-openssl-dev"
CHECK_PKGS="libcmocka-dev clang libclang-rt-14-dev python3 cppcheck clang-tidy frama-c-base why3 z3 cvc4 openssl curl nftables iproute2"
# Peers measured side by side by bench/ (not needed by make demo or make check): bubblewrap
# (spawn.sh), ripgrep and GNU grep (grep.sh), curl (egress.py); mcp.sh runs node (below).
BENCH_PKGS="bubblewrap hyperfine ripgrep grep python3 curl socat"

# Node.js and npm run the official MCP SDK client in the tests (tests/proxy/sdk.sh).  A Node.js
# from another source (nodesource ships npm inside its nodejs package) is kept as it is.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  NODE_PKGS=""
else
  NODE_PKGS="nodejs npm"
fi
CHECK_PKGS="$CHECK_PKGS $NODE_PKGS"

mode=${1:-build}
case "$mode" in
  build) pkgs="$BUILD_PKGS" ;;
  all) pkgs="$BUILD_PKGS $CHECK_PKGS" ;;
  bench) pkgs="$BUILD_PKGS $BENCH_PKGS $NODE_PKGS" ;;
  *) echo "usage: $0 [build|all|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-deps: not root and no sudo; run as root: apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the package lists first (fast, works offline with a warm cache).
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends $missing
fi
