#!/usr/bin/env bash
# The Slurm test: starts a one-node Slurm cluster on this machine (scripts/slurm/cluster.sh),
# submits a 4-shard run of a real multilingual corpus through sbatch (scripts/slurm/submit.sh:
# a job array and a merge job that depends on it), and compares the merged output with a
# single `run` of the same input byte for byte (timing.json aside). The cluster is stopped at
# the end, whatever happens.
#
#   scripts/slurm/test.sh [BINARY]      # default target/release/scriptorium
#
# Needs root and Debian's slurm-wlm and munge packages; .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=$(cd "$(dirname "${1:-target/release/scriptorium}")" && pwd)/$(basename "${1:-target/release/scriptorium}")
[ -x "$bin" ] || { echo "slurm test: $bin not built (cargo build --release)" >&2; exit 2; }
start=$(date +%s)

tmp=$(mktemp -d)
# Own ports, so that a Slurm already running on the machine is not disturbed.
export SLURMCTLD_PORT=${SLURMCTLD_PORT:-16817} SLURMD_PORT=${SLURMD_PORT:-16818}
cleanup() {
  scripts/slurm/cluster.sh stop "$tmp/cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The corpus: the seeds, the UDHR excerpts in 20 languages and scripts (one in ISO-8859-6), the
# mixed-script documents and the cross-file duplicates fixture; an exact copy of one UDHR text
# first in the walk and an edited copy (a near duplicate) last, so that dedup decisions cross
# shard boundaries.
corpus="$tmp/corpus"
mkdir -p "$corpus"
cp raw/*.txt "$corpus/"
for f in tests/data/udhr/*.txt; do cp "$f" "$corpus/b-$(basename "$f")"; done
for f in tests/data/mixed/*.txt; do cp "$f" "$corpus/c-$(basename "$f")"; done
for f in tests/fixtures/duplicates-across-files/raw/*.txt; do cp "$f" "$corpus/e-$(basename "$f")"; done
cp tests/data/udhr/rus.txt "$corpus/a-copy-rus.txt"
sed 's/ / ajout /' tests/data/udhr/fra.txt >"$corpus/z-near-fra.txt"
echo "slurm test: corpus of $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KB"

# The cluster.
eval "$(scripts/slurm/cluster.sh start "$tmp/cluster")"
sinfo

# One run on one machine, and the same through Slurm with four shards.
"$bin" run --quiet --input "$corpus" --output "$tmp/single"
scripts/slurm/submit.sh -n 4 -o "$tmp/merged" -w "$tmp/work" -b "$bin" --wait "$corpus" || {
  status=$?
  echo "slurm test: the merge job failed ($status); logs:" >&2
  tail -n 20 "$tmp"/work/logs/*.log >&2 || true
  exit 1
}
for k in 0 1 2 3; do
  [ -f "$tmp/work/shard-$k/shard.json" ] || { echo "slurm test: shard $k missing" >&2; exit 1; }
done
sacct_state=$(squeue -h 2>/dev/null | wc -l)
[ "$sacct_state" = 0 ] || { echo "slurm test: jobs still queued" >&2; squeue >&2; exit 1; }

if ! diff -r --exclude=timing.json "$tmp/single" "$tmp/merged" >"$tmp/diff" 2>&1; then
  echo "slurm test: the merged output differs from the single run:" >&2
  head -40 "$tmp/diff" >&2
  exit 1
fi
# Decisions that cross shards: the UDHR Russian text (shard 2 or 3) is a duplicate of its copy
# in shard 0, the edited French text (shard 3) a near duplicate of the original.
grep -q '"id":"b-rus.txt#[0-9]*","dup_of":"a-copy-rus.txt#' "$tmp/merged/duplicates.jsonl" ||
  { echo "slurm test: no exact duplicate across shards found" >&2; exit 1; }
grep -q '"id":"z-near-fra.txt#[0-9]*","dup_of":"b-fra.txt#[0-9]*","kind":"near"' "$tmp/merged/duplicates.jsonl" ||
  { echo "slurm test: no near duplicate across shards found" >&2; exit 1; }
files=$(find "$tmp/merged" -type f ! -name timing.json | wc -l)
docs=$(wc -l <"$tmp/merged/documents.jsonl")
echo "slurm test: passed: $docs documents in 4 shards through sbatch, merged output ($files files) identical to a single run; $(($(date +%s) - start)) s"
