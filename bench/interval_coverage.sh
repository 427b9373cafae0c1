#!/usr/bin/env bash
# Does the population interval hold the truth? Generates the Idlib border scenario for seeds 1..N, runs campscope on
# each and compares every imaged (camp, date) row of estimates.csv with truth_population.csv; also records the tent
# and vehicle precision, recall and F1 and the worst per-camp tent count error from `campscope eval` per seed. Writes bench/out/coverage.json and bench/out/coverage.md.
#
#   bench/interval_coverage.sh [--seeds N] [--profile NAME]
#
# --seeds: how many seeds (default 10); --profile: generator profile (default "default", today the only one).
# Environment: CAMPSCOPE_BIN (the CLI, default build/campscope, relative to the repository root).
# Samples and runs go to bench/out/coverage/seedK (bench/out/coverage-NAME/seedK for another profile).
# About 7 s per seed on 2 cores. Exits non-zero only when a step fails, not when a target is missed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seeds=10
profile=default
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds=${2:?--seeds needs a number}; shift 2 ;;
    --profile) profile=${2:?--profile needs a name}; shift 2 ;;
    -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "interval_coverage: unknown argument '$1' (expected --seeds N or --profile NAME)" >&2; exit 2 ;;
  esac
done
if ! [[ "$seeds" =~ ^[1-9][0-9]*$ ]]; then
  echo "interval_coverage: --seeds must be a positive integer, got '$seeds'" >&2
  exit 2
fi

bin=${CAMPSCOPE_BIN:-build/campscope}
if [[ ! -x "$bin" ]]; then
  echo "interval_coverage: $bin is not an executable; build the campscope target or set CAMPSCOPE_BIN" >&2
  exit 1
fi

suffix=$([[ "$profile" == default ]] && echo "" || echo "-$profile")
out=bench/out
work=$out/coverage$suffix
invocation="bench/interval_coverage.sh --seeds $seeds --profile $profile"

for seed in $(seq 1 "$seeds"); do
  dir=$work/seed$seed
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "== seed $seed/$seeds" >&2
  "$bin" generate --scenario idlib-border --profile "$profile" --seed "$seed" --out "$dir" >"$dir/generate.log" 2>&1 ||
    { cat "$dir/generate.log" >&2; exit 1; }
  "$bin" run "$dir/manifest.json" --out "$dir/run" --threads 2 >"$dir/run.log" 2>&1 ||
    { cat "$dir/run.log" >&2; exit 1; }
  "$bin" eval --json --truth "$dir/truth.geojson" --detections "$dir/run/detections.geojson" \
    --camps "$dir/camps.geojson" >"$dir/eval.json" ||
    exit 1
done

python3 bench/interval_coverage.py --work "$work" --seeds "$seeds" --profile "$profile" \
  --command "CAMPSCOPE_BIN=$bin $invocation" \
  --commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --dirty "$([[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] && echo yes || echo no)" \
  --json "$out/coverage$suffix.json" --markdown "$out/coverage$suffix.md"
