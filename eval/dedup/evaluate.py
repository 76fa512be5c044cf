#!/usr/bin/env python3
"""Document-level precision and recall of scriptorium's dedup on a corpus with planted duplicates.

Usage:
    python3 eval/dedup/evaluate.py CORPUS [--bin target/release/scriptorium]
        [--set KEY=VALUE ...] [--constructed N] [--threads N] [--keep DIR]

CORPUS is a folder made by the benchmark corpus builder (`bench/build_corpus.py`, e.g. its
`slice5/`): `files/NNN/<id>.txt` and `manifest.tsv` (id, kind orig|exact|near, src, ...). The
script runs scriptorium on `CORPUS/files` with `[dedup] action = "mark"` (plus `--set` overrides
of `[dedup]` keys), then judges each document:

* truth: documents with the same `src` form a cluster; in input order (documents.jsonl), every
  member after the first is a positive, *exact* when its raw bytes equal the first member's
  (same sha256), else *near*;
* prediction: a document is a duplicate when at least half of its segments have a `dup_of`,
  and its predicted source is the document most of those pointers lead to;
* a predicted duplicate is a true positive when its source is in the same cluster. False
  positives are split by the real 5-gram Jaccard between the two raw texts: at least 0.5 means
  the corpus itself repeats the text (unplanted, "natural" duplicates), not a mistake of ours.

`--constructed N` adds cases made from N real originals of the corpus (marked as constructed;
they are written to a temporary folder next to the corpus files, never into the corpus):
paragraphs in another order, lines wrapped at another width, and the text in NFD.
"""
import argparse, collections, hashlib, json, os, random, re, shutil, subprocess, sys, tempfile
import unicodedata
from pathlib import Path


def shingles(text, n=5):
    w = text.split()
    if len(w) < n:
        w = list(text.replace(" ", ""))
    return {" ".join(w[i:i + n]) for i in range(max(1, len(w) - n + 1))}


def jaccard(a, b):
    A, B = shingles(a), shingles(b)
    return len(A & B) / max(1, len(A | B))


def paragraphs(text):
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def wrap(par, width):
    out, line = [], ""
    for w in par.split():
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        out.append(line)
    return "\n".join(out)


def constructed(corpus, manifest, n, dest):
    """Writes N originals and their three constructed variants to dest; returns their manifest."""
    rng = random.Random(20261122)
    paths = {p.stem: p for p in (corpus / "files").rglob("*.txt")}
    origs = [r for r in manifest if r["kind"] == "orig"]
    rng.shuffle(origs)
    rows = []
    for r in origs:
        if len(rows) >= 4 * n:
            break
        text = paths[r["id"]].read_text(encoding="utf-8")
        pars = paragraphs(text)
        if len(pars) < 3 or len(text) < 600:
            continue
        shuffled = pars[:]
        while shuffled == pars:
            rng.shuffle(shuffled)
        variants = {
            "reordered": "\n\n".join(shuffled) + "\n",
            "rewrapped": "\n\n".join(wrap(" ".join(p.split()), rng.choice([40, 55, 72]))
                                     for p in pars) + "\n",
            "nfd": unicodedata.normalize("NFD", text),
        }
        i = len(rows) // 4
        (dest / f"c{i:04d}").mkdir(parents=True, exist_ok=True)
        (dest / f"c{i:04d}" / "a_orig.txt").write_text(text, encoding="utf-8")
        rows.append(dict(id=f"c{i:04d}/a_orig.txt", kind="orig", src=r["id"]))
        for k, v in variants.items():
            (dest / f"c{i:04d}" / f"b_{k}.txt").write_text(v, encoding="utf-8")
            rows.append(dict(id=f"c{i:04d}/b_{k}.txt", kind=k, src=r["id"]))
    return rows


def run(binary, inp, out, sets, threads):
    cfg = out.with_suffix(".toml")
    lines = ["[dedup]", 'action = "mark"'] + [f"{k} = {v}" for k, v in sets]
    cfg.write_text("\n".join(lines) + "\n")
    cmd = [binary, "run", "--config", str(cfg), "--input", str(inp), "--output", str(out),
           "--quiet", "--threads", str(threads)]
    subprocess.run(cmd, check=True)


def judge(out, truth_src, texts):
    """truth_src: doc_id -> cluster key. texts: doc_id -> path (for the Jaccard of false positives)."""
    docs = [json.loads(l) for l in open(out / "documents.jsonl", encoding="utf-8")]
    order = [d["doc_id"] for d in docs]
    sha = {d["doc_id"]: d["sha256"] for d in docs}
    segs = collections.defaultdict(list)
    for l in open(out / "segments.jsonl", encoding="utf-8"):
        s = json.loads(l)
        segs[s["doc_id"]].append(s.get("dup_of"))
    first = {}
    kind = {}
    for d in order:
        c = truth_src.get(d)
        if c is None:
            continue
        if c in first:
            kind[d] = "exact" if sha[d] == sha[first[c]] else "near"
        else:
            first[c] = d
    pred = {}
    for d in order:
        ptr = segs.get(d, [])
        dups = [p.rsplit("#", 1)[0] for p in ptr if p]
        if ptr and len(dups) * 2 >= len(ptr):
            target = collections.Counter(dups).most_common(1)[0][0]
            if target != d:
                pred[d] = target
    res = {}
    for k in ("exact", "near"):
        pos = [d for d, kk in kind.items() if kk == k]
        tp = sum(1 for d in pos if d in pred and truth_src.get(pred[d]) == truth_src[d])
        res[k] = dict(positives=len(pos), found=tp, recall=tp / max(1, len(pos)))
    tp_all = [d for d, t in pred.items() if truth_src.get(t) == truth_src.get(d)]
    fp = [d for d, t in pred.items() if truth_src.get(t) != truth_src.get(d)]
    natural = []
    for d in fp:
        j = jaccard(Path(texts[d]).read_text(encoding="utf-8", errors="replace"),
                    Path(texts[pred[d]]).read_text(encoding="utf-8", errors="replace"))
        if j >= 0.5:
            natural.append(d)
    res["predicted"] = len(pred)
    res["true_positives"] = len(tp_all)
    res["false_positives"] = len(fp)
    res["false_positives_natural"] = len(natural)
    res["precision"] = len(tp_all) / max(1, len(pred))
    res["precision_excluding_natural"] = (len(tp_all) + len(natural)) / max(1, len(pred))
    res["examples_fp"] = [(d, pred[d]) for d in fp if d not in natural][:5]
    res["examples_fn"] = [d for d in kind if not (d in pred and truth_src.get(pred[d]) == truth_src[d])][:5]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--bin", default="target/release/scriptorium")
    ap.add_argument("--set", action="append", default=[], help="[dedup] KEY=VALUE (TOML value)")
    ap.add_argument("--constructed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="keep the output here")
    a = ap.parse_args()
    sets = [s.split("=", 1) for s in a.set]
    manifest = list(csv_rows(a.corpus / "manifest.tsv"))
    work = Path(tempfile.mkdtemp(prefix="dedup-eval-"))
    try:
        out = a.keep or work / "out"
        run(a.bin, a.corpus / "files", out, sets, a.threads)
        texts = {str(p.relative_to(a.corpus / "files")): str(p)
                 for p in (a.corpus / "files").rglob("*.txt")}
        src = {str(p.relative_to(a.corpus / "files")): None
               for p in (a.corpus / "files").rglob("*.txt")}
        by_id = {r["id"]: r["src"] for r in manifest}
        truth = {k: by_id[Path(k).stem] for k in src if Path(k).stem in by_id}
        report = {"corpus": judge(out, truth, texts)}
        if a.constructed:
            cdir = work / "constructed"
            rows = constructed(a.corpus, manifest, a.constructed, cdir)
            cout = work / "cout"
            run(a.bin, cdir, cout, sets, a.threads)
            ctruth = {r["id"]: r["src"] for r in rows}
            ctexts = {r["id"]: str(cdir / r["id"]) for r in rows}
            res = judge(cout, ctruth, ctexts)
            # Recall per constructed kind.
            docs = [json.loads(l) for l in open(cout / "documents.jsonl", encoding="utf-8")]
            segs = collections.defaultdict(list)
            for l in open(cout / "segments.jsonl", encoding="utf-8"):
                s = json.loads(l)
                segs[s["doc_id"]].append(s.get("dup_of"))
            per = collections.Counter()
            tot = collections.Counter()
            for r in rows:
                if r["kind"] == "orig":
                    continue
                tot[r["kind"]] += 1
                ptr = segs.get(r["id"], [])
                dups = [p.rsplit("#", 1)[0] for p in ptr if p]
                if ptr and len(dups) * 2 >= len(ptr) and \
                        collections.Counter(dups).most_common(1)[0][0] == r["id"].split("/")[0] + "/a_orig.txt":
                    per[r["kind"]] += 1
            res["recall_by_kind"] = {k: f"{per[k]}/{tot[k]}" for k in tot}
            report["constructed"] = res
        print(json.dumps(report, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def csv_rows(path):
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            yield dict(zip(head, line.rstrip("\n").split("\t")))


if __name__ == "__main__":
    main()
