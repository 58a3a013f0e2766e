#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes docs/cli.md from the binary's own --help texts, so the two cannot drift apart
# (tests/cli/cli_docs.sh regenerates it and compares).  Usage: gen-cli-docs.sh NUCLEUS > docs/cli.md
set -eu
n=$1
cat <<'HDR'
# Command-line reference

Generated from `--help` by `scripts/gen-cli-docs.sh`; do not edit by hand (the test suite
compares this file with the binary).

Exit codes shared by every command: 0 success or allowed, 1 negative answer (invalid policy,
denied operation), 2 usage or input error, 3 the operation needs approval (`policy explain`).
Colour is used only when standard output is a terminal and `NO_COLOR` is unset.

HDR
section() { # title, args...
  t=$1; shift
  printf '## nucleus %s\n\n```\n' "$t"
  "$n" "$@" --help
  printf '```\n\n'
}
printf '## nucleus\n\n```\n'; "$n" --help; printf '```\n\n'
section profiles profiles
section "policy (show, check, meet, explain)" policy
section run run
section mcp mcp
section ps ps
section exec exec
section proxy proxy
section gateway gateway
section approvals approvals
section approve approve
section deny deny
section demo demo
section doctor doctor
section "audit (verify, show)" audit
section "ca (init, issue, rotate, status)" ca
section identity identity
