#!/usr/bin/env python3
"""Run off-the-shelf language identifiers over eval/lang/sentences.jsonl.

Tools (PyPI): py3langid, lingua-language-detector (all languages, low-accuracy
mode OFF, i.e. the default high-accuracy mode) and whatlang-pyo3 (Python binding
of the whatlang crate; the version it embeds is recorded in the output).

Each tool is scored only on the evaluation languages it supports; a missing
answer (None) counts as wrong.  All codes are mapped to the ISO 639-3 codes used
by the evaluation set (whatlang's spelling: "pes" for Persian, "cmn" for Mandarin,
"nob" for Norwegian Bokmål, "aka" for Akan ...).  Mapping is strict: e.g. a
py3langid answer "yue"/"wuu" for a Mandarin sentence, "ms" for Indonesian or
"ary"/"arz" for Standard Arabic counts as wrong.

Also scores every tool on the SHARED subset (languages all tools support), and on
documents.jsonl (whole document text -> language of the majority of segments).

Usage:  pip install py3langid lingua-language-detector whatlang-pyo3
        python3 eval/lang/baselines.py        -> writes eval/lang/baselines.json
"""

from __future__ import annotations

import collections
import importlib.metadata as md
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ISO 639-1 (py3langid) -> evaluation code
ISO1 = {
    "af": "afr", "am": "amh", "ar": "arb", "az": "azj", "be": "bel", "bg": "bul",
    "bn": "ben", "ca": "cat", "cs": "ces", "da": "dan", "de": "deu", "el": "ell",
    "en": "eng", "eo": "epo", "es": "spa", "et": "ekk", "fa": "pes", "fi": "fin",
    "fr": "fra", "gu": "guj", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun",
    "hy": "hye", "id": "ind", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat",
    "km": "khm", "kn": "kan", "ko": "kor", "la": "lat", "lt": "lit", "lv": "lvs",
    "mk": "mkd", "ml": "mal", "mr": "mar", "my": "mya", "ne": "npi", "nl": "nld",
    "no": "nob", "nb": "nob", "or": "ory", "pa": "pan", "pl": "pol", "pt": "por",
    "ro": "ron", "ru": "rus", "si": "sin", "sk": "slk", "sl": "slv", "sn": "sna",
    "sr": "srp", "sv": "swe", "ta": "tam", "te": "tel", "th": "tha", "tk": "tuk",
    "tl": "tgl", "tr": "tur", "uk": "ukr", "ur": "urd", "uz": "uzn", "vi": "vie",
    "yi": "ydd", "zh": "cmn", "zu": "zul", "ak": "twi",
}
# lingua ISO 639-3 -> evaluation code (where they differ)
LINGUA = {"zho": "cmn", "fas": "pes", "msa": "msa"}
# whatlang 3-letter code -> evaluation code (identical; kept for clarity)
WHATLANG = {}


def load(name):
    return [json.loads(l) for l in (HERE / name).open(encoding="utf-8")]


def make_py3langid():
    import py3langid
    from py3langid.langid import _get_identifier

    labels = _get_identifier().labels
    supported = {ISO1[l] for l in labels if l in ISO1}

    def predict(text):
        code, _ = py3langid.classify(text)
        return ISO1.get(code, code)

    return predict, supported, md.version("py3langid")


def make_lingua():
    from lingua import Language, LanguageDetectorBuilder

    det = LanguageDetectorBuilder.from_all_languages().build()  # high accuracy mode
    supported = {LINGUA.get(c, c) for c in
                 (l.iso_code_639_3.name.lower() for l in Language.all())}

    def predict(text):
        lang = det.detect_language_of(text)
        if lang is None:
            return None
        c = lang.iso_code_639_3.name.lower()
        return LINGUA.get(c, c)

    return predict, supported, md.version("lingua-language-detector")


# whatlang 0.16 supported languages (Lang::all), in whatlang's 3-letter codes
WHATLANG_LANGS = (
    "eng rus cmn spa por ita ben fra deu ukr kat ara hin jpn heb yid pol amh jav "
    "kor nob dan swe fin tur nld hun ces ell bul bel mar kan ron slv hrv srp mkd "
    "lit lav est tam vie urd tha guj uzb pan aze ind tel pes mal ori mya nep sin "
    "khm tuk aka zul sna afr lat slk cat tgl hye epo"
).split()


def make_whatlang():
    import whatlang

    def predict(text):
        r = whatlang.detect_lang(text)
        if r is None:
            return None
        c = str(r.lang)
        return WHATLANG.get(c, c)

    return predict, set(WHATLANG_LANGS), md.version("whatlang-pyo3") + " (whatlang crate 0.16.4)"


def accuracy(rows, predict, langs):
    per = collections.defaultdict(lambda: [0, 0])
    confusions = collections.Counter()
    for r in rows:
        if r["lang"] not in langs:
            continue
        p = predict(r["text"])
        per[r["lang"]][1] += 1
        if p == r["lang"]:
            per[r["lang"]][0] += 1
        else:
            confusions[(r["lang"], p)] += 1
    n_ok = sum(v[0] for v in per.values())
    n = sum(v[1] for v in per.values())
    macro = sum(v[0] / v[1] for v in per.values()) / max(1, len(per))
    return {
        "n": n,
        "accuracy": round(n_ok / max(1, n), 4),
        "macro_accuracy": round(macro, 4),
        "per_language": {l: round(v[0] / v[1], 4) for l, v in sorted(per.items())},
        "top_confusions": [f"{g}->{p}: {c}" for (g, p), c in confusions.most_common(15)],
    }


EVAL_SETS = {
    # UDHR sentences: NOTE whatlang's trigram profiles derive from franc, whose
    # profiles were built from UDHR texts, so this set favours whatlang.
    "udhr": "sentences.jsonl",
    # held-out Debian UI-message catalogs (vlc, pidgin); disjoint from train/
    "l10n": "sentences_l10n.jsonl",
}


def main():
    tools = {}
    for name, make in (("py3langid", make_py3langid), ("lingua", make_lingua),
                       ("whatlang", make_whatlang)):
        try:
            tools[name] = make()
        except ImportError as e:
            print(f"skipping {name}: {e}")
    out = {"tools": {n: {"version": t[2]} for n, t in tools.items()}, "sets": {}}
    for set_name, fname in EVAL_SETS.items():
        if not (HERE / fname).exists():
            continue
        sents = load(fname)
        eval_langs = sorted({r["lang"] for r in sents})
        shared = sorted(set(eval_langs).intersection(*(t[1] for t in tools.values())))
        res = {
            "eval_file": f"eval/lang/{fname}",
            "n_sentences": len(sents),
            "eval_languages": eval_langs,
            "shared_languages": shared,
            "n_shared_sentences": sum(r["lang"] in shared for r in sents),
            "tools": {},
        }
        doc_rows = None
        if set_name == "udhr" and (HERE / "documents.jsonl").exists():
            doc_rows = []
            for d in load("documents.jsonl"):
                segs = d["segments"]
                maj = collections.Counter(x["lang"] for x in segs).most_common(1)[0][0]
                doc_rows.append({"lang": maj, "text": " ".join(x["text"] for x in segs)})
        for name, (predict, supported, version) in tools.items():
            langs = set(eval_langs) & supported
            t0 = time.time()
            own = accuracy(sents, predict, langs)
            secs = time.time() - t0
            sh = accuracy(sents, predict, set(shared))
            r = {
                "languages_scored": sorted(langs),
                "unsupported_eval_languages": sorted(set(eval_langs) - supported),
                "own_languages": own,
                "shared_languages": {k: sh[k] for k in ("n", "accuracy", "macro_accuracy")},
                "seconds": round(secs, 2),
            }
            line = (f"[{set_name}] {name:10s} own: {own['accuracy']:.4f} on {own['n']} "
                    f"({len(langs)} langs) | shared: {sh['accuracy']:.4f} on {sh['n']} "
                    f"({len(shared)} langs)")
            if doc_rows is not None:
                dc = accuracy(doc_rows, predict, langs)
                r["documents_majority"] = {k: dc[k] for k in ("n", "accuracy")}
                line += f" | docs: {dc['accuracy']:.4f} on {dc['n']}"
            res["tools"][name] = r
            print(line)
        out["sets"][set_name] = res
    (HERE / "baselines.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")


if __name__ == "__main__":
    main()
