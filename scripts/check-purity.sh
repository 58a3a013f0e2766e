#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The pure core (src/core) must not reach the kernel or the heap: its static library may only
# import a small set of libc string/memory functions (plus sanitizer runtime symbols).
# Usage: check-purity.sh libnccore.a
set -u
lib=$1
allowed='^(memcmp|memcpy|memmove|memset|memchr|strlen|strnlen|strcmp|strncmp|strchr|strrchr|strpbrk|strstr|__stack_chk_fail|__asan_.*|__ubsan_.*|__sanitizer_.*|__sancov_.*|__memcpy_chk|__memmove_chk|__memset_chk|_GLOBAL_OFFSET_TABLE_)$'
echo "1..1"
# Undefined symbols of the archive's objects, less those another object of the core defines.
defined=$(nm --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
bad=$(nm -u "$lib" 2>/dev/null | awk 'NF==2 && $1=="U" {print $2}' | sort -u | grep -Fvx -e "$defined" -e '' | grep -Ev "$allowed" || true)
if [ -z "$bad" ]; then
  echo "ok 1 - src/core imports only pure libc string functions"
else
  echo "not ok 1 - src/core imports impure symbols:"
  echo "$bad" | sed 's/^/# /'
fi
