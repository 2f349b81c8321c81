#!/usr/bin/env bash
# Runs a command beside a PostgreSQL server of its own: a new cluster in a
# temporary folder, listening on a Unix socket in that folder only, stopped
# and removed when the command ends, however it ends. The command finds the
# server in LUOSHI_TEST_PG, a libpq URL. Under root, the server runs as the
# user postgres (PostgreSQL refuses to run as root).
#
#   [LUOSHI_PG_DURABLE=1] tests/pg_server.sh COMMAND [ARG...]
set -euo pipefail

bindir=${LUOSHI_PG_BINDIR:-}
if [[ -z $bindir ]]; then
	bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
if [[ ! -x $bindir/initdb ]]; then
	echo "pg_server: no PostgreSQL server found (Debian: apt-get install postgresql-15)" >&2
	exit 1
fi

if ((EUID == 0)); then
	user=postgres
	as_server() { runuser -u postgres -- "$@"; }
else
	user=$(id -un)
	as_server() { "$@"; }
fi

dir=$(mktemp -d /tmp/luoshi-pg.XXXXXX)
chmod 755 "$dir"
if ((EUID == 0)); then
	chown postgres: "$dir"
fi

# shellcheck disable=SC2317 # run by the EXIT trap
stop() {
	if [[ -f $dir/data/postmaster.pid ]]; then
		as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf -- "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

if ! as_server "$bindir/initdb" -D "$dir/data" -A trust -U "$user" -E UTF8 \
	--locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
	cat "$dir/initdb.log" >&2
	exit 1
fi
# A throwaway cluster need not survive a crash of the machine: no fsync,
# commits not waited for. The tests of durability run on SQLite (crash_test)
# and on pg_auto_failover's clusters (tests/failover/), not here. With
# LUOSHI_PG_DURABLE=1 (the benchmarks' comparisons with SQLite), commits
# are flushed as PostgreSQL's defaults have it. Either way index reads are
# priced as on the SSDs deploy/postgresql.md asks for.
tuning="-c random_page_cost=1.1"
if [[ ${LUOSHI_PG_DURABLE:-0} != 1 ]]; then
	tuning+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
if ! as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	-o "-k $dir -c listen_addresses='' -c max_connections=50 $tuning" start >/dev/null; then
	cat "$dir/server.log" >&2
	exit 1
fi

export LUOSHI_TEST_PG="postgresql:///postgres?host=$dir&user=$user"
rc=0
"$@" || rc=$?
if ((rc != 0)); then
	echo "pg_server: the server's log:" >&2
	tail -n 30 "$dir/server.log" >&2 || true
fi
exit "$rc"
