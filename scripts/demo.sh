#!/usr/bin/env bash
# Sets up, builds, generates the Idlib border sample (seed 1) into sample/ and runs campscope on it; results in
# sample/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rm -rf sample
build/campscope generate --scenario idlib-border --seed 1 --out sample
build/campscope run sample/manifest.json --out sample/out
build/campscope eval --truth sample/truth.geojson --detections sample/out/detections.geojson
