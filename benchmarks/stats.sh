#!/usr/bin/env bash
# `cadence stats` at scale: a database of PEOPLE enrolments (default 1,000,000) in ten campaigns with about ten
# events each, then stats of one campaign and of all campaigns from the counters, beside the peer (the same
# numbers recounted with GROUP BY over the raw facts) in the same run. The database is built once and kept at DB
# (default .build-release/stats-PEOPLE.sqlite) so later runs time only the reads.
#
#   benchmarks/stats.sh [PEOPLE] [RUNS] [DB]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
runs=${2:-20}
db=${3:-.build-release/stats-$people.sqlite}
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
.build-release/release/CadenceBenchmarks stats-scale "$db" "$people" "$runs"
