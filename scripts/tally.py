#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Counts test cases in meson testlog.json files and prints 'N passed, N failed, N skipped'.

A TAP test contributes one case per 'ok'/'not ok' line ('# SKIP' marks a skipped case).  A test
whose process failed although every case passed (a crash after the last case, a leak found at
exit, a wrong plan) adds one failed case named '<test> (exit)'.  A test with no TAP lines
counts as one case by its meson result.  Exit status 1 when anything failed.
"""
import json
import re
import sys

OK = re.compile(r'^ok\b(.*)$')
NOT_OK = re.compile(r'^not ok\b(.*)$')
SKIP = re.compile(r'#\s*skip', re.IGNORECASE)

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding='utf-8').read().splitlines()
    except OSError as e:
        print(f'tally: {path}: {e}', file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        name, result, out = t['name'], t['result'], t.get('stdout') or ''
        p = f = s = 0
        for l in out.splitlines():
            l = l.strip()
            m = NOT_OK.match(l)
            if m:
                if SKIP.search(m.group(1)):
                    s += 1
                else:
                    f += 1
                    failures.append(f'{name}: not ok{m.group(1)}')
                continue
            m = OK.match(l)
            if m:
                if SKIP.search(m.group(1)):
                    s += 1
                else:
                    p += 1
        if p + f + s == 0:
            if result == 'OK':
                p = 1
            elif result == 'SKIP':
                s = 1
            else:
                f = 1
                failures.append(f'{name}: {result}')
        elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and f == 0:
            f += 1
            failures.append(f'{name} (exit): {result}')
        passed, failed, skipped = passed + p, failed + f, skipped + s

if failures:
    print('\nFailures:')
    for x in failures:
        print('  ' + x)
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
