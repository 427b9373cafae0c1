#!/usr/bin/env bash
# Vehicle accuracy on real aerial imagery: the 20 KIT AIS Munich mosaics (../shared/data/kit-ais-munich, CC-BY 3.0),
# resampled to 0.4 m and run through the pipeline on the CPU backend by the test KitVehicles.DetectorAccuracyHasNotRegressed
# (its figures are the six mosaics the built-in vehicle look model did not learn from; "all_mosaics" all 20),
# and calibrated on 14 of them and measured on the other 6 by KitVehicles.CalibrationOnSomeMosaicsHelpsOnTheOthers.
# Each prints its figures on one line; this script writes them to bench/out/kit.json ("calibrated" for the second).
#
#   bench/kit_accuracy.sh
#
# Environment: CAMPSCOPE_BENCH_BUILD (build directory, default build-bench), CAMPSCOPE_ENABLE_CUDA (ON or OFF,
# default OFF). Exits 0 without writing anything when the data folder is absent; exits with the test's status when
# the accuracy falls below the floors the test asserts (the figures are still written).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${CAMPSCOPE_BENCH_BUILD:-build-bench}
cuda=${CAMPSCOPE_ENABLE_CUDA:-OFF}
out=bench/out
data=$(cd .. && pwd)/shared/data/kit-ais-munich
test_name=KitVehicles.DetectorAccuracyHasNotRegressed:KitVehicles.CalibrationOnSomeMosaicsHelpsOnTheOthers

if [[ ! -d "$data" ]]; then
  echo "kit_accuracy: $data not found (see its README.md); nothing measured" >&2
  exit 0
fi

echo "== build ($build, Release, CUDA $cuda)" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAMPSCOPE_ENABLE_CUDA="$cuda" -DCAMPSCOPE_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target campscope_tests >/dev/null

mkdir -p "$out"
command=("$build/campscope_tests" --gtest_filter="$test_name")
echo "== $(printf '%q ' "${command[@]}")" >&2
status=0
"${command[@]}" >"$out/kit.log" 2>&1 || status=$?
grep -E '^  MunichStreet|^vehicles' "$out/kit.log" >&2 || true

figures=$(sed -n 's/^KIT_ACCURACY //p' "$out/kit.log")
calibrated=$(sed -n 's/^KIT_CALIBRATED //p' "$out/kit.log")
if [[ -z "$figures" ]]; then
  echo "kit_accuracy: the test printed no figures (exit $status); see $out/kit.log" >&2
  exit 1
fi
python3 - "$out/kit.json" "$figures" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)" \
  "$(printf '%q ' "${command[@]}")" "$status" "$calibrated" <<'EOF'
import json, sys
path, figures, commit, dirty, command, status, calibrated = sys.argv[1:8]
result = json.loads(figures)
if calibrated:
    result["calibrated"] = json.loads(calibrated)
result.update({"data": "KIT AIS Munich (CC-BY 3.0), 20 mosaics", "backend": "cpu", "commit": commit,
               "uncommitted_changes": dirty == "true", "command": command.strip(),
               "floors_passed": status == "0"})
with open(path, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
EOF
echo "== wrote $out/kit.json" >&2
exit "$status"
