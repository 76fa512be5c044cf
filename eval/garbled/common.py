"""Shared helpers of the garbled-text model builder and its evaluation.

The corpus is a JSONL file of real documents (`id`, `text`, `lang`, ...), e.g. the
translated documentation of Debian packages. Documents are split by a stable hash of
their `id`: one in HOLDOUT_MOD goes to the held-out set (evaluation only), the rest
train the model.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata

HOLDOUT_MOD = 5

# Scripts with a letter model: name prefix in the Unicode character names -> ISO 15924.
SCRIPTS = {
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "ARABIC": "Arab",
    "HEBREW": "Hebr",
    "ARMENIAN": "Armn",
    "GEORGIAN": "Geor",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "ORIYA": "Orya",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "KANNADA": "Knda",
    "MALAYALAM": "Mlym",
    "SINHALA": "Sinh",
    "THAI": "Thai",
}


def is_holdout(doc_id: str) -> bool:
    h = hashlib.sha256(doc_id.encode()).digest()
    return h[0] % HOLDOUT_MOD == 0


def read_docs(path: str, with_source: bool = False):
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if with_source:
                yield d["id"], d["text"], d.get("lang", ""), d.get("source", "")
            else:
                yield d["id"], d["text"], d.get("lang", "")


_cache: dict[str, str | None] = {}


def script_of(c: str) -> str | None:
    """ISO 15924 code of a letter or combining mark of a modelled script, else None."""
    r = _cache.get(c)
    if r is not None or c in _cache:
        return r
    cat = unicodedata.category(c)
    res = None
    if cat[0] in "LM":
        name = unicodedata.name(c, "")
        if cat[0] == "M" and name.startswith("ARABIC"):
            res = None  # harakat are optional; Unicode puts them in Inherited
        else:
            first = name.split(" ", 1)[0]
            res = SCRIPTS.get(first)
            if first == "ARABIC" and "PRESENTATION" in name:
                res = None
    _cache[c] = res
    return res


def dominant(text: str) -> tuple[str | None, int]:
    counts: dict[str, int] = {}
    for c in text:
        s = script_of(c)
        if s:
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return None, 0
    s = max(counts, key=counts.get)
    return s, counts[s]
