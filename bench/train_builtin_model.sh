#!/usr/bin/env bash
# Trains the built-in vehicle look model, host/models/vehicle_look.yml.gz (see host/builtin_model.h), from scratch:
# 14 of the 20 KIT AIS Munich mosaics at 0.4 m (../shared/data/kit-ais-munich, CC-BY 3.0; MOS74-87, the other six are
# held out to measure it) weighted twice, and generated scenes of seeds 11-13, default and hard profiles
# (seeds 1-10 are what bench/accuracy.sh measures). `campscope calibrate` fits the look forest on the rules' candidates
# and keeps the way of judging vehicles that does best out of fold; the model keeps only its vehicle_appearance
# (forest, threshold, adds_to_rules) and the calibration record. Deterministic: the same inputs give the same bytes.
# About 5 minutes on 2 cores.
#
#   bench/train_builtin_model.sh
#
# Environment: CAMPSCOPE_BENCH_BUILD (build directory, default build-bench). Exits 1 when the KIT folder is absent:
# the model cannot be trained without it (the committed one stays).
# After a change to the look's features (VehicleAppearance::feature_count), the committed model no longer loads, and
# every run loads it: train once with builtin_vehicle_appearance() returning no model (a local edit, not committed),
# then rebuild with the model this writes (done so on 2026-11-28 for 2d3dcb6).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${CAMPSCOPE_BENCH_BUILD:-build-bench}
data=$(cd .. && pwd)/shared/data/kit-ais-munich
model=host/models/vehicle_look.yml.gz
if [[ ! -d "$data" ]]; then
  echo "train_builtin_model: $data not found (see its README.md); $model is left as it is" >&2
  exit 1
fi

echo "== build ($build, Release, CPU)" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAMPSCOPE_ENABLE_CUDA=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target campscope kit_scenes >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/kit_scenes" "$data" "$work/kit" --gsd 0.4 --part builtin-training >&2
sets=("$work/kit*2")
for profile in default hard; do
  for seed in 11 12 13; do
    "$build/campscope" generate --profile "$profile" --seed "$seed" --out "$work/$profile$seed" >/dev/null
    sets+=("$work/$profile$seed")
  done
done
python3 bench/training_set.py "$work/set" "${sets[@]}" >&2

echo "== calibrate" >&2
"$build/campscope" calibrate "$work/set/manifest.json" --truth "$work/set/truth.geojson" --out "$work/model.yml" \
  --seed 1 --threads 0 --without-builtin-look | tee "$work/calibrate.log" >&2

# Keep the vehicle look and the record of how it was fitted; the rest (tent forest, accuracy) is for the training
# scenes, not a built-in default.
python3 - "$work/model.yml" "$work/vehicle_look.yml" <<'PY'
import sys
kept, section = ["%YAML:1.0", "---"], None
for line in open(sys.argv[1]).read().splitlines()[2:]:
    if line and not line.startswith(" "):
        section = line.split(":")[0]
    if section in ("vehicle_appearance", "calibration"):
        kept.append(line)
text = "\n".join(kept) + "\n"
if "vehicle_appearance:\n" not in text:
    judged = [l.split(":", 1)[1].strip() for l in kept if l.strip().startswith("vehicles_judged_by:")]
    sys.exit(f"train_builtin_model: calibrate kept no look model of its own (vehicles_judged_by: {judged}); "
             "nothing written")
open(sys.argv[2], "w").write(text)
PY
mkdir -p "$(dirname "$model")"
gzip -9 -n -c "$work/vehicle_look.yml" >"$model.tmp"
mv "$model.tmp" "$model"
echo "train_builtin_model: wrote $model ($(stat -c %s "$model") bytes); rebuild to compile it in" >&2
