#!/usr/bin/env bash
# Incoming-mail classification throughput on the labelled corpus, one core (see BENCHMARKS.md). Not part of CI.
# Usage: benchmarks/classify.sh [ROUNDS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
swift build -c release --product CadenceClassifyBenchmark --scratch-path .build-release >&2
# One core: the classifier is a pure function and runs on one thread; taskset pins it so the figure is per core.
taskset -c 0 .build-release/release/CadenceClassifyBenchmark classify-corpus Tests/CadenceCoreTests/Fixtures/corpus "$rounds"
