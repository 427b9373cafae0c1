#!/usr/bin/env bash
# Runs on a lent GPU machine from the bundle bench/gpu_bundle.sh made (.gpu, carried): the test suite (its CPU-vs-CUDA
# tests run there), `campscope run` on the generated sample with both backends (outputs must be identical), an
# end-to-end batch on both backends beside its decode floor, the CUDA stage benchmarks next to their CPU
# counterparts, every kernel timed with CUDA events against the device's copy bandwidth (cuda_kernels.json), and
# Nsight Compute's speed-of-light figures for each kernel (ncu.txt: which unit limits it). Results go to $OUT (the
# device tool's folder) or bench/out/gpu: eight files, as many as the device tool brings back.
set -uo pipefail
cd "$(dirname "$0")/.."
script=gpu_check default_out=bench/out/gpu
source bench/gpu_runtime.sh
export CAMPSCOPE_BIN=$bin/campscope
status=0
nvidia-smi -L | tee "$out/summary.txt"

echo "== tests (the CPU-vs-CUDA ones run here; without a device they skip)" | tee -a "$out/summary.txt"
"$bin"/campscope_tests >"$out/tests.log" 2>&1 || status=1
grep -E "^\[  (PASSED|FAILED|SKIPPED) " "$out/tests.log" | tee -a "$out/summary.txt"

# Outputs of two runs of the same manifest must be byte-identical across backends: lists the files that differ.
compare_runs() {
  local differing=0 same=0
  for f in "$1"/*; do
    if cmp -s "$f" "$2/$(basename "$f")"; then same=$((same + 1)); else echo "DIFFERS $(basename "$f")"; differing=$((differing + 1)); fi
  done
  echo "$same files identical, $differing differ"
  [[ $differing -eq 0 ]]
}

echo "== campscope run on the sample: cpu vs cuda" | tee -a "$out/summary.txt"
sample=$work/sample
"$CAMPSCOPE_BIN" generate --seed 1 --out "$sample" >/dev/null
for backend in cpu cuda; do
  "$CAMPSCOPE_BIN" run "$sample/manifest.json" --backend "$backend" --out "$work/run-$backend" >/dev/null \
    2>>"$out/run.log" || status=1
done
compare_runs "$work/run-cpu" "$work/run-cuda" | tee -a "$out/summary.txt" || status=1

# A batch of copies of the sample: the decode floor (GDAL alone, 2 threads, as on the CPU machine), then each
# backend on 2 threads and on every core. The CUDA runs' outputs must match the CPU runs'.
echo "== end to end" | tee -a "$out/summary.txt"
copies=${CAMPSCOPE_GPU_COPIES:-20}
batch=$work/batch/manifest.json
bench/make_batch.py "$sample" "$work/batch" "$copies"
"$bin"/bench_stages --decode-manifest "$batch" >"$work/decode.json" || status=1
runs=()
for run in "cpu 2" "cpu $(nproc)" "cuda 2" "cuda $(nproc)"; do
  read -r backend threads <<<"$run"
  started=$EPOCHREALTIME
  "$CAMPSCOPE_BIN" run "$batch" --backend "$backend" --threads "$threads" --out "$work/e2e-$backend" >/dev/null \
    2>>"$out/run.log" || status=1
  runs+=("$backend" "$threads" "$started" "$EPOCHREALTIME")
done
python3 - "$work/decode.json" "$copies" "$(cat .gpu/commit 2>/dev/null || echo unknown)" "${runs[@]}" \
  >"$out/e2e_gpu.json" <<'EOF'
import json, sys
decode, copies, commit, runs = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
print(json.dumps({"commit": commit, "copies": copies, "tiles": decode["tiles"], "pixels": decode["pixels"],
                  "decode_seconds": decode["seconds"], "decode_threads": decode["decode_threads"],
                  "runs": [{"backend": runs[i], "threads": int(runs[i + 1]),
                            "seconds": float(runs[i + 3]) - float(runs[i + 2])} for i in range(0, len(runs), 4)]},
                 indent=1))
EOF
tee -a "$out/summary.txt" <"$out/e2e_gpu.json"
compare_runs "$work/e2e-cpu" "$work/e2e-cuda" | tee -a "$out/summary.txt" || status=1

echo "== CUDA stage benchmarks" | tee -a "$out/summary.txt"
"$bin"/bench_stages "--benchmark_filter=cuda|^(detect|density_map|reduce)/campscope/" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/gpu.json" --benchmark_out_format=json \
  >"$out/bench.log" 2>&1 || status=1
grep -E "median" "$out/bench.log" | tee -a "$out/summary.txt"

echo "== CUDA kernels against copy bandwidth" | tee -a "$out/summary.txt"
"$bin"/cuda_kernels --size 4096 --repeats 20 >"$out/cuda_kernels.json" 2>>"$out/summary.txt" || status=1
tee -a "$out/summary.txt" <"$out/cuda_kernels.json"

# Every launch of a 4096 x 4096 run with one timed repeat (three warm-ups each) fits in 60; make_results.py reads
# the first of each kernel. Clocks left as they are: the machine's settings are not ours to change.
echo "== what limits each kernel (Nsight Compute)" | tee -a "$out/summary.txt"
if command -v ncu >/dev/null; then
  timeout 180 ncu --clock-control none --section SpeedOfLight -c 60 "$bin"/cuda_kernels --size 4096 --repeats 1 \
    >"$out/ncu.txt" 2>&1 || { echo "ncu failed: see ncu.txt" | tee -a "$out/summary.txt"; status=1; }
else
  echo "ncu not installed: skipped" | tee -a "$out/summary.txt"
fi
exit $status
