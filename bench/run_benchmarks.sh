#!/usr/bin/env bash
# Per-stage benchmarks against OpenCV, then an end-to-end `campscope run` over a batch of generated tiles with its
# I/O floor, then bench/RESULTS.md. See bench/README.md.
#
#   bench/run_benchmarks.sh [--copies N] [--repetitions N] [--min-time SECONDS]
#
#   --copies N        the end-to-end batch is N copies of the generated sample (18 tiles of 1024 x 1024, 18.9 Mpix
#                     each; copy k is dated k years later). Default 1; 53 copies make the gigapixel batch (~1.0 Gpix).
#   --repetitions N   repetitions of each stage benchmark (default 3)
#   --min-time S      minimum seconds per repetition (default: Google Benchmark's 0.5)
#
# Environment: CAMPSCOPE_BENCH_BUILD (build directory, default build-bench), CAMPSCOPE_ENABLE_CUDA (ON or OFF,
# default OFF), CAMPSCOPE_BENCH_THREADS (threads for `campscope run`, default 2; the stage benchmarks always use 2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${CAMPSCOPE_BENCH_BUILD:-build-bench}
cuda=${CAMPSCOPE_ENABLE_CUDA:-OFF}
threads=${CAMPSCOPE_BENCH_THREADS:-2}
out=bench/out
copies=1
repetitions=3
min_time=""

usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --copies) copies=${2:?}; shift 2 ;;
    --repetitions) repetitions=${2:?}; shift 2 ;;
    --min-time) min_time=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$copies" =~ ^[1-9][0-9]*$ && "$copies" -le 1000 ]] || { echo "--copies must be 1..1000" >&2; exit 2; }
[[ "$repetitions" =~ ^[1-9][0-9]*$ ]] || { echo "--repetitions must be a positive integer" >&2; exit 2; }

echo "== build ($build, Release, CUDA $cuda)" >&2
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAMPSCOPE_ENABLE_CUDA="$cuda" -DCAMPSCOPE_BUILD_TESTS=OFF \
  -DCAMPSCOPE_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target campscope bench_stages >/dev/null
[[ -x "$build/bench_stages" ]] || { echo "bench_stages was not built: is libbenchmark-dev installed?" >&2; exit 1; }

# Results of the other bench scripts (large tile, KIT accuracy, interval coverage, and the GPU figures that
# gpu_check.sh brought back from a lent device) stay for make_results.py.
mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 ! -name large.json ! -name kit.json ! -name 'coverage*' ! -name gpu.json \
  ! -name cuda_kernels.json ! -name e2e_gpu.json ! -name ncu.txt ! -name sanitize.txt -exec rm -rf {} +

# The commit the figures are measured at, recorded with them (RESULTS.md may be regenerated later).
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!bench/RESULTS.md' || commit+=" (plus uncommitted changes)"

# A command as one line a shell can run again.
show() { printf '%q ' "$@" | sed 's/ $//'; }

# Repetitions in random order across benchmarks: each campscope stage and its OpenCV peer then run interleaved,
# under the same machine state, rather than one after the other (back to back, the ratio moved by up to 25%).
stage_args=(--benchmark_repetitions="$repetitions" --benchmark_enable_random_interleaving=true
  --benchmark_report_aggregates_only=true --benchmark_out_format=json)
[[ -n "$min_time" ]] && stage_args+=(--benchmark_min_time="$min_time")
stages_cmd=("$build/bench_stages" --benchmark_filter=-cuda --benchmark_out="$out/stages.json" "${stage_args[@]}")
echo "== stages: $(show "${stages_cmd[@]}")" >&2
"${stages_cmd[@]}" | tee "$out/stages.log"

# The CUDA variants exist only in a CUDA build and register only when a device is present; the CPU runs of the
# same stages go with them so that the ratio comes from one process.
if [[ "$cuda" == ON ]] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  gpu_cmd=("$build/bench_stages" "--benchmark_filter=cuda|^(detect|density_map|reduce)/campscope/"
           --benchmark_out="$out/gpu.json" "${stage_args[@]}")
  echo "== gpu: $(show "${gpu_cmd[@]}")" >&2
  "${gpu_cmd[@]}" | tee "$out/gpu.log"
fi

generate_cmd=("$build/campscope" generate --seed 1 --out "$out/sample")
echo "== end to end: $(show "${generate_cmd[@]}")" >&2
"${generate_cmd[@]}" >"$out/generate.log"

"$root/bench/make_batch.py" "$out/sample" "$out/batch" "$copies"

decode_cmd=("$build/bench_stages" --decode-manifest "$out/batch/manifest.json")
echo "== decode floor: $(show "${decode_cmd[@]}")" >&2
"${decode_cmd[@]}" >"$out/decode.json"
cat "$out/decode.json" >&2

run_cmd=("$build/campscope" run "$out/batch/manifest.json" --out "$out/run" --threads "$threads" --backend cpu)
echo "== pipeline: /usr/bin/time -v $(show "${run_cmd[@]}")" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s.%N)
/usr/bin/time -v -o "$out/run_time.txt" "${run_cmd[@]}" >"$out/run.log" 2>&1
finished=$(date +%s.%N)
tail -n 3 "$out/run.log" >&2

# Cross-check of the floor with GDAL's own tool: one process per tile of the sample (startup included).
checksum_cmd="for tile in $out/sample/tiles/*.tif; do gdalinfo -checksum \$tile; done"
echo "== gdal cross-check: $checksum_cmd" >&2
checksum_started=$(date +%s.%N)
for tile in "$out"/sample/tiles/*.tif; do gdalinfo -checksum "$tile" >/dev/null; done
checksum_finished=$(date +%s.%N)

python3 - "$out" "$copies" "$threads" "$load_before" "$started" "$finished" "$checksum_started" "$checksum_finished" \
  "$(show "${stages_cmd[@]}")" "$(show "${generate_cmd[@]}")" "$(show "${decode_cmd[@]}")" \
  "/usr/bin/time -v $(show "${run_cmd[@]}")" "$checksum_cmd" "$commit" <<'EOF'
import json, os, sys
out, copies, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load_before = [float(x) for x in sys.argv[4].split()]
started, finished, checksum_started, checksum_finished = map(float, sys.argv[5:9])
commands = dict(zip(["stages", "generate", "decode_floor", "run", "gdal_checksum"], sys.argv[9:14]))
with open(os.path.join(out, "decode.json")) as f:
    decode = json.load(f)
time_v = {}
with open(os.path.join(out, "run_time.txt")) as f:
    for line in f:
        key, _, value = line.strip().rpartition(": ")
        if key:
            time_v[key] = value
e2e = {
    "commit": sys.argv[14],
    "copies": copies,
    "threads": threads,
    "load_average_before_run": load_before,
    "tiles": decode["tiles"],
    "pixels": decode["pixels"],
    "run_seconds": finished - started,
    "run_exit_status": int(time_v.get("Exit status", "-1")),
    "peak_rss_kb": int(time_v["Maximum resident set size (kbytes)"]),
    "run_user_seconds": float(time_v["User time (seconds)"]),
    "run_system_seconds": float(time_v["System time (seconds)"]),
    "decode_seconds": decode["seconds"],
    "decode_blocks": decode["blocks"],
    "decode_threads": decode["decode_threads"],
    "block_size": decode["block_size"],
    "gdal_checksum_seconds": checksum_finished - checksum_started,
    "gdal_checksum_tiles": decode["tiles"] // copies,
    "gdal_checksum_pixels": decode["pixels"] // copies,
    "commands": commands,
}
with open(os.path.join(out, "e2e.json"), "w") as f:
    json.dump(e2e, f, indent=2)
EOF

# Written beside the outputs and then moved: the commit check in make_results.py sees the tree as it was, and a
# failing report leaves the last RESULTS.md whole.
python3 bench/make_results.py "$out" >"$out/RESULTS.md"
mv "$out/RESULTS.md" bench/RESULTS.md
echo "== wrote bench/RESULTS.md from $out/" >&2
