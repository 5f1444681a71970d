#!/usr/bin/env bash
# Gmail sending benchmarks against the fake Gmail over HTTP on loopback (see BENCHMARKS.md). Not part of CI.
# Usage: benchmarks/gmail.sh [RUNS]   (default 3)
#   1. quota use: 20 mailboxes, Gmail's per-user rate enforced by the fake, 20,000 people, 10 virtual minutes;
#   2. engine throughput, the fake's limits off, every send durable: gmail and outbox runs alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
bench="$PWD/.build-release/release/CadenceBenchmarks"
echo "== quota use"
"$bench" gmail-quota 20 1000 10
echo "== throughput, $runs runs each, alternating"
for run in $(seq "$runs"); do
  "$bench" gmail-throughput 20 2000
  "$bench" outbox-throughput 20 2000
done
