#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# nucleus audit verify|show.  The logs are written here by an independent implementation of
# the format in docs/audit.md (Python), so the verifier is checked against the specification,
# not only against its own writer.
. "$(dirname "$0")/tap.sh"

# gen.py OUT N EVERY KEYHEX [closed]: N events, a checkpoint every EVERY, a closing checkpoint.
cat >"$TMP/gen.py" <<'PY'
import hashlib, hmac, json, sys
out, n, every, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
lines, seq, prev, since = [], 0, "0" * 64, 0
def emit(o):
    global seq, prev
    seq += 1
    o["seq"], o["prev"] = seq, prev
    if o["type"] == "checkpoint":
        o["mac"] = hmac.new(key, canon(o).encode(), hashlib.sha256).hexdigest()
    line = canon(o)
    prev = hashlib.sha256(line.encode()).hexdigest()
    lines.append(line)
def checkpoint(closed):
    global since
    emit({"type": "checkpoint", "ts_wall": "2026-11-29T21:00:00.000Z", "ts_mono_ns": seq,
          "count": since, "closed": closed})
    since = 0
for i in range(n):
    outcome = ["allowed", "denied", "needs_approval"][i % 3]
    emit({"type": "event", "ts_wall": "2026-11-29T21:00:00.%03dZ" % (i % 1000),
          "ts_mono_ns": 1000 + i, "request_id": "req-%d" % i,
          "principal": "spiffe://nucleus.local/pod/demo", "operation": "read",
          "params": {"path": "src/main.c",
                     "content": {"len": 6, "sha256": hashlib.sha256(b"secret").hexdigest()}},
          "outcome": outcome, "reason": "policy says %s" % outcome})
    since += 1
    if since == every:
        checkpoint(False)
checkpoint(True)
open(out, "w").write("".join(l + "\n" for l in lines))
PY
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
printf '%s\n' "$KEY" >"$TMP/key.hex"
printf '%s' "$KEY" | python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' >"$TMP/key.raw"
printf '%s\n' 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100 >"$TMP/other.hex"
python3 "$TMP/gen.py" "$TMP/log" 250 100 "$KEY"
LOG=$TMP/log

run audit verify "$LOG"; expect_status "intact log verifies" 0
expect_out "counts records and checkpoints" "OK: 253 records, 3 checkpoints, last seq 253, closed"
expect_out "says MACs were not checked" "MACs NOT checked"
run audit verify --key "$TMP/key.hex" "$LOG"; expect_status "verify --key (hex)" 0
expect_out "MACs verified" "checkpoint MACs verified with the key"
run audit verify --key "$TMP/key.raw" "$LOG"; expect_status "verify --key (raw 32 bytes)" 0
run audit verify --key "$TMP/other.hex" "$LOG"; expect_status "a wrong key fails" 1
expect_out "names the first checkpoint" "checkpoint 101 \(line 101\): MAC does not verify"
run audit verify --json --key "$TMP/key.hex" "$LOG"; expect_status "verify --json" 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] and d["records"]==253 and d["macs_checked"] and "problem" not in d' "$TMP/out"; then
  ok "verify --json reports ok"; else not_ok "verify --json output"; fi

# Tampering: edit, delete, reorder, truncate.
sed '57s/policy says/policy sayz/' "$LOG" >"$TMP/edited"
run audit verify "$TMP/edited"; expect_status "an edited record fails" 1
expect_out "edit found at the next record" "record 58 \(line 58\): prev does not match the hash of record 57"
sed '57d' "$LOG" >"$TMP/deleted"
run audit verify "$TMP/deleted"; expect_status "a deleted record fails" 1
expect_out "deletion is a gap" "record 58 \(line 57\): record 57 is missing"
awk 'NR==57{held=$0; next} NR==58{print; print held; next} {print}' "$LOG" >"$TMP/swapped"
run audit verify "$TMP/swapped"; expect_status "swapped records fail" 1
expect_out "swap is a reordering" "out of order"
head -n 250 "$LOG" >"$TMP/truncated"
run audit verify --key "$TMP/key.hex" "$TMP/truncated"; expect_status "a truncated tail fails" 1
expect_out "truncation named" "truncated after seq 250"
run audit verify --open "$TMP/truncated"; expect_status "--open accepts a log still being written" 0
expect_out "--open says still open" "still open"
run audit verify --json "$TMP/truncated"; expect_status "verify --json on a bad log" 1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["ok"] and d["problem"]["kind"]=="truncated" and d["problem"]["seq"]==250' "$TMP/out"; then
  ok "verify --json names the problem"; else not_ok "verify --json problem"; fi
printf 'not json\n' >"$TMP/garbage"
run audit verify "$TMP/garbage"; expect_status "garbage fails" 1
expect_out "garbage is malformed" "line 1: not valid JSON"
: >"$TMP/empty"
run audit verify "$TMP/empty"; expect_status "an empty log fails" 1

# Usage errors.
run audit verify; expect_status "verify without a log" 2
run audit verify "$TMP/nonexistent"; expect_status "verify of a missing file" 2
run audit verify --key; expect_status "--key without a file" 2
printf 'short\n' >"$TMP/badkey"
run audit verify --key "$TMP/badkey" "$LOG"; expect_status "a malformed key file" 2
expect_err "key format explained" "32 raw bytes or 64 hex digits"
run audit verify --bogus "$LOG"; expect_status "unknown option" 2
run audit frob; expect_status "unknown subcommand" 2
run audit; expect_status "no subcommand" 2
run audit --help; expect_status "audit --help" 0; expect_out "help names verify" "nucleus audit verify"
run help audit; expect_status "help audit" 0
run --help; expect_out "top-level help lists audit" "audit verify\|show"

# show
run audit show "$LOG"; expect_status "show" 0
expect_out "show renders an event" "^2026-11-29T21:00:00.056Z  #57 +spiffe://nucleus.local/pod/demo read needs_approval : policy says needs_approval$"
expect_out "show renders a checkpoint" "#101 +-- checkpoint \(100 records\)"
expect_out "show marks the closing checkpoint" "log closed"
expect_no_out "no colour codes when not a tty" "$(printf '\033')"
printf '{"type":"event","seq":1,"principal":"evil\\u001b[2J","operation":"x","outcome":"denied","reason":"r"}\nnope\n' >"$TMP/evil"
run audit show "$TMP/evil"; expect_status "show of a hostile log" 0
expect_no_out "control characters are escaped" "$(printf '\033')"
expect_out "escaped form shown" 'evil\\x1b\[2J'
expect_out "malformed lines are marked" "line 2: malformed record"
run audit show --json "$LOG"; expect_status "show --json" 0
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==253 and d[0]["seq"]==1 and d[-1]["closed"]' "$TMP/out"; then
  ok "show --json is the records"; else not_ok "show --json output"; fi
run audit show; expect_status "show without a log" 2
run audit show "$TMP/nonexistent"; expect_status "show of a missing file" 2

done_testing
