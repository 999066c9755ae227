#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and `npm run cluster` (docs/testing.md, "PostgreSQL in tests").
#
#   postgres.sh ensure                 installs Debian's postgresql when missing (as root), or says what to run
#   postgres.sh start DIR [fsync-off]  initdb DIR when empty, start it on a free loopback port, print its URL
#   postgres.sh restart DIR            stop (immediate) and start again on the same port
#   postgres.sh stop DIR               stop (immediate); quiet when it is not running
#
# initdb refuses to run as root, so as root the server runs as the system user fieldboard-pg (created here);
# as anyone else it runs as that user. The server listens on 127.0.0.1 and on a socket in DIR, trusts local
# connections (a throwaway cluster holds nothing secret) and keeps its log in DIR/server.log.
set -euo pipefail

PG_USER=fieldboard-pg
DB_ROLE=fieldboard

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; fi
  done | sort -V | tail -n 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

ensure() {
  if [ -z "$(pg_bin)" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "PostgreSQL server binaries are missing. Install them with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y postgresql" >&2
      exit 1
    fi
    echo "== installing PostgreSQL (apt-get install postgresql)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    # Debian's package starts its own cluster on 5432; ours never uses it, so stop it to free the memory.
    if command -v pg_ctlcluster >/dev/null; then
      for conf in /etc/postgresql/*/main; do
        [ -d "$conf" ] && pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop >/dev/null 2>&1 || true
      done
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system -M -s /usr/sbin/nologin "$PG_USER"
  fi
}

free_port() {
  # process.stdout.write, not console.log: under FORCE_COLOR (a Playwright worker) console.log colours numbers.
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(s.address().port+'\\n');s.close()})"
}

port_is_free() {
  node -e "const s=require('net').createServer().once('error',()=>process.exit(1)).listen($1,'127.0.0.1',()=>s.close())"
}

start() {
  local dir=$1 mode=${2:-}
  local bin
  bin=$(pg_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown "$PG_USER" "$dir"
    if ! runuser -u "$PG_USER" -- test -x "$dir"; then
      echo "postgres.sh: $PG_USER cannot reach $dir; make its parent folders traversable (chmod o+x)" >&2
      exit 1
    fi
  fi
  chmod 700 "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir" -U "$DB_ROLE" --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$dir'"
      echo "max_connections = 200"
      echo "logging_collector = off"
    } >>"$dir/postgresql.conf"
    if [ "$mode" = fsync-off ]; then echo "fsync = off" >>"$dir/postgresql.conf"; fi
  fi
  local port
  # The same port as last time (a restart keeps clients' URLs), unless something else took it meanwhile.
  if [ -f "$dir/fieldboard.port" ] && port_is_free "$(cat "$dir/fieldboard.port")"; then
    port=$(cat "$dir/fieldboard.port")
  else
    port=$(free_port)
  fi
  echo "$port" >"$dir/fieldboard.port"
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port" -w -t 30 start >/dev/null
  echo "postgres://$DB_ROLE@127.0.0.1:$port/postgres"
}

stop() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  ensure) ensure ;;
  start) start "$2" "${3:-}" ;;
  restart)
    stop "$2"
    start "$2" >/dev/null
    ;;
  stop) stop "$2" ;;
  *)
    echo "usage: $0 ensure | start DIR [fsync-off] | restart DIR | stop DIR" >&2
    exit 2
    ;;
esac
