#!/bin/sh
# A throwaway PostgreSQL for the tests and benchmarks, never the machine's own cluster.
#   scripts/postgres.sh start PORT   install Debian's postgresql if missing, start a cluster
#                                    in a new temporary folder on 127.0.0.1:PORT, and print
#                                    its URL, then the folder
#   scripts/postgres.sh stop DIR     stop that cluster and delete its folder
# Installing needs root (apt-get); the cluster runs as the `postgres` user when run as root
# (PostgreSQL refuses root). Exit status 3: PostgreSQL is missing and cannot be installed.
set -eu

bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {  # run a server command as the cluster's owner
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

install() {
    [ -n "$(bin_dir)" ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
        exit 3
    fi
    echo "==> installing Debian's postgresql (once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql; } >&2; then
        echo "PostgreSQL could not be installed with apt-get" >&2
        exit 3
    fi
    [ -n "$(bin_dir)" ] || { echo "apt-get installed no PostgreSQL server" >&2; exit 3; }
}

case "${1:-}" in
start)
    port="${2:?usage: scripts/postgres.sh start PORT}"
    install
    bin="$(bin_dir)"
    dir="$(mktemp -d /tmp/understudy-postgres.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U understudy -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    # a scratch cluster: no fsync (the tests kill the mock, never the database), room for
    # several workers' connection pools
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://understudy@127.0.0.1:$port/postgres"
    echo "$dir"
    ;;
stop)
    dir="${2:?usage: scripts/postgres.sh stop DIR}"
    case "$dir" in /tmp/understudy-postgres.*) ;; *) echo "not a cluster of this script: $dir" >&2; exit 2 ;; esac
    as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/postgres.sh start PORT | stop DIR" >&2
    exit 2
    ;;
esac
