#!/usr/bin/env bash
# Builds mendd, mend-echo and mend-bench (RelWithDebInfo, in build/ unless
# MEND_BUILD_DIR says otherwise) and runs the benchmark; arguments go to
# mend-bench, e.g.  bash bench/run.sh --svg latency.svg
# MEND_JOBS sets the build's parallelism (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${MEND_BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEND_BUILD_BENCH=ON >/dev/null
cmake --build "$dir" -j "${MEND_JOBS:-$(nproc)}" --target mendd mend-echo mend-bench
exec "$dir/bench/mend-bench" "$@"
