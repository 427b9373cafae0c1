#!/usr/bin/env bash
# Memory and scaling of one large tile: mosaics a generated 1024 x 1024 tile into single GeoTIFFs of
# SIZE x SIZE pixels (default 10000, 20000, 40000: 1x, 4x, 16x the pixels), runs `campscope run` on each under
# /usr/bin/time -v, and writes bench/out/large.json (wall seconds, Mpix/s, peak RSS per size).
#   bench/large_tile.sh [SIZE ...]
# Needs gdal-bin and a build (CAMPSCOPE_BIN, default build-bench/campscope, else build/campscope).
# The 40000 x 40000 tile takes about 5 GB of disk under bench/out/large and several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(10000 20000 40000)
bin=${CAMPSCOPE_BIN:-}
[[ -n $bin ]] || { [[ -x build-bench/campscope ]] && bin=build-bench/campscope || bin=build/campscope; }
[[ -x $bin ]] || { echo "large_tile: no campscope binary at $bin (run scripts/setup.sh or bench/run_benchmarks.sh first)" >&2; exit 2; }

work=bench/out/large
rm -rf "$work"
mkdir -p "$work"
"$bin" generate --seed 1 --out "$work/sample" >/dev/null
source_tile=$work/sample/tiles/kah_2019-12-24.tif
results=()
for size in "${sizes[@]}"; do
  python3 bench/mosaic_vrt.py "$source_tile" "$size" >"$work/mosaic_$size.vrt"
  gdal_translate -q -of GTiff -co TILED=YES -co COMPRESS=DEFLATE -co BIGTIFF=YES -co NUM_THREADS=2 \
    "$work/mosaic_$size.vrt" "$work/tile_$size.tif"
  printf '{"tiles": [{"path": "tile_%s.tif", "date": "2019-12-24"}]}\n' "$size" >"$work/manifest_$size.json"
  /usr/bin/time -v "$bin" run "$work/manifest_$size.json" --out "$work/out_$size" --threads 2 --backend cpu \
    >"$work/run_$size.log" 2>"$work/time_$size.log"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time_$size.log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time_$size.log")
  seconds=$(python3 -c "import sys; p=sys.argv[1].split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$wall")
  echo "large_tile: ${size}x${size}: ${seconds} s, peak RSS ${rss} kB" >&2
  results+=("{\"size\": $size, \"pixels\": $((size * size)), \"seconds\": $seconds, \"peak_rss_kb\": $rss}")
  rm -f "$work/tile_$size.tif"
done
(IFS=,; printf '{"date": "%s", "commit": "%s", "runs": [%s]}\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
  "$(git rev-parse --short HEAD)" "${results[*]}") >bench/out/large.json
cat bench/out/large.json
