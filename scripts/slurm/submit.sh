#!/usr/bin/env bash
# Runs scriptorium on a Slurm cluster: the input's N shards as one job array, the global dedup
# merge as a job that starts when every shard has succeeded (--dependency=afterok).
#
#   scripts/slurm/submit.sh -n N -o OUTPUT [-c CONFIG] [-w WORK_DIR] [-b BINARY] [--wait]
#                           [-- SBATCH_OPTION...] INPUT...
#
#   -n N         number of shards (array tasks 0..N-1); each runs `run --shard K/N`
#   -o OUTPUT    the final output folder, written by the merge job
#   -c CONFIG    pipeline.toml for every job (default: built-in defaults, or ./pipeline.toml)
#   -w WORK_DIR  where the shard folders and job logs go (default: OUTPUT.shards); it must be
#                on a file system every node sees, as must the inputs and the binary
#   -b BINARY    the scriptorium binary (default: the one on PATH)
#   --wait       wait for the merge job to end and exit with its status
#   -- ...       options passed to both sbatch calls (--partition, --account, --time, ...)
#
# Prints the two job ids. Submitting again after a failure reruns only the shards that did not
# complete: a shard folder that holds its complete shard is skipped (`shard K/N already
# complete`). The inputs, the configuration and the binary must not change in between; the merge
# checks that every shard comes from the same ones (exit 2 otherwise).
set -euo pipefail

usage() {
  sed -n '5,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

n="" out="" config="" work="" bin="" wait=0
sbatch_opts=()
inputs=()
while [ $# -gt 0 ]; do
  case "$1" in
  -n) n="${2:?}"; shift 2 ;;
  -o) out="${2:?}"; shift 2 ;;
  -c) config="${2:?}"; shift 2 ;;
  -w) work="${2:?}"; shift 2 ;;
  -b) bin="${2:?}"; shift 2 ;;
  --wait) wait=1; shift ;;
  --)
    shift
    # Options for sbatch up to the first argument that is not one (the inputs follow).
    while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do sbatch_opts+=("$1"); shift; done
    ;;
  -h | --help) usage ;;
  -*) echo "submit.sh: unknown option $1" >&2; usage ;;
  *) inputs+=("$1"); shift ;;
  esac
done
[ -n "$n" ] && [ -n "$out" ] && [ ${#inputs[@]} -gt 0 ] || usage
case "$n" in '' | *[!0-9]* | 0) echo "submit.sh: -n must be a positive number" >&2; exit 2 ;; esac

abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }
bin=$(abs "${bin:-$(command -v scriptorium)}")
[ -x "$bin" ] || { echo "submit.sh: $bin is not an executable" >&2; exit 2; }
out=$(abs "$out")
work=$(abs "${work:-$out.shards}")
conf_args=()
[ -n "$config" ] && conf_args=(--config "$(abs "$config")")
in_args=()
for i in "${inputs[@]}"; do in_args+=(--input "$(abs "$i")"); done
mkdir -p "$work/logs"

q() { printf '%q ' "$@"; }

# The shard job: one array task per shard; K is the task id.
cat >"$work/shard.sbatch" <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=scriptorium-shard
#SBATCH --output=$work/logs/shard-%a.log
set -euo pipefail
k=\${SLURM_ARRAY_TASK_ID:?not run as an array task}
exec $(q "$bin") run $(q "${conf_args[@]}" "${in_args[@]}") --quiet \\
  --shard "\$k/$n" --output "$work/shard-\$k"
JOB

# The merge job: all shard folders, in order.
shards=()
for k in $(seq 0 $((n - 1))); do shards+=("$work/shard-$k"); done
cat >"$work/merge.sbatch" <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=scriptorium-merge
#SBATCH --output=$work/logs/merge.log
set -euo pipefail
exec $(q "$bin") merge $(q "${conf_args[@]}" "${shards[@]}") --output $(q "$out")
JOB

array=$(sbatch --parsable --array="0-$((n - 1))" "${sbatch_opts[@]}" "$work/shard.sbatch")
array=${array%%;*}
merge_args=(--parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes)
[ "$wait" = 1 ] && merge_args+=(--wait)
echo "shards: job $array (array 0-$((n - 1))), logs in $work/logs"
if [ "$wait" = 1 ]; then
  echo "merge: waiting"
  status=0
  merge=$(sbatch "${merge_args[@]}" "${sbatch_opts[@]}" "$work/merge.sbatch") || status=$?
  echo "merge: job ${merge%%;*} ended with status $status; output in $out"
  exit "$status"
fi
merge=$(sbatch "${merge_args[@]}" "${sbatch_opts[@]}" "$work/merge.sbatch")
echo "merge: job ${merge%%;*}, after the shards; output in $out"
