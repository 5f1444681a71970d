#!/usr/bin/env bash
# Runners on PostgreSQL beside their SQLite peers, in one run (see BENCHMARKS.md). Not part of CI.
# Usage: benchmarks/postgres.sh [SENDS] [CLAIM_ENROLMENTS]   (defaults 2000 and 10000000; 0 skips the claim)
#   1. sends per second with 1, 2 and 4 runners sharing 20 Gmail mailboxes of the fake (its limits off), against one
#      runner on SQLite (gmail-throughput), alternating; the statements and server time per send;
#   2. claiming the 1,000 due steps among CLAIM_ENROLMENTS enrolments, on PostgreSQL and on SQLite.
# A durable cluster (fsync and synchronous commits on, as in production) with pg_stat_statements, deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
sends=${1:-2000}
claim=${2:-10000000}
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
bench="$PWD/.build-release/release/CadenceBenchmarks"
export WITH_POSTGRES_DURABLE=1 WITH_POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on"
# shellcheck disable=SC2016
scripts/with-postgres.sh bash -c '
    set -euo pipefail
    bench=$1 sends=$2 claim=$3
    base=${CADENCE_TEST_POSTGRES%%/postgres\?*}
    fresh() {
        local name="bench_$RANDOM$RANDOM"
        psql -q "$CADENCE_TEST_POSTGRES" -c "CREATE DATABASE $name" >/dev/null
        psql -q "$base/$name?sslmode=disable" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
        echo "$base/$name?sslmode=disable"
    }
    echo "== sends per second: runners on PostgreSQL, and one runner on SQLite, alternating"
    for runners in 1 2 4; do
        "$bench" postgres-runners "$(fresh)" 20 "$sends" "$runners"
        "$bench" gmail-throughput 20 "$sends"
    done
    if [ "$claim" -gt 0 ]; then
        echo "== claiming 1000 due steps among $claim enrolments"
        "$bench" postgres-claim "$(fresh)" "$claim" 1000 20
        "$bench" claim "$claim" 1000 20
    fi
' bench "$bench" "$sends" "$claim"
