#!/usr/bin/env bash
# Time and peak memory of the release binary on inputs of pathological shape: the fault battery's
# emphasis line, one-character lines, one 100 MB line of real prose, a long hyphen-wrapped
# sentence. Reported, never asserted (the numbers depend on the machine).
#
# usage: benches/shapes.sh [SCALE]    SCALE multiplies the input sizes (default 1; 0.1 for a quick look)
# needs: a release build (cargo build --release), GNU time (/usr/bin/time), python3.
# The inputs are constructed, not real text, apart from the prose line, which repeats the
# English text of raw/ (the seed corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/target/release/scriptorium"
scale="${1:-1}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package: time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$scale" "$here/raw" <<'PY'
import os, sys, glob
work, scale, raw = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def put(name, data):
    os.makedirs(f"{work}/{name}", exist_ok=True)
    with open(f"{work}/{name}/input.txt", "wb") as f:
        f.write(data)
# The fault battery's input: markdown emphasis on every other word (quadratic before a cursor).
put("emphasis", b"*Ab* cd. " * int(111111 * scale))
# 200 MB of one-character lines (unbounded memory before the line budget).
put("one-char-lines", b"a\n" * int(10**8 * scale))
# Real prose on one line: the seeds' English lines joined with spaces, repeated to ~100 MB.
prose = b" ".join(
    l.strip()
    for p in sorted(glob.glob(f"{raw}/*.txt"))
    for l in open(p, "rb").read().splitlines()
    if l.strip() and max(l) < 0x80
)
put("one-line-prose", (prose + b" ") * max(1, int(100 * 2**20 * scale) // (len(prose) + 1)))
# One sentence hard-wrapped with a hyphen at every line end, longer than [segment] max_bytes.
put("hyphen-wrapped", (b"Lorem ipsum dolor sit amet consectetur adipis-\ncing elit sed do eiusmod tempor " * int(200000 * scale)) + b".\n")
PY
printf '%-16s %10s %9s %11s %s\n' input "MB" "wall s" "peak MB" status
for case in emphasis one-char-lines one-line-prose hyphen-wrapped; do
  in="$work/$case"
  mb=$(du -m "$in/input.txt" | cut -f1)
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" run -q --input "$in" --output "$work/out-$case" --threads 2 || true
  read -r wall kb < <(tail -1 "$work/time")
  status=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['status'])" "$work/out-$case/documents.jsonl" 2>/dev/null || echo "no output")
  printf '%-16s %10s %9s %11s %s\n' "$case" "$mb" "$wall" "$((kb / 1024))" "$status"
  rm -rf "$work/out-$case"
done
