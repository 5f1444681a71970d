#!/usr/bin/env bash
# Times `cadence preview --format eml` against mailmerge 2.3.0 on the same rows, side by side in one run.
# Not part of CI. Usage: benchmarks/preview-vs-mailmerge.sh [ROWS ...]   (default: 10000 100000)
# Needs: python3 with venv, /usr/bin/time (Debian's `time`), network access to PyPI the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=("${@:-10000 100000}")
read -r -a rows <<< "${rows[*]}"
runs=${RUNS:-3}
work=.build-bench
mkdir -p "$work"

swift build -c release --product cadence --scratch-path .build-release >&2
cadence=.build-release/release/cadence

if [ ! -x "$work/venv/bin/mailmerge" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet mailmerge==2.3.0
fi
"$work/venv/bin/mailmerge" --version >&2

source benchmarks/lib.sh

echo "| rows | tool | median wall time (s) | messages/s | peak RSS (MiB) |"
echo "| ---: | --- | ---: | ---: | ---: |"
for n in "${rows[@]}"; do
    csv="$work/candidates-$n.csv"
    [ -f "$csv" ] || python3 benchmarks/generate_candidates.py "$n" "$csv"
    cadence_times=(); mailmerge_times=(); cadence_rss=0; mailmerge_rss=0
    for ((run = 1; run <= runs; run++)); do
        # Alternate the two tools so machine noise hits both alike.
        read -r t m < <(measure "$cadence" preview backend-engineers --candidates "$csv" --step intro --format eml --at 2026-12-01T09:00:00Z)
        cadence_times+=("$t"); (( m > cadence_rss )) && cadence_rss=$m
        read -r t m < <(cd benchmarks/mailmerge && measure "../../$work/venv/bin/mailmerge" --template intro.txt \
            --database "../../$csv" --config mailmerge_server.conf --dry-run --no-limit --output-format raw)
        mailmerge_times+=("$t"); (( m > mailmerge_rss )) && mailmerge_rss=$m
    done
    ct=$(printf '%s\n' "${cadence_times[@]}" | median)
    mt=$(printf '%s\n' "${mailmerge_times[@]}" | median)
    awk -v n="$n" -v t="$ct" -v m="$cadence_rss" 'BEGIN { printf "| %d | cadence preview | %.2f | %.0f | %.1f |\n", n, t, n / t, m / 1024 }'
    awk -v n="$n" -v t="$mt" -v m="$mailmerge_rss" 'BEGIN { printf "| %d | mailmerge 2.3.0 | %.2f | %.0f | %.1f |\n", n, t, n / t, m / 1024 }'
    awk -v a="$ct" -v b="$mt" -v n="$n" 'BEGIN { printf "| %d | ratio (mailmerge / cadence) | %.1f× | | |\n", n, b / a }'
done
