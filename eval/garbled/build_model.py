#!/usr/bin/env python3
"""Build the letter-bigram model of the garbled-text detector: src/garbled_model.bin.

Trained on REAL text only: the training part (see common.is_holdout) of a JSONL corpus of
real documents, e.g. the translated man pages, documentation and message catalogs of Debian
packages. For each modelled script it keeps the most frequent letters (lower case, NFC) as the
alphabet, plus two symbols: OTHER (any other letter of the script) and BOUNDARY (anything that
is not a letter of the script: spaces, digits, punctuation, other scripts). The costs are
-log2 P(next | previous) of add-half smoothed bigram counts, in eighths of a bit, one byte each.

Binary format (little endian):
  b"SGM2", u32 script count, then per script:
    4 bytes ISO 15924 code, u16 alphabet size A, u16 mean cost (eighths of a bit per
    transition, over the training text), A x u32 code points (index i = letter i),
    (A+2)^2 bytes of costs, row = previous symbol, column = next symbol,
    u8 K, then 2^K bits (2^(K-3) bytes, bit i of byte i/8 is i%8): the set of symbol trigrams
    (x, y, z) seen at least MIN_TRIGRAM times, hashed by trigram_hash below.
Upper-case letters are looked up through their lower case at run time.

Usage: python3 eval/garbled/build_model.py CORPUS.jsonl [src/garbled_model.bin]
"""

from __future__ import annotations

import math
import struct
import sys
import unicodedata
from collections import Counter, defaultdict

from common import SCRIPTS, is_holdout, read_docs, script_of

MAX_CHARS_PER_LANG = 400_000  # per script and language: keeps one language from dominating
MAX_ALPHABET = 90
MIN_SHARE = 2e-5
CAP = 255
MIN_TRIGRAM = 3


def trigram_hash(x: int, y: int, z: int, k: int) -> int:
    """Fibonacci hash of a symbol trigram to k bits (the Rust side computes the same)."""
    v = (x << 16) | (y << 8) | z
    return ((v * 0x9E3779B1) & 0xFFFFFFFF) >> (32 - k)


def main() -> None:
    corpus = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "src/garbled_model.bin"
    used: dict[tuple[str, str], int] = defaultdict(int)
    seqs: dict[str, list[str]] = defaultdict(list)  # script -> list of token strings
    for doc_id, text, lang in read_docs(corpus):
        if is_holdout(doc_id):
            continue
        text = unicodedata.normalize("NFC", text).lower()
        base = lang.replace("_", "-").split("-")[0].split("@")[0]
        # one pass: split into per-script token streams
        streams: dict[str, list[str]] = defaultdict(list)
        for c in text:
            s = script_of(c)
            for k, st in streams.items():
                if k != s and st and st[-1] != " ":
                    st.append(" ")
            if s:
                streams[s].append(c)
        for s, st in streams.items():
            key = (s, base)
            if used[key] >= MAX_CHARS_PER_LANG:
                continue
            used[key] += len(st)
            seqs[s].append("".join(st))
    blobs = []
    for s in sorted(seqs):
        text = " " + " ".join(seqs[s]) + " "
        freq = Counter(c for c in text if c != " ")
        total = sum(freq.values())
        if total < 50_000:
            print(f"{s}: only {total} letters, skipped", file=sys.stderr)
            continue
        alphabet = [c for c, n in freq.most_common(MAX_ALPHABET) if n / total >= MIN_SHARE]
        index = {c: i for i, c in enumerate(alphabet)}
        a = len(alphabet)
        other, bound = a, a + 1
        n = a + 2
        toks = [bound if c == " " else index.get(c, other) for c in text]
        big = Counter(zip(toks, toks[1:]))
        row = Counter(toks[:-1])
        cost = [[0.0] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                p = (big.get((i, j), 0) + 0.5) / (row.get(i, 0) + 0.5 * n)
                cost[i][j] = min(CAP, round(-math.log2(p) * 8))
        # (the mean counts the boundary→boundary steps between joined streams too)
        mean = sum(cost[i][j] * c for (i, j), c in big.items()) / max(1, sum(big.values()))
        tri = Counter(zip(toks, toks[1:], toks[2:]))
        seen = [t for t, c in tri.items() if c >= MIN_TRIGRAM]
        k = max(10, (len(seen) * 8 - 1).bit_length())
        bits = bytearray(1 << (k - 3))
        for x, y, z in seen:
            h = trigram_hash(x, y, z, k)
            bits[h >> 3] |= 1 << (h & 7)
        langs = sorted({l for (sc, l) in used if sc == s})
        print(f"{s}: {total} letters, alphabet {a}, mean {mean / 8:.2f} bits, "
              f"{len(seen)} trigrams in 2^{k} bits, langs {len(langs)}",
              file=sys.stderr)
        blob = bytearray(s.encode("ascii"))
        blob += struct.pack("<HH", a, round(mean))
        for c in alphabet:
            blob += struct.pack("<I", ord(c))
        for i in range(n):
            blob += bytes(cost[i])
        blob += bytes([k]) + bytes(bits)
        blobs.append(bytes(blob))
    with open(out, "wb") as f:
        f.write(b"SGM2" + struct.pack("<I", len(blobs)) + b"".join(blobs))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
