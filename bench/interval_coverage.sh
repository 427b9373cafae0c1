#!/usr/bin/env bash
# Does the population interval hold the truth? Generates the Idlib border scenario for seeds 1..N, runs campscope on
# each and compares every imaged (camp, date) row of estimates.csv with truth_population.csv; also records the tent
# and vehicle precision, recall and F1 and the worst per-camp tent count error from `campscope eval` per seed. Writes bench/out/coverage.json and bench/out/coverage.md.
#
#   bench/interval_coverage.sh [--seeds N] [--first-seed K] [--profile NAME] [--model model.yml]
#
# --seeds: how many seeds (default 10), from --first-seed (default 1); --profile: generator profile (default or
# hard); --model: run with a calibrated model (`campscope calibrate`), its measured accuracy in the intervals.
# Environment: CAMPSCOPE_BIN (the CLI, default build/campscope, relative to the repository root).
# Samples and runs go to bench/out/coverage/seedK (bench/out/coverage-NAME/seedK for another profile, with
# "-calibrated" appended when a model is given).
# About 7 s per seed on 2 cores. Exits non-zero only when a step fails, not when a target is missed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seeds=10
first_seed=1
profile=default
model=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds=${2:?--seeds needs a number}; shift 2 ;;
    --first-seed) first_seed=${2:?--first-seed needs a number}; shift 2 ;;
    --profile) profile=${2:?--profile needs a name}; shift 2 ;;
    --model) model=${2:?--model needs a file}; shift 2 ;;
    -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "interval_coverage: unknown argument '$1' (expected --seeds, --first-seed, --profile or --model)" >&2
       exit 2 ;;
  esac
done
for number in "$seeds" "$first_seed"; do
  if ! [[ "$number" =~ ^[1-9][0-9]*$ ]]; then
    echo "interval_coverage: --seeds and --first-seed must be positive integers, got '$number'" >&2
    exit 2
  fi
done
if [[ -n "$model" && ! -f "$model" ]]; then
  echo "interval_coverage: $model: no such model file" >&2
  exit 2
fi

bin=${CAMPSCOPE_BIN:-build/campscope}
if [[ ! -x "$bin" ]]; then
  echo "interval_coverage: $bin is not an executable; build the campscope target or set CAMPSCOPE_BIN" >&2
  exit 1
fi

suffix=$([[ "$profile" == default ]] && echo "" || echo "-$profile")$([[ -n "$model" ]] && echo "-calibrated" || echo "")
out=bench/out
work=$out/coverage$suffix
invocation="bench/interval_coverage.sh --seeds $seeds --first-seed $first_seed --profile $profile"
model_arguments=()
if [[ -n "$model" ]]; then
  invocation+=" --model $model"
  model_arguments=(--model "$(cd "$(dirname "$model")" && pwd)/$(basename "$model")")
fi
last_seed=$((first_seed + seeds - 1))

for seed in $(seq "$first_seed" "$last_seed"); do
  dir=$work/seed$seed
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== seed $seed ($first_seed..$last_seed)" >&2
  "$bin" generate --scenario idlib-border --profile "$profile" --seed "$seed" --out "$dir" >"$dir/generate.log" 2>&1 ||
    { cat "$dir/generate.log" >&2; exit 1; }
  "$bin" run "$dir/manifest.json" --out "$dir/run" --threads 2 "${model_arguments[@]}" >"$dir/run.log" 2>&1 ||
    { cat "$dir/run.log" >&2; exit 1; }
  "$bin" eval --json --truth "$dir/truth.geojson" --detections "$dir/run/detections.geojson" \
    --camps "$dir/camps.geojson" >"$dir/eval.json" ||
    exit 1
done

python3 bench/interval_coverage.py --work "$work" --seeds "$seeds" --first-seed "$first_seed" --profile "$profile" \
  --calibrated "$([[ -n "$model" ]] && echo yes || echo no)" \
  --command "CAMPSCOPE_BIN=$bin $invocation" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --dirty "$([[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] && echo yes || echo no)" \
  --json "$out/coverage$suffix.json" --markdown "$out/coverage$suffix.md"
