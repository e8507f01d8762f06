#!/usr/bin/env bash
# README command 1: install what is missing, build mendd (Release) and run it on
# 127.0.0.1:8470 with its SQLite database in the data directory. Arguments are
# passed to mendd (see `mendd --help`), e.g. --data-dir /var/lib/mendd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMEND_BUILD_TESTS=OFF -DMEND_BUILD_BENCH=OFF >/dev/null
echo "building mendd (first build takes a few minutes)..."
cmake --build build-release --target mendd
exec ./build-release/server/mendd "$@"
