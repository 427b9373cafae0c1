#!/usr/bin/env bash
# Sets up, builds and runs every test (CUDA tests skip without a device).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j2 --timeout 1200
