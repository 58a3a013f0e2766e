#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a deterministic tree of source-like text files for bench/grep.sh.

Usage: gentree.py DEST SIZE_MIB

The same arguments always give the same bytes (a seeded PRNG, no clock, no host data).  The
text is lines of lowercase pseudo-words with indentation and punctuation; a few lines carry
the tokens the benchmark searches for, at fixed rates:
  - "nucleus_bench_needle"            (the literal pattern)
  - "ERR-ABCD-1234" style codes        (the character-class pattern; base text has no capitals)
  - "MixedCaseToken" in mixed cases    (the case-insensitive pattern)
About 1% of the files are binary (a NUL byte at offset 0); every searcher skips them.
Prints one JSON line: files, binary_files, bytes, dirs.
"""
import json
import os
import random
import sys


def main():
    dest, size_mib = sys.argv[1], int(sys.argv[2])
    rng = random.Random(0x6E75636C)  # fixed seed: deterministic content
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 11))) for _ in range(3000)]
    vocab += ["if", "for", "return", "int", "char", "static", "const", "struct", "void", "size_t"]
    punct = [" ", " ", " ", " ", ", ", "(", ") ", "; ", " = ", "->", ".", " + ", " * "]

    def line():
        n = rng.randint(1, 12)
        parts = ["    " * rng.randint(0, 3)]
        for _ in range(n):
            parts.append(rng.choice(vocab))
            parts.append(rng.choice(punct))
        if rng.random() < 0.1:
            parts.append(str(rng.randint(0, 99999)))
        return "".join(parts).rstrip() + "\n"

    # A pool of distinct 256-line blocks; files are made of blocks, with token lines mixed in.
    blocks = ["".join(line() for _ in range(256)).encode() for _ in range(768)]
    caps = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    mixed = ["MixedCaseToken", "MIXEDCASETOKEN", "mixedcasetoken", "mIxEdCaSeToKeN"]

    def token_line():
        k = rng.randrange(3)
        pre = rng.choice(vocab) + " "
        if k == 0:
            tok = "nucleus_bench_needle"
        elif k == 1:
            tok = "ERR-" + "".join(rng.choice(caps) for _ in range(4)) + "-%04d" % rng.randrange(10000)
        else:
            tok = rng.choice(mixed)
        return (pre + tok + " " + rng.choice(vocab) + "\n").encode()

    target = size_mib << 20
    total = files = binary = dirs = 0
    d = 0
    while total < target:
        top = os.path.join(dest, "d%03d" % (d // 16), "s%02d" % (d % 16))
        os.makedirs(top, exist_ok=True)
        dirs += 1
        d += 1
        for f in range(rng.randint(8, 40)):
            if total >= target:
                break
            # mostly small files, some large ones: 1 to 64 blocks (16 KiB to 1 MiB)
            nblocks = 1 + int(rng.paretovariate(1.2)) if rng.random() < 0.97 else rng.randint(32, 64)
            nblocks = min(nblocks, 64)
            chunks = []
            for _ in range(nblocks):
                b = rng.choice(blocks)
                if rng.random() < 0.05:  # a token line at a random line boundary of this block
                    cut = b.find(b"\n", rng.randrange(len(b))) + 1
                    b = b[:cut] + token_line() + b[cut:]
                chunks.append(b)
            data = b"".join(chunks)
            is_bin = rng.random() < 0.01
            if is_bin:
                data = b"\0" + data
                binary += 1
            name = "f%03d.%s" % (f, "bin" if is_bin else rng.choice(["c", "h", "txt", "py"]))
            with open(os.path.join(top, name), "wb") as fh:
                fh.write(data)
            files += 1
            total += len(data)
    print(json.dumps({"files": files, "binary_files": binary, "bytes": total, "dirs": dirs}))


if __name__ == "__main__":
    main()
