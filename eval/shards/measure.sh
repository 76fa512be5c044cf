#!/usr/bin/env bash
# Sharded runs as separate processes on one machine: for each N, the N shards one after the
# other (`run --shard K/N`) and the merge, each under /usr/bin/time; prints per N the total CPU
# seconds of all processes, the merge's wall and CPU seconds, the fingerprint bytes per
# document, the largest peak RSS of a shard and of the merge, and checks that the merged output
# equals a single run's (timing.json aside).
#
#   eval/shards/measure.sh CORPUS_DIR [N...]     # default N: 1 2 4 8
#   BIN=target/release/scriptorium THREADS=2 eval/shards/measure.sh bench-data/slice50/files
set -euo pipefail
corpus="${1:?usage: measure.sh CORPUS_DIR [N...]}"
shift
ns=("$@")
[ ${#ns[@]} -gt 0 ] || ns=(1 2 4 8)
bin=${BIN:-target/release/scriptorium}
threads=${THREADS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# time -f: elapsed, user, system, max RSS (KB)
timed() { /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }; cat "$tmp/t"; }

read -r w u s m < <(timed "$bin" run -q -j "$threads" -i "$corpus" -o "$tmp/single")
docs=$(wc -l <"$tmp/single/documents.jsonl")
printf 'single run: %d documents, %.2f s wall, %.2f CPU-s, peak RSS %d MB\n' "$docs" "$w" "$(echo "$u + $s" | bc)" $((m / 1024))
printf '%3s | %10s | %12s | %13s | %15s | %18s | %16s\n' N "total CPU s" "merge wall s" "merge CPU s" "fingerprints B/doc" "records B/doc" "peak RSS shard/merge MB"
for n in "${ns[@]}"; do
  cpu=0 shard_rss=0 fp=0 rec=0 shards=()
  for k in $(seq 0 $((n - 1))); do
    d="$tmp/n$n/shard-$k"
    read -r w u s m < <(timed "$bin" run -q -j "$threads" -i "$corpus" --shard "$k/$n" -o "$d")
    cpu=$(echo "$cpu + $u + $s" | bc)
    [ "$m" -gt "$shard_rss" ] && shard_rss=$m
    fp=$((fp + $(stat -c %s "$d/shard-fingerprints.bin")))
    rec=$((rec + $(stat -c %s "$d/shard-records.bin")))
    shards+=("$d")
  done
  read -r w u s m < <(timed "$bin" merge "${shards[@]}" -o "$tmp/n$n/merged")
  mcpu=$(echo "$u + $s" | bc)
  cpu=$(echo "$cpu + $mcpu" | bc)
  diff -r --exclude=timing.json "$tmp/single" "$tmp/n$n/merged" >/dev/null ||
    { echo "N=$n: merged output differs from the single run" >&2; exit 1; }
  printf '%3d | %10.2f | %12.2f | %13.2f | %15d | %18d | %9d / %d\n' "$n" "$cpu" "$w" "$mcpu" $((fp / docs)) $((rec / docs)) $((shard_rss / 1024)) $((m / 1024))
  rm -rf "$tmp/n$n"
done
