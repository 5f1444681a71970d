#!/usr/bin/env bash
# Reply-watching benchmarks (see BENCHMARKS.md). Not part of CI.
# Usage: benchmarks/replies.sh [RUNS]   (default 2)
#   1. quota units polling spends per mailbox per hour at the default 60 s interval (virtual clock), 0 and 12 replies/h;
#   2. reply -> stopped latency with real `cadence serve` + `cadence run` processes against the fake Gmail:
#      push (run's interval left at its default 60 s) side by side with polling alone (--interval 10, and 60).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
swift build -c release --product cadence --scratch-path .build-release >&2
bench="$PWD/.build-release/release/CadenceBenchmarks"
cadence="$PWD/.build-release/release/cadence"
echo "== quota units spent by polling"
"$bench" reply-quota 6 0
"$bench" reply-quota 6 12
echo "== latency, $runs runs each, alternating"
for run in $(seq "$runs"); do
  "$bench" reply-latency push 30 60 "$cadence"
  "$bench" reply-latency poll 12 10 "$cadence"
done
"$bench" reply-latency poll 6 60 "$cadence"
