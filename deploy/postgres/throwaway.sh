#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a directory, for tests and benchmarks:
#   deploy/postgres/throwaway.sh start DIR [PORT]   prints the server's URL
#   deploy/postgres/throwaway.sh stop DIR           stops it and removes DIR
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# `postgres` user (Debian's package makes it). Trust authentication on
# 127.0.0.1 only; fsync off: nothing in it is worth keeping.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            { echo "the postgres user cannot write to $dir (a parent folder is private?)" >&2; exit 1; }
    fi
    as_owner "$bin/initdb" -D "$dir/data" -U pressfeed --auth=trust -E UTF8 --locale=C >"$dir/initdb.log"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=2000" \
        start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U pressfeed pressfeed
    echo "postgres://pressfeed@127.0.0.1:$port/pressfeed"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
