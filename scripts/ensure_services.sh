#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on the URLs LedgerLink uses, and that the database in
# DATABASE_URL exists, is UTF-8 and accepts DATABASE_URL's role and password.
#
#   scripts/ensure_services.sh [postgres] [redis]      (default: both)
#
# Installed but stopped: start them. Missing on Debian as root: install them from the system
# packages. Otherwise: print exactly what to do and fail. Never fall back to SQLite or memory.
#
# The database side reads DATABASE_URL (default: the development default of config/settings.py,
# postgres://ledgerlink:ledgerlink@127.0.0.1:5432/ledgerlink). On a server on this machine it
# creates the role (LOGIN CREATEDB, with the URL's password; CREATEDB lets pytest make its test
# database) and the database (UTF8 from template0, whatever the cluster's locale), and hands a
# database that another role owns to the URL's role. Debian's stock PostgreSQL asks for a password
# on 127.0.0.1 (scram-sha-256), which this role has; pg_hba.conf is never edited. To do this it
# needs a superuser: PG_ADMIN_USER (default postgres) over TCP without a password (trust;
# PG_ADMIN_PASSWORD if it has one), or, as root, that OS user over the Unix socket in
# PG_SOCKET_DIR (default /var/run/postgresql; peer). A role or password that exists already is
# never changed. REDIS_HOST and REDIS_PORT (default 127.0.0.1:6379) say where Redis is.
set -euo pipefail

DEFAULT_DATABASE_URL=postgres://ledgerlink:ledgerlink@127.0.0.1:5432/ledgerlink
DATABASE_URL=${DATABASE_URL:-$DEFAULT_DATABASE_URL}
PG_ADMIN_USER=${PG_ADMIN_USER:-postgres}
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
PYTHON=${PYTHON:-python3}

say() { printf '[services] %s\n' "$*"; }
is_root() { [ "$(id -u)" = "0" ]; }
have() { command -v "$1" >/dev/null 2>&1; }

# DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_NAME from DATABASE_URL (percent-decoded).
parse_database_url() {
  eval "$("$PYTHON" - "$DATABASE_URL" <<'EOF'
import getpass, shlex, sys
from urllib.parse import unquote, urlsplit

url = urlsplit(sys.argv[1])
parts = {
    "DB_USER": unquote(url.username or "") or getpass.getuser(),
    "DB_PASSWORD": unquote(url.password or ""),
    "DB_HOST": url.hostname or "",
    "DB_PORT": str(url.port or 5432),
    "DB_NAME": unquote(url.path.lstrip("/")),
    # The URL with its password hidden, for messages.
    "SHOWN_URL": url._replace(netloc=url.netloc.replace(f":{url.password}@", ":***@")).geturl(),
}
for name, value in parts.items():
    print(f"{name}={shlex.quote(value)}")
EOF
)"
  [ -n "$DB_NAME" ] || DB_NAME=$DB_USER
}

is_local() {
  case "$DB_HOST" in "" | /* | 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

apt_install() {
  if is_root && have apt-get; then
    say "installing $* from Debian packages"
    if [ -z "${LEDGERLINK_APT_UPDATED:-}" ]; then
      apt-get update -qq
      export LEDGERLINK_APT_UPDATED=1
    fi
    # The postgresql package creates its first cluster with the installer's locale; with no
    # LANG that is SQL_ASCII, so give it a UTF-8 one.
    LANG=C.UTF-8 LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq "$@" >/dev/null
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

# --- PostgreSQL: the server -------------------------------------------------------------------

pg_up() { have pg_isready && pg_isready -q -d "$DATABASE_URL" -t 3; }

start_local_postgres() {
  if have pg_lsclusters && is_root; then
    local cluster
    cluster=$(pg_lsclusters -h | awk -v port="$DB_PORT" '$3 == port { print $1, $2; exit }')
    if [ -z "$cluster" ] && [ -z "$(pg_lsclusters -h)" ]; then
      local version
      version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
      say "creating PostgreSQL $version cluster main on port $DB_PORT (UTF-8)"
      pg_createcluster --locale C.UTF-8 -p "$DB_PORT" "$version" main >/dev/null
      cluster="$version main"
    fi
    if [ -z "$cluster" ]; then
      say "No PostgreSQL cluster of this machine uses port $DB_PORT (see pg_lsclusters);"
      say "start the right one or set DATABASE_URL."
      exit 1
    fi
    say "starting PostgreSQL cluster $cluster"
    # shellcheck disable=SC2086 # "version name"
    pg_ctlcluster --skip-systemctl-redirect $cluster start || true
  elif have systemctl; then
    say "starting PostgreSQL with systemctl (may ask for your password)"
    sudo systemctl start postgresql || true
  fi
}

ensure_postgres_server() {
  if ! have psql || ! have pg_isready; then
    apt_install postgresql-client || {
      say "psql is not installed. Install it, e.g.: sudo apt-get install postgresql-client"
      exit 1
    }
  fi
  if pg_up; then return; fi
  if ! is_local; then
    say "PostgreSQL at $SHOWN_URL does not answer; start it or fix DATABASE_URL."
    exit 1
  fi
  if ! have pg_ctlcluster && ! have pg_ctl; then
    apt_install postgresql || {
      say "PostgreSQL is not installed. Install it, e.g.: sudo apt-get install postgresql"
      say "then make sure it listens on ${DB_HOST:-its socket}:$DB_PORT, or set DATABASE_URL."
      exit 1
    }
  fi
  start_local_postgres
  wait_for pg_up PostgreSQL || {
    say "Start PostgreSQL yourself (e.g. 'sudo systemctl start postgresql') or set DATABASE_URL."
    exit 1
  }
}

# --- PostgreSQL: the role and the database ------------------------------------------------------

# psql as the app, with DATABASE_URL (its password included); never prompts.
app_psql() { PGCONNECT_TIMEOUT=5 psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"; }

# Whether the app can use its database: it connects and, on this machine, owns the database or
# is a superuser (a database that the old default URL's postgres role made has tables the app's
# role could not touch). Elsewhere (a managed server) connecting is enough.
app_ready() {
  local owns
  owns=$(app_psql -c "SELECT r.rolsuper OR d.datdba = r.oid FROM pg_roles r, pg_database d
    WHERE r.rolname = current_user AND d.datname = current_database()" 2>/dev/null) || return 1
  [ "$owns" = "t" ] || ! is_local
}

ADMIN=()
admin_psql() { (cd / && "${ADMIN[@]}" -X -w -q -At -v ON_ERROR_STOP=1 -p "$DB_PORT" "$@"); }

# The first way to reach the server as a superuser that works: TCP as PG_ADMIN_USER (trust or
# PG_ADMIN_PASSWORD), as root that OS user over the Unix socket (peer), else the current OS user
# over the socket.
find_admin() {
  local way
  for way in tcp peer-admin peer-self; do
    case "$way" in
      tcp) ADMIN=(env "PGPASSWORD=${PG_ADMIN_PASSWORD:-}" psql -h "${DB_HOST:-$PG_SOCKET_DIR}"
        -U "$PG_ADMIN_USER") ;;
      peer-admin)
        if ! is_root || ! id "$PG_ADMIN_USER" >/dev/null 2>&1; then continue; fi
        ADMIN=(runuser -u "$PG_ADMIN_USER" -- psql -h "$PG_SOCKET_DIR") ;;
      peer-self)
        is_root && continue
        ADMIN=(psql -h "$PG_SOCKET_DIR") ;;
    esac
    if [ "$(PGCONNECT_TIMEOUT=5 admin_psql -d postgres \
      -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null)" = "t" ]; then
      return 0
    fi
  done
  ADMIN=()
  return 1
}

explain_manual_setup() {
  local password_clause="" sudo="sudo -u $PG_ADMIN_USER"
  # The development default's password is public; any other is not repeated on the terminal.
  if [ "$DATABASE_URL" = "$DEFAULT_DATABASE_URL" ]; then
    password_clause=" PASSWORD '$DB_PASSWORD'"
  elif [ -n "$DB_PASSWORD" ]; then
    password_clause=" PASSWORD '<the password in DATABASE_URL>'"
  fi
  say "LedgerLink needs the PostgreSQL role \"$DB_USER\" and the UTF-8 database \"$DB_NAME\""
  say "($SHOWN_URL), and found no superuser access to create them."
  say "Run this script once as root (sudo bash scripts/ensure_services.sh), or create them:"
  say "  $sudo psql -p $DB_PORT -c \"CREATE ROLE \\\"$DB_USER\\\" LOGIN CREATEDB$password_clause\""
  say "  $sudo createdb -p $DB_PORT -E UTF8 -T template0 --locale=C.UTF-8 -O $DB_USER $DB_NAME"
  say "or set DATABASE_URL to a database you can already use."
}

create_role_and_database() {
  admin_psql -d postgres -v role="$DB_USER" -v pw="$DB_PASSWORD" -v db="$DB_NAME" <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS create_role,
       NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') AS create_db,
       :'pw' <> '' AS with_password,
       -- template0 of a cluster made without a UTF-8 locale (SQL_ASCII, C) needs one given.
       (SELECT datctype !~* 'utf-?8' FROM pg_database WHERE datname = 'template0') AS with_locale
\gset
\if :create_role
  \if :with_password
    CREATE ROLE :"role" LOGIN CREATEDB PASSWORD :'pw';
  \else
    CREATE ROLE :"role" LOGIN CREATEDB;
  \endif
  \echo '[services] created role' :"role"
\endif
\if :create_db
  \if :with_locale
    CREATE DATABASE :"db" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0 LOCALE 'C.UTF-8';
  \else
    CREATE DATABASE :"db" OWNER :"role" ENCODING 'UTF8' TEMPLATE template0;
  \endif
  \echo '[services] created database' :"db" '(UTF8)'
\endif
SQL
}

# Give the app's role a database (and its tables) that another role owns: the development
# database and pytest's and the benchmark's, left by the old default URL (user postgres).
hand_over() {
  local db=$1 owner
  owner=$(admin_psql -d postgres -v db="$db" -v role="$DB_USER" <<'SQL'
SELECT pg_get_userbyid(d.datdba) FROM pg_database d, pg_roles r
WHERE d.datname = :'db' AND r.rolname = :'role' AND NOT r.rolsuper AND d.datdba <> r.oid;
SQL
)
  [ -n "$owner" ] || return 0
  say "handing database $db (owned by $owner) and its tables over to role $DB_USER"
  admin_psql -d "$db" -v db="$db" -v role="$DB_USER" <<'SQL'
ALTER DATABASE :"db" OWNER TO :"role";
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                             WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
              c.oid::regclass, :'role')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'role')
  -- A sequence that belongs to a column moves with its table.
  AND NOT (c.relkind = 'S' AND EXISTS (
    SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
\gexec
SQL
}

ensure_database() {
  if ! app_ready; then
    if ! is_local; then
      say "Cannot connect to $SHOWN_URL; check the server, the role and its password."
      exit 1
    fi
    find_admin || {
      explain_manual_setup
      exit 1
    }
    create_role_and_database
    local db
    for db in "$DB_NAME" "test_$DB_NAME" "${DB_NAME}_bench"; do hand_over "$db"; done
    app_ready || {
      say "Role $DB_USER cannot log in to $DB_NAME with the password in DATABASE_URL."
      say "The role existed already, with another password; set the URL's, e.g.:"
      say "  sudo -u $PG_ADMIN_USER psql -p $DB_PORT -c \"ALTER ROLE \\\"$DB_USER\\\" PASSWORD '...'\""
      exit 1
    }
  fi
  local encoding
  encoding=$(app_psql -c "SELECT pg_encoding_to_char(encoding) FROM pg_database
    WHERE datname = current_database()")
  if [ "$encoding" != "UTF8" ]; then
    say "Database $DB_NAME is $encoding; LedgerLink needs UTF8. Drop it (dropdb $DB_NAME) and"
    say "run this again, or create it with: createdb -E UTF8 -T template0 --locale=C.UTF-8 ..."
    exit 1
  fi
  say "PostgreSQL is up and $SHOWN_URL is ready (UTF8)"
}

ensure_postgres() {
  parse_database_url
  ensure_postgres_server
  ensure_database
}

# --- Redis --------------------------------------------------------------------------------------

redis_up() {
  if have redis-cli; then
    [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null
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
  if is_root; then
    mkdir -p /var/lib/redis /var/log/redis
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

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(postgres redis)
for service in "${services[@]}"; do
  case "$service" in
    postgres) ensure_postgres ;;
    redis) ensure_redis ;;
    *)
      say "unknown service $service (postgres, redis)"
      exit 2
      ;;
  esac
done
