#!/usr/bin/env bash
# Runs on a lent GPU machine from the bundle bench/gpu_bundle.sh made (.gpu, carried): the CPU-vs-CUDA tests,
# `campscope run` on the generated sample with both backends (outputs must be identical), the CUDA stage
# benchmarks next to their CPU counterparts, and every kernel timed with CUDA events against the device's copy
# bandwidth (cuda_kernels.json). Results go to $OUT (the device tool's folder) or bench/out/gpu.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out/gpu}
mkdir -p "$out" /tmp/campscope-gpu
tar -C /tmp/campscope-gpu -xJf .gpu/runtime.tar.xz || { echo "gpu_check: no .gpu/runtime.tar.xz (carry .gpu)" >&2; exit 2; }
export LD_LIBRARY_PATH=/tmp/campscope-gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GDAL_DATA=/tmp/campscope-gpu/share/gdal PROJ_DATA=/tmp/campscope-gpu/share/proj PROJ_LIB=/tmp/campscope-gpu/share/proj
export CAMPSCOPE_BIN=$PWD/.gpu/bin/campscope
status=0
nvidia-smi -L | tee "$out/device.txt"

echo "== CPU vs CUDA tests" | tee "$out/summary.txt"
.gpu/bin/campscope_tests --gtest_filter='*Cuda*:*Backends*' >"$out/tests_cuda.log" 2>&1 || status=1
tail -3 "$out/tests_cuda.log" | tee -a "$out/summary.txt"
.gpu/bin/campscope_tests >"$out/tests_all.log" 2>&1 || status=1
tail -1 "$out/tests_all.log" | tee -a "$out/summary.txt"

echo "== campscope run: cpu vs cuda" | tee -a "$out/summary.txt"
sample=/tmp/campscope-gpu/sample
"$CAMPSCOPE_BIN" generate --seed 1 --out "$sample" >/dev/null
for backend in cpu cuda; do
  /usr/bin/time -f "$backend %e s" "$CAMPSCOPE_BIN" run "$sample/manifest.json" --backend "$backend" \
    --out "/tmp/campscope-gpu/run-$backend" >"$out/run_$backend.log" 2>"$out/run_$backend.err" || status=1
  tail -1 "$out/run_$backend.err" | tee -a "$out/summary.txt"
done
for f in /tmp/campscope-gpu/run-cpu/*; do
  name=$(basename "$f")
  if cmp -s "$f" "/tmp/campscope-gpu/run-cuda/$name"; then echo "identical $name"; else echo "DIFFERS $name"; status=1; fi
done | tee -a "$out/summary.txt"

echo "== CUDA stage benchmarks" | tee -a "$out/summary.txt"
.gpu/bin/bench_stages "--benchmark_filter=cuda|^(detect|density_map|reduce)/campscope/" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/gpu.json" --benchmark_out_format=json \
  >"$out/bench.log" 2>&1 || status=1
grep -E "median" "$out/bench.log" | tee -a "$out/summary.txt"

echo "== CUDA kernels against copy bandwidth" | tee -a "$out/summary.txt"
.gpu/bin/cuda_kernels --size 4096 --repeats 20 >"$out/cuda_kernels.json" 2>"$out/cuda_kernels.err" || status=1
cat "$out/cuda_kernels.json" "$out/cuda_kernels.err" | tee -a "$out/summary.txt"
exit $status
