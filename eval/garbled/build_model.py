#!/usr/bin/env python3
"""Build the letter-bigram model of the garbled-text detector: src/garbled_model.bin.

Trained on REAL text only: the training part (see common.is_holdout) of a JSONL corpus of
real documents, e.g. the translated man pages, documentation and message catalogs of Debian
packages. For each modelled script it keeps the most frequent letters (lower case, NFC) as the
alphabet, plus two symbols: OTHER (any other letter of the script) and BOUNDARY (anything that
is not a letter of the script: spaces, digits, punctuation, other scripts). The costs are
-log2 P(next | previous) of add-half smoothed bigram counts, in eighths of a bit, one byte each.

Binary format (little endian):
  b"SGM3", u32 model count, then per model (the scripts' first, then the languages'):
    4 bytes ISO 15924 code, 3 bytes ISO 639-3 language (three NUL bytes for a script's model
    of all its languages), u16 alphabet size A, u16 mean cost (eighths of a bit per
    transition, over the training text), A x u32 code points (index i = letter i),
    (A+2)^2 bytes of costs, row = previous symbol, column = next symbol,
    u8 K, then 2^K bits (2^(K-3) bytes, bit i of byte i/8 is i%8): the set of symbol trigrams
    (x, y, z) seen at least MIN_TRIGRAM times, hashed by trigram_hash below.
Upper-case letters are looked up through their lower case at run time.

Usage: python3 eval/garbled/build_model.py CORPUS.jsonl [src/stage/script/garbled_model.bin
       [eval/lang/train]]

The third argument adds the language stage's training text (eval/lang/train, made by
eval/lang/build_data.py) to the models of single languages.
"""

from __future__ import annotations

import math
import struct
import sys
import unicodedata
from collections import Counter, defaultdict

from common import SCRIPTS, is_holdout, read_docs, script_of

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "lang"))
from codes import FLORES200, FLORES_INDIVIDUAL, locale_lang  # noqa: E402  (the language stage's codes)

MAX_CHARS_PER_LANG = 400_000  # per script and language: keeps one language from dominating
MIN_LETTERS = 50_000  # a script or a language gets a model of its own from this many letters
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
    by_lang: dict[tuple[str, str], list[str]] = defaultdict(list)  # (script, ISO 639-3) -> same
    # letters of each script in each language's text, before any cap: decides the script a
    # language's own model is of
    letters: dict[tuple[str, str], int] = defaultdict(int)
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
        lang3 = locale_lang(lang.replace("-", "_").split("@")[0]) or ""
        for s, st in streams.items():
            if lang3:
                letters[(s, lang3)] += len(st)
            key = (s, base)
            if used[key] >= MAX_CHARS_PER_LANG:
                continue
            used[key] += len(st)
            seqs[s].append("".join(st))
            if lang3:
                by_lang[(s, lang3)].append("".join(st))
    blobs = []
    # One model per script, then one per language of a script with enough text of its own
    # (ISO 639-3, as the language stage labels it): the pipeline scores a segment flagged by
    # its script's model again with its language's, so that a language whose letters are rare
    # in the script's mix (Polish, Vietnamese in Latin letters) does not read as garbage.
    # more text of single languages: the language stage's training text (eval/lang/train,
    # rebuilt by eval/lang/build_data.py), for languages the corpus has little of
    if len(sys.argv) > 3:
        from pathlib import Path

        for f in sorted(Path(sys.argv[3]).glob("*.txt")):
            lang3 = f.stem[:3]
            streams = defaultdict(list)
            for line in f.read_text(encoding="utf-8").lower().splitlines():
                for c in unicodedata.normalize("NFC", line) + " ":
                    sc = script_of(c)
                    for k, st in streams.items():
                        if k != sc and st and st[-1] != " ":
                            st.append(" ")
                    if sc:
                        streams[sc].append(c)
            for sc, st in streams.items():
                letters[(sc, lang3)] += len(st)
                have = sum(len(t) for t in by_lang[(sc, lang3)])
                if have < MAX_CHARS_PER_LANG:
                    by_lang[(sc, lang3)].append("".join(st)[:MAX_CHARS_PER_LANG - have])
    # a language's model is of the script most of its text is in, counted before the caps,
    # among the scripts FLORES-200 writes it in when it is one of its languages (the Latin
    # letters of Chinese, Hindi or Russian documents are English and code)
    written: dict[str, set[str]] = defaultdict(set)
    for t in FLORES200:
        written[FLORES_INDIVIDUAL.get(t[:3], t[:3])].add(t[4:])
    main = {}
    for (s, l), n in sorted(letters.items()):
        if written[l] and s not in written[l]:
            continue
        if n > letters.get((main.get(l, ""), l), 0):
            main[l] = s
    units = [(s, "", seqs[s]) for s in sorted(seqs)]
    units += [(s, l, by_lang[(s, l)]) for (s, l) in sorted(by_lang)
              if main.get(l) == s]
    built = set()  # the scripts with a model: a language's model is a second look at those
    for s, lang3, texts in units:
        if lang3 and s not in built:
            continue
        text = " " + " ".join(texts) + " "
        freq = Counter(c for c in text if c != " ")
        total = sum(freq.values())
        if total < MIN_LETTERS:
            if not lang3:
                print(f"{s}: only {total} letters, skipped", file=sys.stderr)
            continue
        if not lang3:
            built.add(s)
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
        langs = sorted({l for (sc, l) in used if sc == s}) if not lang3 else [lang3]
        print(f"{s} {lang3 or '(script)'}: {total} letters, alphabet {a}, mean {mean / 8:.2f} "
              f"bits, {len(seen)} trigrams in 2^{k} bits, langs {len(langs)}",
              file=sys.stderr)
        blob = bytearray(s.encode("ascii")) + (lang3 or "\0\0\0").encode("ascii")
        blob += struct.pack("<HH", a, round(mean))
        for c in alphabet:
            blob += struct.pack("<I", ord(c))
        for i in range(n):
            blob += bytes(cost[i])
        blob += bytes([k]) + bytes(bits)
        blobs.append(bytes(blob))
    with open(out, "wb") as f:
        f.write(b"SGM3" + struct.pack("<I", len(blobs)) + b"".join(blobs))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
