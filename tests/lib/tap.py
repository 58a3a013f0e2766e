# SPDX-License-Identifier: Apache-2.0
"""TAP output for the Python end-to-end tests (docs/testing.md).

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    from tap import ok, skip_all, done

ok() prints one numbered result, and for a failure the first DETAIL_LINES lines of its detail
as TAP comments; done() prints the plan and exits 1 if anything failed, 0 otherwise;
skip_all() skips the whole test (plan 1..0, exit 0)."""
import sys

DETAIL_LINES = 25  # lines of a failure's detail that are printed; a test may change it
count = 0
failed = 0


def ok(cond, name, detail=""):
    """Records one result (cond: passed)."""
    global count, failed
    count += 1
    print(("ok" if cond else "not ok") + f" {count} - {name}")
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[:DETAIL_LINES]:
            print(f"#   {line}")
    sys.stdout.flush()


def skip_all(reason):
    """Skips the whole test: nothing has been reported yet."""
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(0)


def done():
    """Prints the plan and exits: 1 if a result failed, 0 otherwise."""
    print(f"1..{count}", flush=True)
    sys.exit(1 if failed else 0)
