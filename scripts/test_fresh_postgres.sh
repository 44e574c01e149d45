#!/usr/bin/env bash
# ensure_services.sh against a PostgreSQL as a fresh Debian machine has it: a throwaway cluster,
# initialised as the postgres user with LANG unset (so SQL_ASCII), a password (scram-sha-256) on
# 127.0.0.1 and peer authentication on its socket, on a free port. Checks that the script makes
# the app's role and UTF-8 database, that Django connects with that DATABASE_URL and pytest makes
# a UTF-8 test database, that a second run changes nothing, that a database another role owns is
# handed over, that a SQL_ASCII one is refused and that, not root, it says what to do; then stops
# the cluster and removes it (trap on exit). The machine's own clusters are never touched:
# nothing here connects to their ports.
#
#   scripts/test_fresh_postgres.sh        (as root; tests/test_fresh_postgres.py runs it)
#
# Exits 0 when every check passed, 77 (skipped) when not root or initdb is missing, else 1.
# PYTHON is the interpreter with the project installed (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-.venv/bin/python}

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}
step() { printf '\n== %s\n' "$*"; }

[ "$(id -u)" = "0" ] || skip "needs root (runs initdb and the server as the postgres user)"
INITDB=$(command -v initdb || find /usr/lib/postgresql -path '*/bin/initdb' | sort -V | tail -n 1)
[ -x "${INITDB:-/nonexistent}" ] || skip "initdb not found (apt-get install postgresql)"
BINDIR=$(dirname "$(readlink -f "$INITDB")")
id postgres >/dev/null 2>&1 || fail "there is no postgres OS user to run the cluster as"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ledgerlink-fresh-pg.XXXXXX")
chown postgres: "$WORK"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# As the postgres user with an empty environment: no LANG, no LC_*, no PG*.
as_postgres() { (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin runuser -u postgres -- "$@"); }
admin() { as_postgres "$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" "$@"; }
cleanup() {
  as_postgres "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The app's URL; its password needs quoting in SQL and percent-encoding in the URL ("p@ss'word 1").
PASSWORD_IN_URL="p%40ss%27word%201"
url_for() { echo "postgres://ledgerlink:$PASSWORD_IN_URL@127.0.0.1:$PORT/$1"; }
ensure() {
  env -u LANG -u LC_ALL -u LC_CTYPE DATABASE_URL="$(url_for "$1")" PG_SOCKET_DIR="$WORK" \
    PYTHON="$PYTHON" bash scripts/ensure_services.sh postgres
}
encoding_of() { admin -d postgres -c "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '$1'"; }
as_app() { PGCONNECT_TIMEOUT=5 psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$(url_for "$1")" "${@:2}"; }

step "a fresh cluster on 127.0.0.1:$PORT: LANG unset, scram-sha-256 on 127.0.0.1, peer on $WORK"
as_postgres "$BINDIR/initdb" -D "$WORK/data" --auth-host=scram-sha-256 --auth-local=peer \
  >"$WORK/initdb.log" 2>&1 || fail "initdb: $(cat "$WORK/initdb.log")"
as_postgres "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
[ "$(encoding_of template1)" = "SQL_ASCII" ] || fail "expected a SQL_ASCII cluster without LANG"
admin -d postgres -c "SHOW password_encryption" | grep -qx scram-sha-256 || fail "no scram"
grep -qE '^host.*127\.0\.0\.1/32.*scram-sha-256' "$WORK/data/pg_hba.conf" || fail "pg_hba.conf"
if as_app ledgerlink -c "SELECT 1" 2>/dev/null; then fail "connected before any set-up"; fi
echo "template1 is SQL_ASCII; DATABASE_URL does not connect yet"

step "ensure_services.sh creates the role and the database"
ensure ledgerlink | tee "$WORK/first.log"
grep -q 'created role' "$WORK/first.log" || fail "no role created"
grep -q 'created database' "$WORK/first.log" || fail "no database created"
[ "$(encoding_of ledgerlink)" = "UTF8" ] || fail "ledgerlink is $(encoding_of ledgerlink), not UTF8"
[ "$(admin -d postgres -c "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = 'ledgerlink'")" = "f|t" ] \
  || fail "role ledgerlink should be LOGIN CREATEDB and not a superuser"
grep -q 'p@ss' "$WORK/first.log" && fail "the password was printed"
echo "database ledgerlink: $(encoding_of ledgerlink), owner ledgerlink, role without superuser"

step "Django connects with DATABASE_URL and migrates"
export DATABASE_URL
DATABASE_URL=$(url_for ledgerlink)
"$PYTHON" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 || fail "migrate: $(tail -n 20 "$WORK/migrate.log")"
encoding=$(DJANGO_SETTINGS_MODULE=config.settings "$PYTHON" -c "import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('SHOW server_encoding')
    print(cursor.fetchone()[0])")
[ "$encoding" = "UTF8" ] || fail "Django sees server_encoding $encoding"
echo "migrated; Django's connection: server_encoding $encoding"

step "pytest makes its own UTF-8 test database there (the role has CREATEDB)"
"$PYTHON" -m pytest -q -p no:cacheprovider --reuse-db \
  "tests/test_health_and_settings.py::test_healthz_ok_when_database_and_redis_answer" \
  >"$WORK/pytest.log" 2>&1 || fail "pytest: $(tail -n 30 "$WORK/pytest.log")"
tail -n 1 "$WORK/pytest.log"
[ "$(encoding_of test_ledgerlink)" = "UTF8" ] || fail "test_ledgerlink is $(encoding_of test_ledgerlink)"
echo "test_ledgerlink: UTF8"
unset DATABASE_URL

step "a second run changes nothing"
ensure ledgerlink | tee "$WORK/second.log"
if grep -q -E 'created|handing' "$WORK/second.log"; then fail "the second run changed something"; fi

step "a database and tables another role owns (the old default URL's) are handed over"
admin -d postgres -c "CREATE DATABASE legacy ENCODING 'UTF8' TEMPLATE template0 LOCALE 'C.UTF-8'"
admin -d legacy -c "CREATE TABLE contact (id serial PRIMARY KEY, name text)" \
  -c "INSERT INTO contact (name) VALUES ('Zoë')"
ensure legacy | tee "$WORK/legacy.log"
grep -q 'handing database legacy' "$WORK/legacy.log" || fail "legacy was not handed over"
as_app legacy -c "INSERT INTO contact (name) VALUES ('Ana')" || fail "cannot write legacy's table"
[ "$(as_app legacy -c "SELECT string_agg(name, ',' ORDER BY id) FROM contact")" = "Zoë,Ana" ] \
  || fail "legacy's rows"
echo "legacy: owned by ledgerlink; its table and serial are usable"

step "a SQL_ASCII database is refused with what to do"
admin -d postgres -c "CREATE DATABASE ascii OWNER ledgerlink"
if ensure ascii >"$WORK/ascii.log" 2>&1; then fail "a SQL_ASCII database was accepted"; fi
cat "$WORK/ascii.log"
grep -q 'needs UTF8' "$WORK/ascii.log" || fail "no explanation for SQL_ASCII"

step "not root and no superuser access: it says what to do"
# The script goes in on stdin: nobody may not be able to read the checkout (a clone under a 0700
# mktemp folder, as CI's is).
if (cd / && runuser -u nobody -- env -u LANG DATABASE_URL="$(url_for nonroot)" PG_SOCKET_DIR="$WORK" \
  PYTHON=/usr/bin/python3 bash -s postgres) <"$ROOT/scripts/ensure_services.sh" >"$WORK/nonroot.log" 2>&1; then
  fail "ensure_services.sh as nobody succeeded without access"
fi
cat "$WORK/nonroot.log"
grep -q 'sudo bash scripts/ensure_services.sh' "$WORK/nonroot.log" || fail "no advice for non-root"
grep -q 'createdb -p .* -E UTF8 -T template0' "$WORK/nonroot.log" || fail "no createdb advice"
grep -q 'p@ss' "$WORK/nonroot.log" && fail "the password was printed"

printf '\nPASS: fresh-cluster set-up works (cluster on port %s is removed on exit)\n' "$PORT"
