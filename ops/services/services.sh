#!/usr/bin/env bash
# Local Redis and PostgreSQL servers for stage 2 of `make test` (and for trying
# the production settings on one machine). Plain processes, no systemd, no Docker.
#
#   bash ops/services/services.sh start    # start both (idempotent), wait, print the URLs
#   bash ops/services/services.sh stop     # stop both (fine when not running)
#   bash ops/services/services.sh status   # exit 0 when both accept connections
#   bash ops/services/services.sh env      # print `export ENCLAVE_TEST_...=` lines
#   bash ops/services/services.sh stop redis|postgresql   # one of them (the fault tests
#   bash ops/services/services.sh start redis|postgresql  # restart it under a running Enclave)
#
# Knobs (environment): ENCLAVE_REDIS_PORT (6390), ENCLAVE_PG_PORT (5440),
# ENCLAVE_SERVICES_DIR (<repo>/var/services), ENCLAVE_PG_BIN (Debian's newest
# /usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root, so as root the
# cluster belongs to the `postgres` system user of the Debian package.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR="${ENCLAVE_SERVICES_DIR:-$ROOT/var/services}"
REDIS_PORT="${ENCLAVE_REDIS_PORT:-6390}"
PG_PORT="${ENCLAVE_PG_PORT:-5440}"
PG_USER=enclave
PG_PASSWORD=enclave
PG_DB=enclave

REDIS_DIR="$VAR/redis"
PGDATA="$VAR/pg"
PG_SOCKET_DIR="$VAR/pg-run"
PG_LOG="$VAR/pg.log"

DATABASE_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"

log() { echo "services: $*" >&2; }
die() { log "error: $*"; exit 1; }

pg_bin() {
    if [[ -n "${ENCLAVE_PG_BIN:-}" ]]; then
        echo "$ENCLAVE_PG_BIN"
        return
    fi
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$dir" ]] && command -v pg_config >/dev/null; then
        dir="$(pg_config --bindir)"
    fi
    [[ -n "$dir" && -x "$dir/pg_ctl" ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
    echo "$dir"
}

# Run a PostgreSQL command as the cluster owner: `postgres` when we are root.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        if command -v runuser >/dev/null; then
            (cd / && runuser -u postgres -- "$@")
        else
            (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    else
        "$@"
    fi
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

start_redis() {
    command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
    if redis_up; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"
        return
    fi
    mkdir -p "$REDIS_DIR"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
        --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
        --save "" --appendonly no >/dev/null
    for _ in $(seq 1 100); do
        redis_up && { log "redis ready on 127.0.0.1:$REDIS_PORT"; return; }
        sleep 0.1
    done
    tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
    die "redis did not answer on port $REDIS_PORT"
}

init_pg() {
    local bin=$1
    [[ -f "$PGDATA/PG_VERSION" ]] && return
    log "initdb $PGDATA"
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' system user (apt-get install postgresql)"
        chown postgres: "$PGDATA" "$PG_SOCKET_DIR"
        as_pg test -x "$VAR" || die "user postgres cannot reach $VAR; set ENCLAVE_SERVICES_DIR to a world-traversable directory"
    fi
    # Local socket: trust (the bootstrap superuser); TCP: passwords (scram).
    as_pg "$bin/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$VAR/initdb.log" 2>&1 \
        || { cat "$VAR/initdb.log" >&2; rm -rf "$PGDATA"; die "initdb failed"; }
}

start_pg() {
    local bin
    bin="$(pg_bin)"
    if pg_up; then
        log "postgresql already running on 127.0.0.1:$PG_PORT"
    else
        # The unix socket path must stay under ~107 bytes.
        (( ${#PG_SOCKET_DIR} < 90 )) || die "socket dir path too long: $PG_SOCKET_DIR (set ENCLAVE_SERVICES_DIR)"
        mkdir -p "$VAR" "$PG_SOCKET_DIR"
        chmod 755 "$VAR"
        init_pg "$bin"
        [[ "$(id -u)" -eq 0 ]] && chown postgres: "$PG_SOCKET_DIR" && touch "$PG_LOG" && chown postgres: "$PG_LOG"
        # Throwaway test cluster: durability off for speed.
        as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCKET_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            >/dev/null || { tail -n 30 "$PG_LOG" >&2 || true; die "postgresql did not start"; }
        for _ in $(seq 1 100); do pg_up && break; sleep 0.1; done
        pg_up || die "postgresql does not accept connections on port $PG_PORT"
        log "postgresql ready on 127.0.0.1:$PG_PORT"
    fi
    local psql=("$bin/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
    if [[ "$(as_pg "${psql[@]}" -c "select 1 from pg_roles where rolname = '$PG_USER'")" != 1 ]]; then
        as_pg "${psql[@]}" -c "create role $PG_USER login password '$PG_PASSWORD' createdb" >/dev/null
    fi
    if [[ "$(as_pg "${psql[@]}" -c "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]]; then
        as_pg "${psql[@]}" -c "create database $PG_DB owner $PG_USER" >/dev/null
    fi
}

stop_redis() {
    if redis_up; then
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        for _ in $(seq 1 50); do redis_up || break; sleep 0.1; done
        log "redis stopped"
    else
        log "redis not running"
    fi
}

stop_pg() {
    local bin
    bin="$(pg_bin)"
    if [[ -f "$PGDATA/postmaster.pid" ]]; then
        as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
        log "postgresql stopped"
    else
        log "postgresql not running"
    fi
}

print_env() {
    echo "export ENCLAVE_TEST_DATABASE_URL=$DATABASE_URL"
    echo "export ENCLAVE_TEST_BROKER_URL=$BROKER_URL"
}

case "${1:-} ${2:-}" in
"start redis") start_redis ;;
"start postgresql") start_pg ;;
"stop redis") stop_redis ;;
"stop postgresql") stop_pg ;;
"start ")
    start_redis
    start_pg
    echo "ENCLAVE_TEST_DATABASE_URL=$DATABASE_URL"
    echo "ENCLAVE_TEST_BROKER_URL=$BROKER_URL"
    ;;
"stop ")
    rc=0
    stop_redis || rc=1
    stop_pg || rc=1
    exit $rc
    ;;
"status ")
    rc=0
    if redis_up; then echo "redis: up ($BROKER_URL)"; else echo "redis: down"; rc=3; fi
    if pg_up; then echo "postgresql: up ($DATABASE_URL)"; else echo "postgresql: down"; rc=3; fi
    exit $rc
    ;;
"env ")
    print_env
    ;;
*)
    echo "usage: $0 start|stop [redis|postgresql] | status | env" >&2
    exit 2
    ;;
esac
