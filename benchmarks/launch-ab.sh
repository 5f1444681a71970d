#!/usr/bin/env bash
# Times two `cadence` binaries launching the same 100,000-row file, alternating run by run, so that a machine
# whose speed drifts treats both alike. Prints each binary's median, fastest and slowest wall time. Not part of CI.
# Usage: benchmarks/launch-ab.sh BINARY_A BINARY_B [RUNS]   (RUNS defaults to 7)
# Keep a binary with `cp .build-release/release/cadence /somewhere/cadence-before` before rebuilding.
set -euo pipefail
binaries=("$(realpath "$1")" "$(realpath "$2")")
runs=${3:-7}
cd "$(dirname "$0")/.."
work=.build-bench
mkdir -p "$work"
csv="$work/candidates-100000.csv"
[ -f "$csv" ] || python3 benchmarks/generate_candidates.py 100000 "$csv"
db="$work/ab.sqlite"
times=("" "")
for ((run = 1; run <= runs; run++)); do
    for which in 0 1; do
        rm -f "$db" "$db-wal" "$db-shm"
        start=$(date +%s.%N)
        if ! CADENCE_NOW=2026-11-30T10:00:00Z "${binaries[$which]}" launch backend-engineers --candidates "$csv" --db "$db" \
            --start 2026-12-01T09:00:00Z > /dev/null 2> "$work/ab.stderr"; then
            echo "${binaries[$which]} failed:" >&2
            cat "$work/ab.stderr" >&2
            exit 1
        fi
        end=$(date +%s.%N)
        times[$which]+="$(echo "$end - $start" | bc) "
    done
done
rm -f "$db" "$db-wal" "$db-shm" "$work/ab.stderr"
for which in 0 1; do
    printf '%s\n' ${times[$which]} | sort -n | awk -v name="${binaries[$which]}" '{ t[NR] = $1 } END { printf "%s: median %.2f s, fastest %.2f s, slowest %.2f s (%d runs)\n", name, t[int((NR + 1) / 2)], t[1], t[NR], NR }'
done
