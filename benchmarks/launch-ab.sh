#!/usr/bin/env bash
# Times two `cadence` binaries launching the same 100,000-row file, alternating run by run, so that a machine
# whose speed drifts treats both alike. Prints each binary's median, fastest and slowest wall time. Not part of CI.
# Usage: benchmarks/launch-ab.sh BINARY_A BINARY_B [RUNS]   (RUNS defaults to 7)
# Keep a binary with `cp .build-release/release/cadence /somewhere/cadence-before` before rebuilding.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 runs=${3:-7}
work=.build-bench
mkdir -p "$work"
csv="$work/candidates-100000.csv"
[ -f "$csv" ] || python3 benchmarks/generate_candidates.py 100000 "$csv"
db="$work/ab.sqlite"
declare -A times
for ((run = 1; run <= runs; run++)); do
    for binary in "$a" "$b"; do
        rm -f "$db" "$db-wal" "$db-shm"
        start=$(date +%s.%N)
        CADENCE_NOW=2026-11-30T10:00:00Z "$binary" launch backend-engineers --candidates "$csv" --db "$db" --start 2026-12-01T09:00:00Z > /dev/null 2>&1
        end=$(date +%s.%N)
        times[$binary]+="$(echo "$end - $start" | bc) "
    done
done
rm -f "$db" "$db-wal" "$db-shm"
for binary in "$a" "$b"; do
    printf '%s\n' ${times[$binary]} | sort -n | awk -v name="$binary" '{ t[NR] = $1 } END { printf "%s: median %.2f s, fastest %.2f s, slowest %.2f s (%d runs)\n", name, t[int((NR + 1) / 2)], t[1], t[NR], NR }'
done
