#!/usr/bin/env bash
# The tracking routes of a real `cadence serve` beside a plain Hummingbird route that answers the same GIF and
# records nothing, in one run on this machine (see BENCHMARKS.md). Not part of CI.
# Usage: benchmarks/tracking.sh [SENDS] [SECONDS] [CONNECTIONS]     (defaults 2000 20 64)
# Needs wrk (apt-get install -y wrk) and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
sends=${1:-2000}
seconds=${2:-20}
connections=${3:-64}
for tool in wrk sqlite3; do command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y $tool" >&2; exit 1; }; done
swift build -c release --product cadence --scratch-path .build-release >&2
swift build -c release --product CadenceBenchmarks --scratch-path .build-release >&2
bin=$PWD/.build-release/release
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$bin/CadenceBenchmarks" tracking-prepare "$work/project" "$sends"
listening() {  # FILE: waits for the server's "Listening on URL" line and prints URL
  for _ in $(seq 600); do
    url=$(sed -n 's/^Listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$1")
    if [ -n "$url" ]; then echo "$url"; return; fi
    sleep 0.1
  done
  echo "no Listening line in $1" >&2; exit 1
}
(cd "$work/project" && exec "$bin/cadence" serve --port 0 >"$work/serve.out" 2>"$work/serve.err") &
serve=$!; pids+=("$serve")
"$bin/CadenceBenchmarks" tracking-plain 0 >"$work/plain.out" 2>&1 &
pids+=("$!")
serve_url=$(listening "$work/serve.out")
plain_url=$(listening "$work/plain.out")
cat >"$work/paths.lua" <<'LUA'
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local index = math.random(#paths)
request = function()
  index = index % #paths + 1
  return wrk.format("GET", paths[index], { ["User-Agent"] = "Mozilla/5.0 (wrk benchmark)" })
end
LUA
events() { sqlite3 "$work/project/cadence.sqlite" "SELECT COUNT(*) FROM trackingEvent WHERE kind = '$1'"; }
settle() {  # KIND: waits until the count stops moving
  previous=-1
  for _ in $(seq 600); do now=$(events "$1"); [ "$now" = "$previous" ] && return; previous=$now; sleep 1; done
}
saturate() {  # NAME URL PATHS: wrk at saturation; prints requests/s
  echo "== $1: wrk -t2 -c$connections -d${seconds}s" >&2
  PATHS="$3" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$work/paths.lua" "$2" | tee "$work/$1.wrk" >&2
  awk '/^Requests\/sec/ { print int($2) }' "$work/$1.wrk"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); serve pid $serve"
# The peer is measured before and after, and the ratios are taken against the faster of the two: this machine's
# speed drifts between runs of 20 s, and the higher figure is the harder one to come near.
plain_first=$(saturate plain-pixel "$plain_url" "$work/project/pixels.txt")
before=$(events open)
pixel_rate=$(saturate serve-pixel "$serve_url" "$work/project/pixels.txt")
click_before=$(events click)
click_rate=$(saturate serve-click "$serve_url" "$work/project/clicks.txt")
settle open; settle click
plain_second=$(saturate plain-pixel-again "$plain_url" "$work/project/pixels.txt")
plain_rate=$(( plain_first > plain_second ? plain_first : plain_second ))
echo "saturation, $connections connections, ${seconds}s each: plain GIF route $plain_first and $plain_second req/s (before and after); cadence serve pixel $pixel_rate req/s ($((100 * pixel_rate / plain_rate))% of the faster plain run); click $click_rate req/s ($((100 * click_rate / plain_rate))%)"
echo "wrk completed $(awk '/requests in/ { print $1 }' "$work/serve-pixel.wrk") pixel requests; opens recorded meanwhile: $(( $(events open) - before )) (wrk leaves up to $connections in flight uncounted when it stops)"

# Fixed rates: half of each route's saturation rate, as asked, and a fixed rate the load generator (Swift, on the
# same 2 cores) can itself keep (FIXED_RATE, default 3000), since it says when it falls behind.
# The peer at the pixel's half rate: what this machine (generator and server on the same two cores) does with a
# route that records nothing, so the pixel's p99 can be read against it.
settle open; settle click
echo "plain GIF route, open loop at the pixel's half rate:"
"$bin/CadenceBenchmarks" tracking-open-loop "$plain_url" "$work/project/pixels.txt" "$((pixel_rate / 2))" "$seconds"
for kind in pixel click; do
  [ "$kind" = pixel ] && half=$((pixel_rate / 2)) || half=$((click_rate / 2))
  table=$([ "$kind" = pixel ] && echo open || echo click)
  for rate in "$half" "${FIXED_RATE:-3000}"; do
    settle open; settle click  # what wrk left behind is written first: not counted here, and not competing for the cores
    start=$(events "$table")
    "$bin/CadenceBenchmarks" tracking-open-loop "$serve_url" "$work/project/${kind}s.txt" "$rate" "$seconds" | tee "$work/open-$kind.out"
    answered=$(sed -n 's/^answered 200 or 302: \([0-9]*\)$/\1/p' "$work/open-$kind.out")
    for _ in $(seq 300); do [ $(( $(events "$table") - start )) -ge "${answered:-0}" ] && break; sleep 0.1; done
    echo "$kind at $rate req/s: ${answered:-0} answered, $(( $(events "$table") - start )) recorded"
  done
done

echo "memory of cadence serve over 60 s of pixels at saturation (VmRSS, kB):"
PATHS="$work/project/pixels.txt" wrk -t2 -c"$connections" -d60s -s "$work/paths.lua" "$serve_url" >"$work/memory.wrk" &
load=$!
samples=()
for _ in $(seq 7); do samples+=("$(awk '/VmRSS/ { print $2 }' /proc/"$serve"/status)"); sleep 10; done
wait "$load"
echo "  ${samples[*]}"
kill -TERM "$serve"; wait "$serve" || true
echo "after SIGTERM: $(events open) opens and $(events click) clicks recorded in all"
