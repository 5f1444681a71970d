#!/usr/bin/env bash
# The README's picture of the HTML report: the sandbox demo's campaign, reported and rendered by headless Chromium
# (scripts/render-report.sh), as the report's render test does.
#
#   scripts/report-screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images/report.png}
swift build --product cadence >&2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && "$OLDPWD/.build/debug/cadence" demo --sandbox --report "$scratch/report.html" > /dev/null)
bash scripts/render-report.sh "$scratch/report.html" "$out" 1100 1500
echo "wrote $out"
