# Shared by the benchmark scripts: timing under /usr/bin/time and medians. Source it; do not run it.

# Runs "$@" under /usr/bin/time -v with its output discarded; prints "seconds peak_kib".
measure() {
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" > /dev/null 2> "$log" || { tail -5 "$log" >&2; rm -f "$log"; return 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; secs = s }
                /Maximum resident set size/ { kib = $2 }
                END { printf "%.2f %d\n", secs, kib }' "$log"
    rm -f "$log"
}

# The median of the numbers on standard input, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
