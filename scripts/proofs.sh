#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Formal assurance of the pure core with Frama-C 25, as TAP.
#
#   scripts/proofs.sh [src/core/FILE.c ...]        (default: src/core/*.c)
#
# 1. EVA (abstract interpretation) runs proofs/eva_main.c, which calls every public function
#    of the given files with nondeterministic inputs, and must end with no alarm: no possible
#    out-of-bounds access, uninitialized read, invalid pointer, signed overflow, invalid shift,
#    division by zero, or broken libc precondition.  One TAP line per file; a file also fails
#    when one of its public functions was never reached (dead driver, missing dependency).
# 2. WP (deductive proof) proves the ACSL contracts of lattice.h / lattice.c, the lattice laws
#    of proofs/wp_lattice.c and the budget contracts of proofs/wp_budget.c, with -wp-rte (and
#    -warn-unsigned-overflow for the budget).  Every goal must be proved.
#
# proofs/README.md says what is proved and what is not.  Prints "1..N" first; exits 1 when a
# test fails.  When frama-c is not installed every test is reported as SKIP (exit 0).
#
# EVA (one run per module, two at a time) and WP (three runs and their provers) go side by
# side; the TAP lines come out in order at the end.
#
# Environment: NC_PROOFS_OUT (work directory, default proofs/out), NC_WP_PROVERS (default
# cvc4; "cvc4,z3" adds Z3, which proves nothing more here and doubles the prover time),
# NC_WP_TIMEOUT (seconds per goal, default 30), NC_WP_PAR (parallel goals, default 2),
# NC_PROOFS_TIME (seconds per Frama-C run, default 1200), NC_EVA_JOBS (EVA runs at a time,
# default 2).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

# Internal: `proofs.sh --eva-run MODULE` is one EVA run (section 1 below starts them through
# xargs, which cannot call a shell function); the settings come in the environment.
if [ "${1:-}" = "--eva-run" ]; then
    m=$2
    d="$NC_EVA_OUT/eva-$m"
    mkdir -p "$d" || exit 1
    s=$(date +%s)
    # shellcheck disable=SC2086 # word splitting of the file and option lists is intended
    timeout "$NC_EVA_TIME" frama-c \
        -cpp-extra-args="-I$ROOT/src -include $ROOT/proofs/fc_builtins.h -DNC_EVA_$m" \
        $NC_EVA_FILES proofs/eva_main.c proofs/fc_libc.c "$NC_EVA_SHARE/libc/string.c" \
        $NC_EVA_OPTS -then -report-csv "$d/eva.csv" -then -metrics -metrics-eva-cover \
        >"$d/eva.log" 2>&1
    rc=$?
    echo "$(($(date +%s) - s))" >"$d/eva.time"
    echo "$rc" >"$d/eva.rc"
    exit 0
fi
OUT=${NC_PROOFS_OUT:-proofs/out}
PROVERS=${NC_WP_PROVERS:-cvc4}
WP_TIMEOUT=${NC_WP_TIMEOUT:-30}
WP_PAR=${NC_WP_PAR:-2}
TIME=${NC_PROOFS_TIME:-1200}

if [ $# -gt 0 ]; then
    FILES="$*"
else
    FILES=$(ls src/core/*.c)
fi

# ---- the plan ------------------------------------------------------------------------------
has_file() { # has_file NAME.c: NAME.c is among the analysed files
    for f in $FILES; do [ "$(basename "$f")" = "$1" ] && return 0; done
    return 1
}
WP_TESTS=""
has_file lattice.c && WP_TESTS="$WP_TESTS lattice_contracts lattice_laws"
has_file budget.c && WP_TESTS="$WP_TESTS budget_contracts"
N=1 # the driver and libc models
for f in $FILES; do N=$((N + 1)); done
for t in $WP_TESTS; do N=$((N + 1)); done

# Results are recorded in $RES (one file per step, since EVA and WP run at the same time) and
# numbered when printed at the end.
RES=/dev/null
ok() { printf 'ok\t%s\n' "$1" >>"$RES"; }
not_ok() { printf 'not ok\t%s\n' "$1" >>"$RES"; }
diag() { sed 's/^/#\t/' >>"$RES"; }

echo "1..$N"
if ! command -v frama-c >/dev/null 2>&1; then
    T=0
    for t in $FILES "driver and libc models"; do
        T=$((T + 1))
        echo "ok $T - eva: $t # SKIP frama-c is not installed"
    done
    for t in $WP_TESTS; do
        T=$((T + 1))
        echo "ok $T - wp: $t # SKIP frama-c is not installed"
    done
    exit 0
fi

mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
SHARE=$(frama-c -print-share-path)
echo "# $(frama-c -version 2>/dev/null | head -n 1), output in $OUT"

# ---- 1. EVA --------------------------------------------------------------------------------
# One Frama-C run per module: each compiles in only its module's section of the driver
# (-DNC_EVA_<MODULE>) and analyses it over all the given files, since sections call into
# other modules (validate into redos, policy into glob and list, ...).  The runs are
# independent: every section builds its own inputs from the initial state.  They go NC_EVA_JOBS
# at a time (default 2, one per core), the costliest first; a property is an alarm when any
# run leaves it unproved in live code, and a public function counts as reached when any run
# reached it.
MODULES=""
for f in $FILES; do
    MODULES="$MODULES $(basename "$f" .c | tr '[:lower:]' '[:upper:]')"
done
ORDER="POLICY GLOB VALIDATE LIST SANITIZE REDOS PROFILES BUDGET LATTICE"
QUEUE=""
for m in $ORDER; do
    case " $MODULES " in *" $m "*) QUEUE="$QUEUE $m" ;; esac
done
for m in $MODULES; do
    case " $QUEUE " in *" $m "*) ;; *) QUEUE="$QUEUE $m" ;; esac
done

# Public functions the driver does not call yet, each named in proofs/README.md with what
# checks it instead.  Any other public function EVA never reaches fails its file.
EVA_NOT_COVERED="nc_glob_prepare nc_glob_prep_match nc_glob_prep_match_name nc_glob_prep_may_match_below"

# Precision: -eva-precision 3 plus the relational domains (octagons relate an index to a
# length, e.g. o + len <= outsz in nc_path_normalize) and more states (slevel) for the functions
# whose loops walk strings or lists.  Sound at any setting; these only decide how many false
# alarms remain.  string.c gives EVA the code of the libc string functions (more precise than
# their specifications); fc_libc.c adds the ones Frama-C only specifies; fc_builtins.h models
# the type-generic GCC overflow builtins that Frama-C 25 lacks.
SLEVEL=""
has_file glob.c && SLEVEL="$SLEVEL,nc_path_normalize:3000"
has_file list.c && SLEVEL="$SLEVEL,nc_deny_meet:300,nc_deny_join:300,nc_allow_meet:300"
has_file budget.c && SLEVEL="$SLEVEL,nc_format_micros:1000,nc_parse_micros:1000"
# The ReDoS parser's main loop and the sanitizer's message loop are the opposite case: their
# states are joined at once (slevel 0) and widened, which keeps patterns of up to 1024 bytes
# cheap; the parser's frames stay apart without it (every write to a frame goes to a named
# field, and a widen_hints annotation in redos.c stops the depth at its bound).
has_file redos.c && SLEVEL="$SLEVEL,scan:0"
has_file sanitize.c && SLEVEL="$SLEVEL,nc_sanitize:0"
EVA_OPTS="-eva -eva-precision 3 -eva-auto-loop-unroll 128
  -eva-domains cvalue,octagon,equality,symbolic-locations -eva-octagon-through-calls
  -eva-no-show-progress -eva-print-callstacks"
[ -n "$SLEVEL" ] && EVA_OPTS="$EVA_OPTS -eva-slevel-function ${SLEVEL#,}"

rm -rf "$OUT"/eva-* "$OUT"/eva.* "$OUT"/results*
START=$(date +%s)
NC_EVA_OUT=$OUT NC_EVA_FILES=$FILES NC_EVA_OPTS=$EVA_OPTS NC_EVA_TIME=$TIME NC_EVA_SHARE=$SHARE
export NC_EVA_OUT NC_EVA_FILES NC_EVA_OPTS NC_EVA_TIME NC_EVA_SHARE
# shellcheck disable=SC2086 # one module per word
printf '%s\n' $QUEUE | xargs -P "${NC_EVA_JOBS:-2}" -I '{}' sh "$ROOT/scripts/proofs.sh" --eva-run '{}' &
EVA_PID=$!

# ---- 2. WP ---------------------------------------------------------------------------------
RES="$OUT/results.wp"
: >"$RES"
# Why3 needs a configuration that lists the provers; build one in the work directory, fresh
# each time (CI starts from a fresh machine, and a prover may have been installed since).
WHY3CONFIG="$OUT/why3.conf"
export WHY3CONFIG
rm -f "$WHY3CONFIG"
why3 config detect >"$OUT/why3-detect.log" 2>&1

# run_wp NAME FILES FUNCTIONS [EXTRA OPTIONS]: one WP run on the given functions, recording
# its result in results.wp.NAME.  The three runs go side by side with EVA, 2 goals at a time
# each.  The provers' time limits are wall-clock: with 4 goals per run at a lower priority, as
# this script first did, goals that take half a second timed out at 10 s on a loaded 2-core
# machine.  Every goal is proved in under 2 s of prover time; the 30 s limit per goal is
# headroom for a loaded CI machine, not for harder goals.
run_wp() {
    name=$1 files=$2 fcts=$3
    shift 3
    log="$OUT/wp-$name.log"
    RES="$OUT/results.wp.$name"
    : >"$RES"
    # -wp-auto: WP's "Bitwise Eq." tactic decomposes an equation between opsets bit by bit
    # (the provers are weak at bit-vector reasoning on unbounded integers); "Bit Range" and
    # "Split" close its side conditions.  Tactics are checked steps, not assumptions.
    # -wp-bound-forall-unfolding 11 instantiates the 11-dimension quantifiers of the caps
    # contracts.
    # shellcheck disable=SC2086
    timeout "$TIME" frama-c -cpp-extra-args="-I$ROOT/src -include $ROOT/proofs/fc_builtins.h" \
        $files "$@" -wp -wp-rte -wp-fct "$fcts" -wp-prover "$PROVERS" \
        -wp-timeout "$WP_TIMEOUT" -wp-par "$WP_PAR" -wp-auto wp:bitwised,wp:bitrange,wp:split \
        -wp-auto-backtrack 4 -wp-bound-forall-unfolding 11 -wp-session "$OUT/wp-$name" \
        -wp-no-warn-memory-model >"$log" 2>&1
    rc=$?
    proved=$(sed -n 's/^\[wp\] Proved goals: *\([0-9]*\) *\/ *\([0-9]*\).*/\1 \2/p' "$log" | tail -n 1)
    # shellcheck disable=SC2086 # "PROVED TOTAL" into $1 $2
    set -- $proved
    if [ $rc -eq 124 ]; then
        not_ok "wp: $name: timed out after ${TIME}s"
    elif [ $rc -ne 0 ] || [ $# -ne 2 ]; then
        not_ok "wp: $name: frama-c failed (exit $rc)"
        grep -i -m 5 'error' "$log" | diag
    elif [ "$1" -ne "$2" ] || [ "$2" -eq 0 ]; then
        not_ok "wp: $name: $1 of $2 goals proved"
        # Unproved goals: "[wp] [Failed] Goal NAME" or "[wp] [PROVER] Goal NAME : Timeout ...".
        grep -E '^\[wp\] \[[^]]*\] Goal ' "$log" | grep -v ': Valid' |
            grep -E 'Failed|Unknown|Timeout|Stepout|not tried' |
            sed -E 's/^\[wp\] \[[^]]*\] Goal ([^ ]*).*/\1/' | sort -u | diag
    else
        ok "wp: $name: $2 goals proved"
    fi
}

NO_PROVER=""
if [ -n "$WP_TESTS" ] && ! grep -qi 'cvc4\|z3' "$WHY3CONFIG" 2>/dev/null; then
    NO_PROVER=1
fi

LATTICE_FCTS=$(grep -E '^[a-z].*[ \*](nc_[a-z_]*)\(' src/core/lattice.c | grep -v ';' |
    sed -E 's/^.*[ \*](nc_[a-z_]*)\(.*/\1/' |
    grep -v -x -e nc_level_name -e nc_op_name -e nc_level_parse -e nc_op_parse | tr '\n' ',' | sed 's/,$//')
LAW_FCTS=$(sed -n 's/^void \(law_[a-z_]*\)(.*/\1/p' proofs/wp_lattice.c | tr '\n' ',' | sed 's/,$//')
BUDGET_FCTS="nc_budget_init,nc_budget_ok,nc_budget_remaining,nc_budget_reserve,nc_budget_settle,nc_budget_release,law_budget_protocol"

WP_PIDS=""
for t in $WP_TESTS; do
    if [ -n "$NO_PROVER" ]; then
        not_ok "wp: $t: no prover found by 'why3 config detect' (install cvc4)"
        continue
    fi
    case $t in
    lattice_contracts) run_wp lattice_contracts "src/core/lattice.c proofs/wp_lattice.c" "$LATTICE_FCTS" & ;;
    lattice_laws) run_wp lattice_laws "src/core/lattice.c proofs/wp_lattice.c" "$LAW_FCTS" & ;;
    budget_contracts) run_wp budget_contracts "src/core/budget.c proofs/wp_budget.c" "$BUDGET_FCTS" \
        -warn-unsigned-overflow & ;;
    esac
    WP_PIDS="$WP_PIDS $!"
done
for pid in $WP_PIDS; do wait "$pid"; done
for t in $WP_TESTS; do cat "$OUT/results.wp.$t" >>"$OUT/results.wp" 2>/dev/null; done
WP_END=$(date +%s)

# ---- 1. EVA, results -----------------------------------------------------------------------
wait $EVA_PID
EVA_END=$(date +%s)
RES="$OUT/results.eva"
: >"$RES"

# Statuses that fail: anything not proved, except in dead code.  The ACSL annotations of
# lattice.h/.c (postconditions, loop invariants, assertions) belong to WP, which proves them
# below; EVA's status for them is not an alarm.
: >"$OUT/eva.alarms"
: >"$OUT/eva.reached"
eva_problem=""
for m in $QUEUE; do
    d="$OUT/eva-$m"
    rc=$(cat "$d/eva.rc" 2>/dev/null || echo 1)
    if [ "$rc" -eq 124 ]; then
        eva_problem="$eva_problem; the $m run timed out after ${TIME}s"
    elif [ "$rc" -ne 0 ] || [ ! -f "$d/eva.csv" ]; then
        eva_problem="$eva_problem; the $m run failed (exit $rc): $(grep -m 3 -i 'error' "$d/eva.log" | tr '\n' ' ')"
    elif grep -q 'Neither code nor specification' "$d/eva.log"; then
        eva_problem="$eva_problem; the $m run calls a function with no code (missing file?): $(grep -A1 'Neither code nor specification' "$d/eva.log" | grep -o 'function [A-Za-z_0-9]*' | sort -u | tr '\n' ' ')"
    elif grep -q 'degeneration\|analysis degenerated' "$d/eva.log"; then
        eva_problem="$eva_problem; the $m run degenerated (see $d/eva.log)"
    fi
    if [ -f "$d/eva.csv" ]; then
        awk -F'\t' 'FNR > 1 && $6 ~ /^(Unknown|Invalid|Inconsistent)/ && $6 !~ /dead/ {
            if ($2 ~ /^lattice\.[ch]$/ && $5 ~ /^(postcondition|loop invariant|user assertion|assertion|loop assigns|assigns clause|from clause|loop variant)$/)
                next
            print $1 "/" $2 ":" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7
        }' "$d/eva.csv" >>"$OUT/eva.alarms"
    fi
    # Functions EVA analysed, from the metrics plug-in.
    sed -n '/Statements analyzed by Eva/,$p' "$d/eva.log" |
        sed -n 's/^  \([A-Za-z_][A-Za-z_0-9]*\): [0-9]* stmts out of.*/\1/p' >>"$OUT/eva.reached"
done
eva_problem=${eva_problem#; }
sort -u "$OUT/eva.alarms" -o "$OUT/eva.alarms"
sort -u "$OUT/eva.reached" -o "$OUT/eva.reached"

for f in $FILES; do
    base=$(basename "$f" .c)
    if [ -n "$eva_problem" ]; then
        not_ok "eva: $f: $eva_problem"
        continue
    fi
    alarms=$(awk -F'\t' -v b="$base" '{ split($1, p, ":"); n = split(p[1], q, "/");
        if (q[n] == b ".c" || q[n] == b ".h") print }' "$OUT/eva.alarms")
    # Public functions: definitions at the start of a line, not static.
    missing=""
    uncovered=""
    # shellcheck disable=SC2013 # one function name per word
    for fn in $(grep -E '^[A-Za-z_][A-Za-z_0-9 \*]*[ \*](nc_[A-Za-z_0-9]*)\(' "$f" | grep -v '^static' |
        grep -v ';[[:space:]]*$' | sed -E 's/^.*[ \*](nc_[A-Za-z_0-9]*)\(.*/\1/' | sort -u); do
        if grep -qx "$fn" "$OUT/eva.reached"; then
            :
        elif printf '%s\n' $EVA_NOT_COVERED | grep -qx "$fn"; then
            uncovered="$uncovered $fn"
        else
            missing="$missing $fn"
        fi
    done
    [ -n "$uncovered" ] &&
        echo "$f: not analysed by EVA (listed in EVA_NOT_COVERED; proofs/README.md):$uncovered" | diag
    if [ -n "$alarms" ]; then
        not_ok "eva: $f $(printf '%s\n' "$alarms" | wc -l | tr -d ' ') alarm(s)"
        printf '%s\n' "$alarms" | diag
    elif [ -n "$missing" ]; then
        not_ok "eva: $f public functions never reached:$missing"
    else
        ok "eva: $f no alarms"
    fi
done
others=$(grep -v -E '(^|/)src/core/[^/]*:' "$OUT/eva.alarms")
if [ -n "$eva_problem" ]; then
    not_ok "eva: driver and libc models: $eva_problem"
elif [ -n "$others" ]; then
    not_ok "eva: driver and libc models $(printf '%s\n' "$others" | wc -l | tr -d ' ') alarm(s) (a libc alarm is the caller's)"
    printf '%s\n' "$others" | diag
else
    ok "eva: driver and libc models no alarms"
fi
times=""
for m in $QUEUE; do
    times="$times $(echo "$m" | tr '[:upper:]' '[:lower:]') $(cat "$OUT/eva-$m/eva.time" 2>/dev/null || echo '?')s,"
done
echo "eva: $(wc -l <"$OUT/eva.alarms" | tr -d ' ') alarm(s); time per run:${times%,}" | diag
echo "time: wp $((WP_END - START))s, eva $((EVA_END - START))s (side by side, ${NC_EVA_JOBS:-2} EVA runs at a time)" | diag

# ---- TAP -----------------------------------------------------------------------------------
T=0
FAILED=0
TAB=$(printf '\t')
cat "$OUT/results.eva" "$OUT/results.wp" >"$OUT/results"
while IFS="$TAB" read -r status rest; do
    case $status in
    "#") printf '# %s\n' "$rest" ;;
    ok) T=$((T + 1)); printf 'ok %d - %s\n' "$T" "$rest" ;;
    *) T=$((T + 1)); FAILED=1; printf 'not ok %d - %s\n' "$T" "$rest" ;;
    esac
done <"$OUT/results"
if [ "$T" -ne "$N" ]; then
    echo "# internal error: $T results for $N planned tests"
    FAILED=1
fi
exit $FAILED
