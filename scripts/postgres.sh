# Sourced by scripts/test and scripts/demo: decide which PostgreSQL to use.
# 1. DATABASE_URL, if set.
# 2. A server already listening on 127.0.0.1:5432 that lets user postgres in.
# 3. Otherwise Prasme starts a private cluster from the system's binaries;
#    this installs them with the OS package manager if they are missing.

have_pg_binaries() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

local_server_answers() {
    # Trust auth on the standard port; probe with psql if present. Without
    # psql, an open port is taken as usable and the tests say so if it is not.
    if command -v psql >/dev/null 2>&1; then
        # -w: never prompt for a password; a server that wants one is not ours to use.
        PGCONNECT_TIMEOUT=3 psql -w "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

install_pg_binaries() {
    echo "PostgreSQL server binaries not found; installing them with the OS package manager." >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if command -v apt-get >/dev/null 2>&1; then
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    elif command -v dnf >/dev/null 2>&1; then
        $sudo dnf install -y postgresql-server
    else
        echo "No supported package manager: install PostgreSQL or set DATABASE_URL." >&2
        return 1
    fi
}

if [ -n "${DATABASE_URL:-}" ]; then
    echo "Using DATABASE_URL." >&2
elif local_server_answers; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${PRASME_DB_NAME:-postgres}"
    echo "Using the PostgreSQL server on 127.0.0.1:5432." >&2
else
    have_pg_binaries || install_pg_binaries
    echo "Using a private PostgreSQL cluster started by Prasme." >&2
fi
