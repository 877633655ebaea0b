#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster on loopback for the test suite.
# Usage: source .ci/postgres.sh   (exports RECORDSDESK_TEST_POSTGRES_URL and PG_STOP)
# Installs Debian's postgresql-15 when it is missing; runs the server as the `postgres` user
# because initdb refuses to run as root.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PG_BIN/pg_ctl" ]; then
  echo "installing PostgreSQL 15 (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq postgresql-15 postgresql-contrib-15 </dev/null >/dev/null \
    || apt-get install -y -qq postgresql-15 </dev/null >/dev/null
fi

PG_PORT=${PG_PORT:-55432}
PG_DIR=$(mktemp -d /tmp/recordsdesk-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
  chown postgres "$PG_DIR"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off" \
  start >/dev/null
export RECORDSDESK_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
PG_STOP="${RUN_AS[*]} $PG_BIN/pg_ctl -D $PG_DIR/data -m fast stop"
export PG_STOP PG_DIR
echo "PostgreSQL 15 running on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
