#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: a temporary data folder, a free port on 127.0.0.1, its socket
# in the same temporary folder, fsync off (unless WITH_POSTGRES_DURABLE=1), trust authentication for the `postgres` user. CADENCE_TEST_POSTGRES points
# the command at it; the cluster is stopped and deleted when the command ends, however it ends.
# Usage: scripts/with-postgres.sh swift test        (.ci/run uses it for the test phase)
# Needs Debian's postgresql package. As root (CI), the server runs as the `postgres` user through runuser.
set -euo pipefail

bin=$( (ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true) | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 69
fi

folder=$(mktemp -d /tmp/cadence-postgres.XXXXXX)
as_owner() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$folder"
    as_owner() { runuser -u postgres -- "$@"; }
fi

stop_cluster() {
    as_owner "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$folder"
}
trap stop_cluster EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A language's collation (ICU, en-US) rather than byte order, as production clusters usually have: text sorts
# differently there than in SQLite, and the tests must see it.
as_owner "$bin/initdb" -D "$folder/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --locale-provider=icu --icu-locale=en-US --no-sync \
    >"$folder/initdb.log" 2>&1 || {
    cat "$folder/initdb.log" >&2
    exit 1
}
# Tests need no durability; benchmarks ask for it (WITH_POSTGRES_DURABLE=1: fsync and synchronous commits on, as in
# production) and may add settings of their own (WITH_POSTGRES_OPTIONS, e.g. pg_stat_statements).
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${WITH_POSTGRES_DURABLE:-0}" = 1 ]; then durability=""; fi
as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$folder $durability -c max_connections=200 ${WITH_POSTGRES_OPTIONS:-}" \
    start >/dev/null || {
    cat "$folder/server.log" >&2
    exit 1
}
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $folder)" >&2
export CADENCE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
"$@"
