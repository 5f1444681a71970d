#!/usr/bin/env bash
# Runner throughput through the outbox provider, every send durable (the .eml flushed and renamed; intent and
# outcome each committed with synchronous = FULL). Not part of CI.
# Usage: benchmarks/runner-throughput.sh [CANDIDATES]   (default 1000; at most 1000, the mailbox's daily cap is 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
swift build -c release --product cadence --scratch-path .build-release >&2
cadence="$PWD/.build-release/release/cadence"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sequences" "$work/templates"
cat > "$work/cadence.json" <<'JSON'
{ "mailboxes": [ { "name": "sam", "address": "sam@example.com", "displayName": "Sam", "timeZone": "UTC",
                   "limits": { "dailyCap": 2000, "hourlyCap": 2000, "minimumGap": "0s" } } ] }
JSON
cat > "$work/sequences/t.json" <<'JSON'
{ "id": "t", "name": "T", "mailboxes": ["sam"], "timeZone": "UTC",
  "sendWindow": { "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" },
  "steps": [ { "id": "intro", "type": "email", "template": "intro.md" } ] }
JSON
printf 'Subject: Hello <<candidate.firstName>>\n\nHi <<candidate.firstName>>, a short note.\n' > "$work/templates/intro.md"
{ echo "email,firstName"; for i in $(seq 1 "$n"); do echo "p$i@example.org,P$i"; done; } > "$work/people.csv"
cd "$work"
export CADENCE_NOW=2026-12-01T09:00:00Z
"$cadence" launch t --candidates people.csv > /dev/null
start=$(date +%s.%N)
passes=0
while :; do
    passes=$((passes + 1))
    out=$("$cadence" run --once)
    case "$out" in *"Sent 0;"*) break ;; esac
done
end=$(date +%s.%N)
sent=$(ls outbox/sam | grep -c '\.eml$')
awk -v s="$start" -v e="$end" -v n="$sent" -v p="$passes" 'BEGIN { printf "sent %d messages in %.2f s over %d passes: %.0f sends/s\n", n, e - s, p, n / (e - s) }'
