#!/usr/bin/env bash
# Renders an HTML file (the campaign report) to a PNG with headless Chromium, as the report test and the README's
# screenshot do. No network: the page fetches nothing, and Chromium's own background traffic is switched off.
#
#   scripts/render-report.sh REPORT.html OUT.png [WIDTH] [HEIGHT]
set -euo pipefail
html=$1
png=$2
width=${3:-1200}
height=${4:-2400}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "render-report: Chromium is not installed (apt-get install chromium)" >&2
    exit 69
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# A fresh profile each time; Chromium's D-Bus complaints go to a log nobody needs.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$png" "file://$(realpath "$html")" > "$profile/chromium.log" 2>&1 || {
    tail -20 "$profile/chromium.log" >&2
    exit 1
}
test -s "$png"
