#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for the tests and the benchmark.
#
#   eval "$(.ci/postgres.sh start DIR [--fast])"   # prints: export TEST_DATABASE_URL=...
#   .ci/postgres.sh stop DIR
#
# The cluster lives in DIR (created, and removed by stop), listens on
# 127.0.0.1 only, on a free port, with a random password for role "portal".
# --fast turns fsync off: fine for tests, wrong for a benchmark.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# "postgres" user that Debian's package creates.
set -euo pipefail

command=${1:?usage: $0 start|stop DIR [--fast]}
dir=${2:?usage: $0 start|stop DIR [--fast]}
fast=${3:-}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
fi

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        chmod 700 "$dir"
    fi
    password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s\n' "$password" | as_owner tee "$dir/password" >/dev/null
    as_owner "$bindir/initdb" --pgdata="$dir/data" --username=portal --pwfile="$dir/password" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir"
    options+=" -c max_connections=200"
    if [[ "$fast" == "--fast" ]]; then
        options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --options="$options" \
        --wait --timeout=60 start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export TEST_DATABASE_URL=postgresql+psycopg://portal:$password@127.0.0.1:$port/postgres"
    ;;
stop)
    if [[ -d "$dir/data" ]]; then
        as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR [--fast]" >&2
    exit 2
    ;;
esac
