#!/usr/bin/env bash
# `cadence status --forecast` at scale: PEOPLE (default 10,000) launched into a four-step campaign over MAILBOXES
# (default 5) mailboxes at their default caps, then the forecast timed RUNS times, beside the runner itself playing
# the same question on a copy of the database (`run --simulate`) once, in the same run.
#
#   benchmarks/forecast.sh [PEOPLE] [MAILBOXES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
.build-release/release/CadenceBenchmarks forecast-scale "${1:-10000}" "${2:-5}" "${3:-10}" --peer
