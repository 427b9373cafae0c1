#!/usr/bin/env bash
# Runs on a lent GPU machine from the bundle bench/gpu_bundle.sh made (.gpu, carried): the CUDA tests under
# compute-sanitizer, which the CPU-vs-CUDA comparisons cannot replace: an out-of-bounds load whose value is never
# used (a float4 past a row's end, a halo cell read past the shared memory) leaves the outputs equal and still
# faults on another grid. memcheck over every CUDA test but the two densities a million cells and more tall (minutes
# each under the sanitizer), racecheck over the contrast response, whose tiles share memory within a block. Logs go
# to $OUT (the device tool's folder) or bench/out/sanitize; a summary line per run. With the device tool:
#   run(command="bench/gpu_sanitize.sh", carry=[".gpu"], timeout_s=300)
set -uo pipefail
cd "$(dirname "$0")/.."
script=gpu_sanitize default_out=bench/out/sanitize
source bench/gpu_runtime.sh
tests=$bin/campscope_tests
command -v compute-sanitizer >/dev/null || { echo "gpu_sanitize: compute-sanitizer not installed" >&2; exit 2; }
status=0

# sanitize NAME SECONDS TOOL FILTER: one sanitizer run over the tests FILTER selects.
sanitize() {
  local name=$1 seconds=$2 tool=$3 filter=$4
  timeout "$seconds" compute-sanitizer --tool "$tool" --error-exitcode 9 "$tests" --gtest_filter="$filter" \
    >"$out/$name.log" 2>&1
  local rc=$?
  local passed errors
  passed=$(grep -Eo "^\[  PASSED  \] [0-9]+ tests?" "$out/$name.log" | grep -Eo "[0-9]+" || echo 0)
  errors=$(grep -Eo "(ERROR SUMMARY: [0-9]+ errors?|RACECHECK SUMMARY: [0-9]+ hazards? displayed.*)" "$out/$name.log" |
    tail -1)
  echo "$name ($tool): exit $rc, ${passed:-0} tests passed, ${errors:-no sanitizer summary}" | tee -a "$out/summary.txt"
  [[ $rc -eq 0 ]] || status=1
}

: >"$out/summary.txt"
# The density tests first: the row pass's window of float4s read past its cells is the newest code.
sanitize density_memcheck 90 memcheck 'DensityBackends.*:DensityCases/DensityBackends.*-*BitForBit/12:*BitForBit/13'
sanitize contrast_racecheck 60 racecheck '*CudaContrastResponseMatchesTheCpu*'
sanitize kernels_memcheck 60 memcheck '*CudaIntegralImagesMatchTheCpu*:*CudaContrastResponseMatchesTheCpu*:Reduce*Backends*'
sanitize detect_memcheck 90 memcheck 'Scenes/DetectCudaVsCpu.*'
exit $status
