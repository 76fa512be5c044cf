#!/usr/bin/env python3
"""Detection evaluation: real text re-encoded into every supported encoding, detected without
configuration, decoded back exactly; side by side with chardet, charset-normalizer and
cchardet (uchardet).

    python3 eval/encoding/detect_eval.py CORPUS.jsonl SCRIPTORIUM WORKDIR [tune|eval]

CORPUS.jsonl has one document a line, {"id", "text", "lang", "source"} (the benchmark corpus's
base.jsonl: Debian man pages, help pages, message catalogs, fortunes). An item is the first
1,500 characters (whole lines) of a document whose language the encoding is made for, taken
only when every character is encodable and at least 20 are not ASCII. Documents are split by a
hash of their id: one in four is `eval`, the rest `tune`; thresholds were set on `tune` only.
An answer counts as right when decoding the bytes with it gives back the text exactly.
For scriptorium, every segment's `raw_span` is also decoded and compared with its text.
"""
import collections, hashlib, json, os, shutil, subprocess, sys, unicodedata

# encoding (as scriptorium names it) -> (Python codec, languages of the corpus it is made for)
TARGETS = {
    "windows-1252": ("cp1252", ["fr", "de", "es", "pt_BR", "it", "ca", "sv", "da", "nl"]),
    "windows-1250": ("cp1250", ["cs", "pl", "hu", "sl", "hr"]),
    "ISO-8859-2": ("iso8859_2", ["cs", "pl", "hu", "sl", "hr"]),
    "windows-1251": ("cp1251", ["ru", "uk", "sr", "bg"]),
    "KOI8-R": ("koi8_r", ["ru"]),
    "KOI8-U": ("koi8_u", ["uk"]),
    "IBM866": ("cp866", ["ru"]),
    "ISO-8859-5": ("iso8859_5", ["ru", "bg"]),
    "windows-1253": ("cp1253", ["el"]),
    "ISO-8859-7": ("iso8859_7", ["el"]),
    "windows-1254": ("cp1254", ["tr"]),
    "windows-1255": ("cp1255", ["he"]),
    "windows-1256": ("cp1256", ["ar", "fa"]),
    "windows-1257": ("cp1257", ["lv", "lt", "et"]),
    "ISO-8859-13": ("iso8859_13", ["lv", "lt"]),
    "ISO-8859-16": ("iso8859_16", ["ro"]),
    "windows-874": ("cp874", ["th"]),
    "Shift_JIS": ("shift_jis", ["ja"]),
    "EUC-JP": ("euc_jp", ["ja"]),
    "ISO-2022-JP": ("iso2022_jp", ["ja"]),
    "gb18030": ("gb18030", ["zh_CN", "zh-CN"]),
    "Big5": ("big5", ["zh_TW", "zh-TW"]),
    "EUC-KR": ("euc_kr", ["ko"]),
    "macintosh": ("mac_roman", ["fr", "de", "es", "pt_BR", "it"]),
    "x-mac-cyrillic": ("mac_cyrillic", ["ru", "uk"]),
    "IBM437": ("cp437", ["de", "fr", "es", "sv"]),
    "IBM850": ("cp850", ["fr", "de", "es", "pt_BR", "it", "ca"]),
    "IBM852": ("cp852", ["cs", "pl", "hu", "sl", "hr"]),
    "IBM855": ("cp855", ["ru", "sr", "bg"]),
    "IBM857": ("cp857", ["tr"]),
    "IBM862": ("cp862", ["he"]),
    "IBM037": ("cp037", ["fr", "de", "es"]),
    "IBM500": ("cp500", ["fr", "de", "es"]),
    "IBM01140": ("cp1140", ["fr", "de", "es"]),
}
PER_PAIR = 4  # documents per (encoding, language)

# Names the peers give -> Python codec (peers answer in Python's or IANA's spelling).
def codec_of(name):
    if not name:
        return None
    n = name.lower().replace("_", "-")
    alias = {"windows-874": "cp874", "x-mac-cyrillic": "mac_cyrillic", "macintosh": "mac_roman",
             "gbk": "gb18030", "ibm01140": "cp1140", "ibm037": "cp037", "ibm500": "cp500", "ibm866": "cp866",
             "ibm855": "cp855", "ibm437": "cp437", "ibm850": "cp850", "ibm852": "cp852",
             "ibm857": "cp857", "ibm862": "cp862", "gb18030": "gb18030", "utf-8": "utf-8",
             "ascii": "ascii", "tis-620": "cp874", "macroman": "mac_roman", "maccyrillic": "mac_cyrillic"}
    return alias.get(n, n)


def decodes_back(raw, name, text):
    c = codec_of(name)
    try:
        return raw.decode(c) == text
    except Exception:
        return False


def split_of(doc_id):
    return "eval" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 4 == 0 else "tune"


def head(text, n=1500):
    out, size = [], 0
    for line in text.splitlines():
        if size > n:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def main():
    corpus, exe, work, which = sys.argv[1], sys.argv[2], sys.argv[3], (sys.argv[4] if len(sys.argv) > 4 else "eval")
    want = collections.defaultdict(list)
    for enc, (codec, langs) in TARGETS.items():
        for l in langs:
            want[l].append(enc)
    picked = collections.defaultdict(list)
    with open(corpus) as f:
        for line in f:
            d = json.loads(line)
            if d["lang"] not in want or split_of(d["id"]) != which:
                continue
            text = unicodedata.normalize("NFC", head(d["text"]))
            if sum(not c.isascii() for c in text) < 20:
                continue
            for enc in want[d["lang"]]:
                key = (enc, d["lang"])
                if len(picked[key]) >= PER_PAIR:
                    continue
                codec = TARGETS[enc][0]
                try:
                    raw = text.encode(codec)
                except UnicodeEncodeError:
                    continue
                if raw.decode(codec) != text:
                    continue
                picked[key].append((d["id"], raw, text))
    root = os.path.join(work, which)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "raw"))
    items = {}
    for (enc, lang), docs in sorted(picked.items()):
        for doc_id, raw, text in docs:
            name = f"{enc}__{lang}__{doc_id}.txt"
            open(os.path.join(root, "raw", name), "wb").write(raw)
            items[name] = (enc, lang, raw, text)
    out = os.path.join(root, "out")
    subprocess.run([exe, "run", "-q", "-i", os.path.join(root, "raw"), "-o", out], check=True)
    ours = {}
    for line in open(os.path.join(out, "documents.jsonl")):
        d = json.loads(line)
        ours[d["doc_id"]] = (d.get("encoding"), d.get("encoding_confidence"), d.get("encoding_evidence"))
    span_ok = collections.Counter()
    for line in open(os.path.join(out, "segments.jsonl")):
        s = json.loads(line)
        enc, lang, raw, text = items[s["doc_id"]]
        a, b = s["raw_span"]
        name = ours[s["doc_id"]][0]
        try:
            piece = raw[a:b].decode(codec_of(name), errors="replace")
        except LookupError:
            piece = ""
        norm = lambda x: " ".join(unicodedata.normalize("NFC", x).split())
        span_ok[norm(piece) == norm(s["text"])] += 1
    import chardet, charset_normalizer
    try:
        import cchardet
    except ImportError:
        cchardet = None
    tools = ["scriptorium", "chardet", "charset-normalizer", "cchardet"]
    right = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    conf_bins = collections.defaultdict(lambda: [0, 0])
    wrong_list = []
    for name, (enc, lang, raw, text) in sorted(items.items()):
        totals[enc] += 1
        got = ours.get(name, (None, 0, None))
        ok = decodes_back(raw, got[0], text)
        right["scriptorium"][enc] += ok
        c = got[1] or 0
        b = min(int(c * 10), 9)
        conf_bins[b][0] += 1
        conf_bins[b][1] += ok
        if not ok:
            wrong_list.append((name, got))
        right["chardet"][enc] += decodes_back(raw, chardet.detect(raw)["encoding"], text)
        best = charset_normalizer.from_bytes(raw).best()
        right["charset-normalizer"][enc] += decodes_back(raw, best.encoding if best else None, text)
        if cchardet:
            right["cchardet"][enc] += decodes_back(raw, cchardet.detect(raw)["encoding"], text)
    print(f"## Detection, `{which}` items ({sum(totals.values())} files)\n")
    print("| encoding | files | " + " | ".join(tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    for enc in TARGETS:
        if totals[enc]:
            print(f"| {enc} | {totals[enc]} | " + " | ".join(str(right[t][enc]) for t in tools) + " |")
    n = sum(totals.values())
    print(f"| **all** | {n} | " + " | ".join(f"{sum(right[t].values())} ({100*sum(right[t].values())/max(n,1):.1f}%)" for t in tools) + " |")
    print(f"\nraw_span of scriptorium's segments decoding to their text: {span_ok[True]}/{sum(span_ok.values())}")
    print("\n## scriptorium's encoding_confidence (reliability)\n\n| confidence | files | right |\n|---|---|---|")
    for b in sorted(conf_bins):
        k, r = conf_bins[b]
        print(f"| {b/10:.1f}–{(b+1)/10:.1f} | {k} | {r} ({100*r/k:.0f}%) |")
    if wrong_list:
        print("\nscriptorium wrong on:")
        for name, got in wrong_list:
            print(f"- {name}: {got}")


if __name__ == "__main__":
    main()
