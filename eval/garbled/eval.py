#!/usr/bin/env python3
"""Measure the garbled-text flag: false positives on real text, detection on garbled text.

Runs the `scriptorium` binary (pass its path) on three inputs written to a temporary folder:

- heldout/<script>.txt: real lines of the HELD-OUT documents of the corpus (never seen by
  build_model.py), one paragraph each, whose dominant script is <script> and that have at least
  MIN_LETTERS letters of it. Any segment flagged `garbled` is a false positive.
- synthetic/<script>.txt: CONSTRUCTED garbled text: the same held-out lines put through a wrong
  font map, i.e. a consistent random substitution of the script's letters (fixed seed). Every
  segment not flagged is a miss.
- prose/<script>.txt: the same as heldout/, without the documents of message catalogs
  (sources `gettext` and `l10n`): build_model.py may add the language stage's training text,
  which holds catalog messages of some of the same Debian packages, to its per-language models,
  so only this set is blind to them.
- raw/004_f87cfe8deb922ad8.txt lines 11–24: the real broken-font-map Arabic of the seeds.

Usage: python3 eval/garbled/eval.py CORPUS.jsonl target/release/scriptorium [--train]

With --train the lines come from the TRAINING documents instead: the set to tune margins on,
so that the held-out figures stay blind.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import unicodedata
from collections import defaultdict
from pathlib import Path

from common import dominant, is_holdout, read_docs, script_of

SCRIPTS = ["Arab", "Hebr", "Cyrl", "Grek", "Latn", "Deva", "Beng", "Taml", "Thai", "Geor"]
PER_SCRIPT = 1500
MIN_LETTERS = 15
SEED = 4
ROOT = Path(__file__).resolve().parents[2]


CATALOGS = {"gettext", "l10n"}


def heldout_lines(corpus: str, prose: bool = False, train: bool = False) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for doc_id, text, _, source in read_docs(corpus, with_source=True):
        if is_holdout(doc_id) == train or (prose and source in CATALOGS):
            continue
        for line in text.split("\n"):
            line = " ".join(line.split())
            if line in seen:
                continue
            s, n = dominant(line)
            if s in SCRIPTS and n >= MIN_LETTERS and len(out[s]) < PER_SCRIPT:
                seen.add(line)
                out[s].append(line)
    return out


def substitute(lines: list[str], script: str) -> list[str]:
    """A wrong font map: every letter of the script consistently replaced by another one."""
    letters = sorted({c for l in lines for c in unicodedata.normalize("NFC", l.lower())
                      if script_of(c) == script and unicodedata.category(c)[0] == "L"})
    rng = random.Random(SEED)
    shuffled = letters[:]
    rng.shuffle(shuffled)
    table = dict(zip(letters, shuffled))
    return ["".join(table.get(c, c) for c in unicodedata.normalize("NFC", l.lower()))
            for l in lines]


def run(binary: str, folder: Path) -> list[dict]:
    out = folder / "out"
    (folder / "pipeline.toml").write_text(
        '[input]\npaths = ["in"]\n\n[output]\ndir = "out"\n\n[dedup]\nenabled = false\n')
    subprocess.run([binary, "run", "--quiet"], cwd=folder, check=True)
    with open(out / "segments.jsonl", encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def main() -> None:
    corpus, binary = sys.argv[1], str(Path(sys.argv[2]).resolve())
    train = "--train" in sys.argv[3:]
    lines = heldout_lines(corpus, train=train)
    prose = heldout_lines(corpus, prose=True, train=train)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in/heldout").mkdir(parents=True)
        (folder / "in/synthetic").mkdir(parents=True)
        (folder / "in/seeds").mkdir(parents=True)
        (folder / "in/prose").mkdir(parents=True)
        for s, ls in prose.items():
            (folder / f"in/prose/{s}.txt").write_text("\n\n".join(ls) + "\n")
        for s, ls in lines.items():
            (folder / f"in/heldout/{s}.txt").write_text("\n\n".join(ls) + "\n")
            (folder / f"in/synthetic/{s}.txt").write_text("\n\n".join(substitute(ls, s)) + "\n")
        seed = (ROOT / "raw/004_f87cfe8deb922ad8.txt").read_text(encoding="utf-8")
        (folder / "in/seeds/004.txt").write_text(seed)
        segs = run(binary, folder)
    stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    examples: dict[str, list[str]] = defaultdict(list)
    for seg in segs:
        kind, _, name = seg["doc_id"].partition("/")
        script = name.removesuffix(".txt")
        flagged = "garbled" in seg.get("flags", [])
        if kind == "seeds":
            if not (11 <= seg["line"] <= 24) or seg["script"] != "Arab":
                continue
            script = "004 lines 11-24"
        elif seg["script"] != script:
            continue
        st = stats[(kind, script)]
        st[0] += 1
        st[1] += flagged
        if kind == "heldout" and flagged and len(examples[script]) < 3:
            examples[script].append(f'{seg.get("garbled_score")}: {seg["text"][:80]}')
    print("| set | script | segments | flagged garbled | rate |")
    print("|---|---|---|---|---|")
    for (kind, script), (n, f) in sorted(stats.items()):
        label = {"heldout": "real, held out (false positives)",
                 "prose": "real, held out, no catalogs (false positives)",
                 "synthetic": "constructed: letter substitution (detection)",
                 "seeds": "real garbled (detection)"}[kind]
        print(f"| {label} | {script} | {n} | {f} | {100 * f / max(1, n):.2f}% |")
    for s, ex in examples.items():
        for e in ex:
            print(f"  false positive {s}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
