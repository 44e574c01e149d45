#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on the URLs LedgerLink uses.
# Installed but stopped: start them. Missing on Debian as root: install them from the system
# packages. Otherwise: print exactly what to do and fail. Never fall back to SQLite or memory.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
DB_NAME=${DB_NAME:-ledgerlink}

say() { printf '[services] %s\n' "$*"; }
is_root() { [ "$(id -u)" = "0" ]; }
have() { command -v "$1" >/dev/null 2>&1; }

pg_up() { have pg_isready && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() {
  if have redis-cli; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null
  fi
}

apt_install() {
  if is_root && have apt-get; then
    say "installing $* from Debian packages"
    if [ -z "${LEDGERLINK_APT_UPDATED:-}" ]; then
      apt-get update -qq
      export LEDGERLINK_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    return 0
  fi
  return 1
}

wait_for() {
  local check=$1 name=$2
  for _ in $(seq 1 30); do
    if $check; then return 0; fi
    sleep 1
  done
  say "$name did not come up within 30 seconds"
  return 1
}

ensure_postgres() {
  if pg_up; then say "PostgreSQL is up on $PG_HOST:$PG_PORT"; else
    if ! have pg_ctlcluster && ! have pg_ctl; then
      apt_install postgresql postgresql-client || {
        say "PostgreSQL is not installed. Install it, e.g.: sudo apt-get install postgresql"
        say "then make sure it listens on $PG_HOST:$PG_PORT, or set DATABASE_URL."
        exit 1
      }
    fi
    if have pg_ctlcluster && is_root; then
      version=$(ls /etc/postgresql | sort -V | tail -n 1)
      say "starting PostgreSQL $version"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    elif have systemctl; then
      say "starting PostgreSQL with systemctl (may ask for your password)"
      sudo systemctl start postgresql || true
    fi
    wait_for pg_up PostgreSQL || {
      say "Start PostgreSQL yourself (e.g. 'sudo systemctl start postgresql') or set DATABASE_URL."
      exit 1
    }
    say "PostgreSQL is up on $PG_HOST:$PG_PORT"
  fi
  # Create the development database when the URL is the default local one.
  if [ -z "${DATABASE_URL:-}" ] && have psql; then
    if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" 2>/dev/null | grep -q 1; then
      say "creating database $DB_NAME"
      createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres "$DB_NAME" || {
        say "Could not create database $DB_NAME; create it or set DATABASE_URL."
        exit 1
      }
    fi
  fi
}

ensure_redis() {
  if redis_up; then say "Redis is up on $REDIS_HOST:$REDIS_PORT"; return; fi
  if ! have redis-server; then
    apt_install redis-server || {
      say "Redis is not installed. Install it, e.g.: sudo apt-get install redis-server"
      say "then make sure it listens on $REDIS_HOST:$REDIS_PORT, or set REDIS_URL."
      exit 1
    }
  fi
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  if is_root; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  elif have systemctl; then
    sudo systemctl start redis-server || true
  fi
  wait_for redis_up Redis || {
    say "Start Redis yourself (e.g. 'sudo systemctl start redis-server') or set REDIS_URL."
    exit 1
  }
  say "Redis is up on $REDIS_HOST:$REDIS_PORT"
}

ensure_postgres
ensure_redis
