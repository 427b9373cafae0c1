#!/usr/bin/env bash
# Prepares, on this (GPU-less) machine, everything bench/gpu_check.sh needs on a lent GPU machine, which has the
# CUDA toolkit but no GDAL, OpenCV or GoogleTest and cannot install packages: a CUDA build of the binaries and a
# compressed bundle of their shared libraries plus GDAL/PROJ data, in .gpu/ (about 55 MB, under the 64 MiB that
# the device tool carries). Then, with the device tool: run(command="bench/gpu_check.sh", carry=[".gpu"]).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CAMPSCOPE_GPU_BUILD:-build-gpu}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCAMPSCOPE_ENABLE_CUDA=ON -DCAMPSCOPE_BUILD_TESTS=ON \
  -DCAMPSCOPE_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target campscope campscope_tests bench_stages cuda_kernels >/dev/null
grep -q "CAMPSCOPE_WITH_CUDA" "$build/CMakeFiles/campscope_core.dir/flags.make" ||
  { echo "gpu_bundle: $build has no CUDA backend (is nvcc installed?)" >&2; exit 1; }

rm -rf .gpu && mkdir -p .gpu/stage/bin .gpu/stage/lib .gpu/stage/share
# The commit the binaries were built at, for the report (gpu_check.sh puts it into e2e_gpu.json).
{ git rev-parse --short HEAD | tr -d '\n'; git diff --quiet HEAD -- . ':!bench' || printf ' plus uncommitted changes'; } >.gpu/commit
# Stripped, and compressed with the libraries: as plain files the binaries took 14 MB of what the device tool
# carries, the bundle then within 1 MB of its limit.
for exe in campscope campscope_tests bench_stages cuda_kernels; do
  cp "$build/$exe" .gpu/stage/bin/
  strip .gpu/stage/bin/"$exe"
done
# Everything the binaries link against except the C library and the CUDA driver, which the GPU machine has.
ldd .gpu/stage/bin/* | awk '/=>/ {print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*|libcuda)\.so' | xargs -r -I{} cp -L {} .gpu/stage/lib/
cp -r /usr/share/gdal .gpu/stage/share/gdal
# PROJ's database and settings only: the datum-shift grids beside them (about 15 MB) would push the bundle past
# what the device tool carries, and no transform between the samples' CRSs needs them.
mkdir -p .gpu/stage/share/proj
cp /usr/share/proj/proj.db /usr/share/proj/proj.ini .gpu/stage/share/proj/
XZ_OPT=-9e tar -C .gpu/stage -cJf .gpu/runtime.tar.xz .
rm -rf .gpu/stage
du -sh .gpu
