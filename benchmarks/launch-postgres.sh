#!/usr/bin/env bash
# `cadence launch` on PostgreSQL (COPY, in batches) beside its floors and its SQLite peer, in one run, alternating:
#   cadence launch --db postgres://…   against   psql's \copy of the same CSV into a new table of text columns, and
#                                      against the schema's floor: \copy of the rows that launch wrote (people,
#                                      enrolments, events) into a new migrated database, in one transaction;
#   cadence launch --db file.sqlite    against   sqlite3's .import of the same CSV.
# Each PostgreSQL launch gets a new migrated database; the cluster is durable (fsync and synchronous commits on, as in
# production), local, and deleted afterwards. Not part of CI.
# Usage: benchmarks/launch-postgres.sh [ROWS ...]   (default: 100000; RUNS=3)
# Needs: python3, /usr/bin/time, sqlite3, Debian's postgresql.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a rows <<< "${*:-100000}"
work=.build-bench
mkdir -p "$work"
swift build -c release --product cadence --scratch-path .build-release >&2
export WITH_POSTGRES_DURABLE=1
# shellcheck disable=SC2016
scripts/with-postgres.sh bash -c '
    set -euo pipefail
    source benchmarks/lib.sh
    cadence=$PWD/.build-release/release/cadence runs=${RUNS:-3} work=$1; shift
    base=${CADENCE_TEST_POSTGRES%%/postgres\?*}
    fresh() {
        local name="bench_$RANDOM$RANDOM"
        psql -q "$CADENCE_TEST_POSTGRES" -c "CREATE DATABASE $name" >/dev/null
        echo "$base/$name?sslmode=disable"
    }
    echo "| rows | tool | median wall time (s) | rows/s | peak RSS (MiB) |"
    echo "| ---: | --- | ---: | ---: | ---: |"
    for n in "$@"; do
        csv="$work/candidates-$n.csv"
        [ -f "$csv" ] || python3 benchmarks/generate_candidates.py "$n" "$csv"
        declare -A times=() rss=()
        for ((run = 1; run <= runs; run++)); do
            url=$(fresh)
            "$cadence" db migrate --db "$url" >/dev/null
            # The clock is pinned (CADENCE_NOW) so the fixed --start stays in the future whenever the benchmark runs.
            read -r t m < <(CADENCE_NOW=2026-11-30T10:00:00Z measure "$cadence" launch backend-engineers --candidates "$csv" --db "$url" --start 2026-12-01T09:00:00Z)
            times[pg]+="$t "; (( m > ${rss[pg]:-0} )) && rss[pg]=$m
            for table in candidate enrollment event; do
                psql -q "$url" -c "\\copy (SELECT * FROM $table ORDER BY id) TO '"'"'$PWD/$work/floor-$table.tsv'"'"'"
            done
            floor=$(fresh)
            "$cadence" db migrate --db "$floor" >/dev/null
            psql -q "$url" -c "COPY campaign TO STDOUT" | psql -q "$floor" -c "COPY campaign FROM STDIN"
            read -r t m < <(measure psql -q -1 "$floor" \
                -c "\\copy candidate FROM '"'"'$PWD/$work/floor-candidate.tsv'"'"'" \
                -c "\\copy enrollment FROM '"'"'$PWD/$work/floor-enrollment.tsv'"'"'" \
                -c "\\copy event FROM '"'"'$PWD/$work/floor-event.tsv'"'"'")
            times[floor]+="$t "; (( m > ${rss[floor]:-0} )) && rss[floor]=$m
            raw=$(fresh)
            psql -q "$raw" -c "CREATE TABLE candidates (email TEXT, firstName TEXT, lastName TEXT, company TEXT, role TEXT, timezone TEXT)"
            read -r t m < <(measure psql -q "$raw" -c "\\copy candidates FROM '"'"'$csv'"'"' WITH (FORMAT csv, HEADER)")
            times[copy]+="$t "; (( m > ${rss[copy]:-0} )) && rss[copy]=$m
            db="$work/launch-pg-peer-$n.sqlite"
            rm -f "$db" "$db-wal" "$db-shm"
            read -r t m < <(CADENCE_NOW=2026-11-30T10:00:00Z measure "$cadence" launch backend-engineers --candidates "$csv" --db "$db" --start 2026-12-01T09:00:00Z)
            times[sqlite]+="$t "; (( m > ${rss[sqlite]:-0} )) && rss[sqlite]=$m
            imported="$work/import-pg-peer-$n.sqlite"
            rm -f "$imported"
            read -r t m < <(measure sqlite3 "$imported" ".import --csv $csv candidates")
            times[import]+="$t "; (( m > ${rss[import]:-0} )) && rss[import]=$m
        done
        for tool in pg floor copy sqlite import; do
            t=$(printf "%s\n" ${times[$tool]} | median)
            declare "median_$tool=$t"
            label=$(case $tool in pg) echo "cadence launch (PostgreSQL, COPY)";; floor) echo "psql \\copy of the launched rows into the schema";; copy) echo "psql \\copy into one table";; sqlite) echo "cadence launch (SQLite)";; import) echo "sqlite3 .import";; esac)
            awk -v n="$n" -v t="$t" -v m="${rss[$tool]}" -v l="$label" '"'"'BEGIN { printf "| %d | %s | %.2f | %.0f | %.1f |\n", n, l, t, n / t, m / 1024 }'"'"'
        done
        awk -v a="$median_pg" -v b="$median_copy" -v n="$n" '"'"'BEGIN { printf "| %d | ratio (PostgreSQL launch / \\copy into one table) | %.1f× | | |\n", n, a / b }'"'"'
        awk -v a="$median_pg" -v b="$median_floor" -v n="$n" '"'"'BEGIN { printf "| %d | ratio (PostgreSQL launch / floor of the schema) | %.1f× | | |\n", n, a / b }'"'"'
        awk -v a="$median_sqlite" -v b="$median_import" -v n="$n" '"'"'BEGIN { printf "| %d | ratio (SQLite launch / .import) | %.1f× | | |\n", n, a / b }'"'"'
        unset times rss
    done
' bench "$work" "${rows[@]}"
