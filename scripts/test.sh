#!/usr/bin/env bash
# README command 2: install what is missing, build, and run the whole test suite:
#   1. unit and end-to-end tests (RelWithDebInfo, gcc), and a short mend-bench run (bench.smoke)
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. the server and end-to-end tests under ThreadSanitizer
#   4. the frame parser under libFuzzer (clang-14), for a bounded time
# MEND_QUICK=1 runs step 1 only. MEND_FUZZ_SECONDS sets step 4's length (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
step() { printf '\n=== %s ===\n' "$*"; }
configure() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DMEND_BUILD_BENCH=OFF "$@" >/dev/null
}

step "build and test (RelWithDebInfo)"
configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEND_BUILD_BENCH=ON
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

if [ "${MEND_QUICK:-0}" = 1 ]; then exit 0; fi

step "AddressSanitizer + UndefinedBehaviorSanitizer"
configure build-asan -DCMAKE_BUILD_TYPE=Debug -DMEND_SANITIZE=address,undefined
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")

step "ThreadSanitizer (server and end-to-end tests)"
configure build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEND_SANITIZE=thread
cmake --build build-tsan -j "$jobs"
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --output-on-failure -j "$jobs")

step "libFuzzer: frame parser (${MEND_FUZZ_SECONDS:-30} s)"
configure build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DMEND_FUZZ=ON -DMEND_SANITIZE=address,undefined -DMEND_FUZZ_SECONDS="${MEND_FUZZ_SECONDS:-30}"
cmake --build build-fuzz -j "$jobs" --target frame_codec_fuzz
(cd build-fuzz && ctest --output-on-failure -L fuzz)

step "all test stages passed"
