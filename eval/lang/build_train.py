#!/usr/bin/env python3
"""Build per-language TRAINING text (for n-gram profiles) from Debian gettext catalogs.

Source: the translated strings (msgstr) of the ``.mo`` catalogs shipped by the Debian
packages in ``sources.DEBIAN_PACKAGES`` (fetched with ``apt-get download`` and
unpacked with ``dpkg-deb -x`` into ``eval/lang/.cache/``).  English training text
comes from the msgids of the same catalogs.  This source is disjoint from the UDHR
evaluation sentences built by build_eval.py; any training line that contains an
evaluation sentence (or is contained in one) is dropped anyway.

Output: eval/lang/train/<lang>.txt, one cleaned UI string per line, at most
MAX_BYTES per language, selected deterministically (fixed seed).

Usage: python3 eval/lang/build_train.py   (needs apt-get and dpkg-deb on first run)
"""

from __future__ import annotations

import json
import random
import re
import struct
import unicodedata
from pathlib import Path

from sources import HERE, LOCALE_TO_LANG, debian_root

SEED = 7
# catalogs (by .mo domain) held out of training to form sentences_l10n.jsonl
HELD_OUT_DOMAINS = {"vlc", "pidgin"}
L10N_MIN, L10N_MAX, L10N_PER_LANG = 25, 300, 150
MAX_BYTES = 60_000
MIN_CHARS = 12
# scripts written without spaces between words: count characters, not words
NO_SPACE = {"cmn", "jpn", "tha", "khm", "mya"}


def read_mo(path: Path) -> list[tuple[str, str]]:
    data = path.read_bytes()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">"
    _, n, oid, otr = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(n):
        ln, off = struct.unpack(end + "2I", data[oid + 8 * i: oid + 8 * i + 8])
        msgid = data[off:off + ln]
        ln, off = struct.unpack(end + "2I", data[otr + 8 * i: otr + 8 * i + 8])
        msgstr = data[off:off + ln]
        if not msgid:  # header
            continue
        try:
            mid = msgid.decode("utf-8").split("\x00")[0].split("\x04")[-1]
            mstr = msgstr.decode("utf-8").split("\x00")[0]
        except UnicodeDecodeError:
            continue
        out.append((mid, mstr))
    return out


_FMT = re.compile(
    r"%(\d+\$)?[-+ #0']*\d*(\.\d+)?(hh|h|ll|l|L|z|j|t|I64)?[diouxXeEfgGcsSpn%]"
    r"|%\d+|\{[^{}]*\}|\$\{[^}]*\}|<[^>]*>|&[a-z]+;|\\[nt]"
)


def clean(s: str) -> str:
    s = unicodedata.normalize("NFC", s)
    s = _FMT.sub(" ", s)
    s = re.sub(r"[_&](?=\w)", "", s)  # accelerator markers
    s = re.sub(r"\s+", " ", s).strip(" -:•*|")
    return s


def good(s: str, lang: str) -> bool:
    if len(s) < MIN_CHARS or not any(c.isalpha() for c in s):
        return False
    if re.search(r"https?://|www\.|@\w+\.|/usr/|\.(png|svg|desktop|so)\b", s):
        return False
    if lang not in NO_SPACE and len(s.split()) < 3:
        return False
    letters = [c for c in s if c.isalpha()]
    if lang != "eng":
        # skip strings left mostly in Latin script for non-Latin-script languages
        ascii_share = sum(c.isascii() for c in letters) / len(letters)
        if lang in LATIN_LANGS:
            return True
        return ascii_share < 0.5
    return True


LATIN_LANGS = {
    "spa", "por", "ita", "fra", "deu", "pol", "jav", "nob", "dan", "swe", "fin",
    "tur", "nld", "hun", "ces", "ron", "slv", "hrv", "lit", "lvs", "ekk", "vie",
    "uzn", "azj", "ind", "tuk", "twi", "zul", "sna", "afr", "lat", "slk", "cat",
    "tgl", "epo", "eng",
}


def sentence_like(s: str, lang: str) -> bool:
    if lang in NO_SPACE:
        return len(s) >= 12
    return len(s.split()) >= 4


def locale_lang(loc: str) -> str | None:
    if "@" in loc:  # sr@latin, uz@cyrillic, be@latin, ca@valencia ...
        return None
    return LOCALE_TO_LANG.get(loc) or LOCALE_TO_LANG.get(loc.split("_")[0]) \
        if loc not in ("zh_TW", "zh_HK") else None


def main() -> None:
    root = debian_root()
    eval_by_lang: dict[str, set[str]] = {}
    ev = HERE / "sentences.jsonl"
    if ev.exists():
        for line in ev.open(encoding="utf-8"):
            r = json.loads(line)
            eval_by_lang.setdefault(r["lang"], set()).add(r["text"])

    per_lang: dict[str, set[str]] = {}
    held: dict[str, set[str]] = {}
    mos = sorted(root.glob("usr/share/**/LC_MESSAGES/*.mo"))
    for mo in mos:
        loc = mo.parent.parent.name
        lang = locale_lang(loc)
        bucket = held if mo.stem in HELD_OUT_DOMAINS else per_lang
        pairs = read_mo(mo)
        for mid, mstr in pairs:
            # English from msgids (every catalog), target language from msgstrs
            e = clean(mid)
            if good(e, "eng"):
                bucket.setdefault("eng", set()).add(e)
            if lang is None or not mstr or mstr == mid:
                continue
            t = clean(mstr)
            if t != e and good(t, lang):
                bucket.setdefault(lang, set()).add(t)

    # second evaluation set: strings of the held-out catalogs, never in training
    rng_eval = random.Random(SEED + 1)
    with open(HERE / "sentences_l10n.jsonl", "w", encoding="utf-8") as f:
        for lang in sorted(held):
            cands = sorted(t for t in held[lang]
                           if L10N_MIN <= len(t) <= L10N_MAX and sentence_like(t, lang))
            rng_eval.shuffle(cands)
            chosen = sorted(cands[:L10N_PER_LANG])
            if len(chosen) < 20:
                continue
            for t in chosen:
                f.write(json.dumps({"lang": lang, "text": t}, ensure_ascii=False) + "\n")
    for lang, ts in held.items():  # never train on anything of the held-out catalogs
        if lang in per_lang:
            per_lang[lang] -= ts

    outdir = HERE / "train"
    outdir.mkdir(exist_ok=True)
    rng = random.Random(SEED)
    summary = {}
    for lang in sorted(per_lang):
        lines = sorted(per_lang[lang])
        # drop exact matches, and training lines inside / containing an evaluation
        # sentence of the same language (UDHR set)
        ev_lang = eval_by_lang.get(lang, set())
        joined_eval = "\n".join(ev_lang)
        lines = [l for l in lines if l not in ev_lang
                 and not (len(l) > 40 and l in joined_eval)]
        joined_train = "\n".join(lines)
        bad = {s for s in ev_lang if len(s) > 40 and s in joined_train}
        if bad:
            lines = [l for l in lines if not any(s in l for s in bad)]
        rng.shuffle(lines)
        keep, size = [], 0
        for l in lines:
            b = len(l.encode("utf-8")) + 1
            if size + b > MAX_BYTES:
                break
            keep.append(l)
            size += b
        if size < 2_000:  # too little to be useful
            continue
        (outdir / f"{lang}.txt").write_text("\n".join(keep) + "\n", encoding="utf-8")
        summary[lang] = (len(keep), size)
    for lang, (n, size) in summary.items():
        print(f"{lang}\t{n} lines\t{size} bytes")
    print(f"{len(summary)} languages")


if __name__ == "__main__":
    main()
