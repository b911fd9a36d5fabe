# shellcheck shell=bash
# Sourced by .ci/run: pg_test_server_start starts a throwaway PostgreSQL
# server for verify/postgres_test.go and exports what the tests read:
#
#   LEAKGATE_TEST_PG_HOST, LEAKGATE_TEST_PG_PORT   where it listens (127.0.0.1)
#   LEAKGATE_TEST_PG_USER, LEAKGATE_TEST_PG_PASSWORD  a role with a password
#   LEAKGATE_TEST_PG_DB                             a database it may open
#   LEAKGATE_REQUIRE_POSTGRES=1                     the tests fail, not skip,
#                                                   if the above are missing
#
# When the server binaries are missing and cannot be installed, it says so
# loudly and exports LEAKGATE_NO_POSTGRES (the reason) instead: the tests
# then skip with that reason. Any other failure (initdb, start, role) fails
# CI. The server is stopped and its directory deleted on exit (a trap).

pg_test_find_bin() {
  PG_BIN=""
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      PG_BIN="$d"
    fi
  done
  [ -n "$PG_BIN" ]
}

# pg_test_as_owner runs a command as the server's owner: initdb and
# postgres refuse to run as root.
pg_test_as_owner() {
  if [ "$(id -u)" != 0 ]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u postgres -- "$@"
  else
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  fi
}

pg_test_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "not root and no password-less sudo: cannot install postgresql"
      return 1
    fi
  fi
  command -v apt-get >/dev/null || { echo "no apt-get: cannot install postgresql"; return 1; }
  echo "PostgreSQL server binaries missing: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 $sudo apt-get install -y --no-install-recommends postgresql </dev/null ||
    { timeout 300 $sudo apt-get update </dev/null && timeout 300 $sudo apt-get install -y --no-install-recommends postgresql </dev/null; }
}

pg_test_server_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
      pg_test_as_owner timeout 60 "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        { pid=$(head -1 "$PG_TMP/data/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; } || true
    fi
    rm -rf "$PG_TMP"
  fi
}

pg_test_server_start() {
  if ! pg_test_find_bin; then
    pg_test_install || true
    if ! pg_test_find_bin; then
      echo "!! WARNING: no PostgreSQL server could be installed; the PostgreSQL verifier's server tests will SKIP"
      export LEAKGATE_NO_POSTGRES="CI could not install a PostgreSQL server (see the log of .ci/run)"
      return 0
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  echo "using $PG_BIN"

  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/leakgate-pg.XXXXXX")
  trap pg_test_server_stop EXIT
  [ "$(id -u)" = 0 ] && chown postgres "$PG_TMP"
  chmod 700 "$PG_TMP"

  # The role's password: random, made now, never written to the repository.
  LEAKGATE_TEST_PG_PASSWORD=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  export LEAKGATE_TEST_PG_PASSWORD

  pg_test_as_owner timeout 120 "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-instructions >"$PG_TMP/initdb.log" 2>&1 ||
    { cat "$PG_TMP/initdb.log"; return 1; }

  # A free port: a few random tries, each checked for a listener, then
  # for the server starting on it.
  local port started="" try
  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue
    fi
    if pg_test_as_owner timeout 60 "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c password_encryption=scram-sha-256" \
      start >/dev/null; then
      started=1
      break
    fi
  done
  if [ -z "$started" ]; then
    echo "PostgreSQL did not start:"; cat "$PG_TMP/server.log" 2>/dev/null || true
    return 1
  fi

  # The role and its database, over the Unix socket (trusted locally).
  # psql reads the password from the environment, not from its arguments.
  pg_test_as_owner timeout 60 env LEAKGATE_TEST_PG_PASSWORD="$LEAKGATE_TEST_PG_PASSWORD" \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_TMP" -p "$port" -U postgres -d postgres <<'SQL'
\getenv pw LEAKGATE_TEST_PG_PASSWORD
CREATE ROLE leakgate_test LOGIN PASSWORD :'pw';
CREATE DATABASE leakgate_test OWNER leakgate_test;
SQL

  export LEAKGATE_TEST_PG_HOST=127.0.0.1
  export LEAKGATE_TEST_PG_PORT="$port"
  export LEAKGATE_TEST_PG_USER=leakgate_test
  export LEAKGATE_TEST_PG_DB=leakgate_test
  export LEAKGATE_REQUIRE_POSTGRES=1
  echo "$("$PG_BIN/postgres" --version) on 127.0.0.1:$port (data in $PG_TMP, removed on exit)"
}
