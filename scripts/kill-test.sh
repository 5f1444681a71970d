#!/usr/bin/env bash
# The exactly-once kill test with more kills than CI runs (CI runs 50). Not part of CI.
# Usage: scripts/kill-test.sh [KILLS] [SEED]     e.g. scripts/kill-test.sh 500 42
# A failure prints the seed; run again with the same KILLS and SEED to replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
export KILLS="${1:-500}"
export KILL_SEED="${2:-$RANDOM$RANDOM}"
echo "kill test: $KILLS kills, seed $KILL_SEED"
swift test --filter KillTests
