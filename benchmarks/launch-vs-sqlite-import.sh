#!/usr/bin/env bash
# Times `cadence launch` against sqlite3's own `.import` of the same CSV into a new table (the floor), side by side.
# Not part of CI. Usage: benchmarks/launch-vs-sqlite-import.sh [ROWS ...]   (default: 10000 100000)
# Needs: python3, /usr/bin/time (Debian's `time`), sqlite3 (Debian's `sqlite3`).
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a rows <<< "${*:-10000 100000}"
runs=${RUNS:-3}
now=2026-11-30T10:00:00Z
work=.build-bench
mkdir -p "$work"
swift build -c release --product cadence --scratch-path .build-release >&2
cadence=.build-release/release/cadence
sqlite3 --version >&2

source benchmarks/lib.sh

echo "| rows | tool | median wall time (s) | rows/s | peak RSS (MiB) |"
echo "| ---: | --- | ---: | ---: | ---: |"
for n in "${rows[@]}"; do
    csv="$work/candidates-$n.csv"
    [ -f "$csv" ] || python3 benchmarks/generate_candidates.py "$n" "$csv"
    cadence_times=(); import_times=(); cadence_rss=0; import_rss=0
    for ((run = 1; run <= runs; run++)); do
        db="$work/launch-$n.sqlite"
        rm -f "$db" "$db-wal" "$db-shm"
        # The clock is pinned (CADENCE_NOW) so the fixed --start stays in the future whenever the benchmark runs.
        read -r t m < <(CADENCE_NOW="$now" measure "$cadence" launch backend-engineers --candidates "$csv" --db "$db" --start 2026-12-01T09:00:00Z)
        cadence_times+=("$t"); (( m > cadence_rss )) && cadence_rss=$m
        raw="$work/import-$n.sqlite"
        rm -f "$raw"
        read -r t m < <(measure sqlite3 "$raw" ".import --csv $csv candidates")
        import_times+=("$t"); (( m > import_rss )) && import_rss=$m
    done
    ct=$(printf '%s\n' "${cadence_times[@]}" | median)
    it=$(printf '%s\n' "${import_times[@]}" | median)
    awk -v n="$n" -v t="$ct" -v m="$cadence_rss" 'BEGIN { printf "| %d | cadence launch | %.2f | %.0f | %.1f |\n", n, t, n / t, m / 1024 }'
    awk -v n="$n" -v t="$it" -v m="$import_rss" 'BEGIN { printf "| %d | sqlite3 .import | %.2f | %.0f | %.1f |\n", n, t, n / t, m / 1024 }'
    awk -v a="$ct" -v b="$it" -v n="$n" 'BEGIN { printf "| %d | ratio (cadence / import) | %.1f× | | |\n", n, a / b }'
done
