#!/usr/bin/env bash
# Failover under writes. Two luoshid serve one PostgreSQL database that
# pg_auto_failover keeps (a monitor, a primary and its synchronous standby),
# all on 127.0.0.1, in a temporary folder. While failover_writer writes
# through both servers with 16 threads, one luoshid is killed, then the
# primary is stopped and the monitor promotes the standby. Afterwards every
# write the writer was answered OK must be in the database exactly once,
# with the id it was answered; writes that never got OK are counted, and
# allowed only while the failover went on. Prints the figures; exits
# non-zero, saying why, on any failure.
#
#   tests/failover/failover.sh LUOSHID LUOSHI FAILOVER_WRITER
#
# Needs pg_auto_failover (Debian: postgresql-15-auto-failover) and the
# PostgreSQL server binaries (LUOSHI_PG_BINDIR, else the newest under
# /usr/lib/postgresql). Under root, PostgreSQL and pg_autoctl run as the
# user postgres. Only the processes this script started are signalled, and
# all of them are stopped at the end, however it ends. With
# LUOSHI_FAILOVER_KEEP=1 the folder (logs, data) is kept.
set -euo pipefail

if (($# != 3)); then
	echo "usage: $0 LUOSHID LUOSHI FAILOVER_WRITER" >&2
	exit 2
fi
luoshid=$(realpath -- "$1")
luoshi=$(realpath -- "$2")
writer=$(realpath -- "$3")

say() { printf 'failover: %s\n' "$*"; }
die() {
	printf 'failover: FAILED: %s\n' "$*" >&2
	exit 1
}
now_ms() { date +%s%3N; }

bindir=${LUOSHI_PG_BINDIR:-}
if [[ -z $bindir ]]; then
	bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x $bindir/postgres && -x $bindir/psql ]] ||
	die "no PostgreSQL server found (Debian: apt-get install postgresql-15)"
command -v pg_autoctl >/dev/null ||
	die "no pg_autoctl found (Debian: apt-get install postgresql-15-auto-failover)"
command -v setpriv >/dev/null || die "no setpriv found (util-linux)"
for f in "$luoshid" "$luoshi" "$writer"; do
	[[ -x $f ]] || die "not an executable: $f"
done

dir=$(mktemp -d /tmp/luoshi-failover.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/sock" "$dir/pgrun" "$dir/cli"
chmod 700 "$dir/pgrun"
if ((EUID == 0)); then
	command -v runuser >/dev/null || die "no runuser found (util-linux)"
	chown postgres: "$dir" "$dir/sock" "$dir/pgrun"
	pguser=postgres
	pgrun=(runuser -u postgres --)
else
	pguser=$(id -un)
	pgrun=()
fi
# pg_autoctl keeps its configuration, state and pid files under the XDG
# folders, and PostgreSQL its sockets in PG_REGRESS_SOCK_DIR: all in $dir.
pgrun+=(env "PATH=$bindir:$PATH" "XDG_CONFIG_HOME=$dir/pgconfig" "XDG_DATA_HOME=$dir/pgstate"
	"XDG_RUNTIME_DIR=$dir/pgrun" "PG_REGRESS_SOCK_DIR=$dir/sock" "PGHOST=$dir/sock")
as_pg() { "${pgrun[@]}" "$@"; }
# Everything below runs in $dir, which the user postgres can enter.
cd -- "$dir"

# ---- processes ----------------------------------------------------------------

# name -> pid of what runs in the background and should be running.
declare -A pid=()

alive() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $state && $state != Z* ]]
}

# Fails when something that should run has died.
check_alive() {
	local name
	for name in "${!pid[@]}"; do
		alive "${pid[$name]}" || die "$name (pid ${pid[$name]}) died; see $dir/$name.log"
	done
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_until() {
	local limit=$1 what=$2
	shift 2
	local end=$((SECONDS + limit))
	until "$@"; do
		((SECONDS < end)) || die "$what: not within $limit s"
		check_alive
		sleep 0.2
	done
}

# Waits at most SECONDS for the process to end; false if it did not.
wait_exit() {
	local p=$1 limit=$2
	local end=$((SECONDS + limit))
	while alive "$p"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

# Sets REPLY to a loopback port that nobody answers on now, and that was
# not given out before; below Linux's ephemeral ports (32768 and up), so
# that no connection or port-0 bind of another test takes it meanwhile.
declare -A taken=()
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		[[ -z ${taken[$p]:-} ]] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			taken[$p]=1
			REPLY=$p
			return 0
		fi
	done
	die "no free port found"
}

# ---- the end: stop everything, show what went wrong ---------------------------

results=$dir/results

# The answers of the writer's failed attempts, the most frequent first.
attempts_by_answer() {
	if [[ -s $results.errors ]]; then
		say "failed attempts by answer:"
		cut -d' ' -f4- "$results.errors" | sort | uniq -c | sort -rn | head -n 8 |
			sed 's/^/failover:   /'
	fi
}

nodes=(node2 node1 monitor) # stopped in this order

diagnose() {
	local f
	say "the folder: $dir"
	if [[ -n ${mport:-} ]]; then
		say "the monitor's view: $(states 2>&1 || true)"
	fi
	for f in luoshid1 luoshid2; do
		if [[ -f $dir/$f.log ]]; then
			say "$f.log, its first errors:"
			grep -m 6 ' error ' "$dir/$f.log" | sed 's/^/    /' || true
			say "$f.log, its last lines above debug level:"
			grep -v ' debug ' "$dir/$f.log" | tail -n 8 | sed 's/^/    /' || true
		fi
		if [[ -s $dir/$f.out ]]; then
			say "$f's standard output and error, the end:"
			tail -n 20 "$dir/$f.out" | sed 's/^/    /'
		fi
	done
	if [[ -s $dir/writer.out ]]; then
		say "the writer:"
		sed 's/^/    /' "$dir/writer.out"
	fi
	attempts_by_answer
	for f in "${nodes[@]}"; do
		if [[ -f $dir/$f.log ]]; then
			say "$f.log (pg_autoctl), its last lines:"
			tail -n 6 "$dir/$f.log" | sed 's/^/    /'
		fi
	done
}

stop_all() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	touch "$dir/stop"
	if [[ -n ${pid[writer]:-} ]] && ! wait_exit "${pid[writer]}" 15; then
		kill -KILL "${pid[writer]}"
	fi
	if ((rc != 0)); then
		diagnose >&2
	fi
	local name p
	for name in luoshid1 luoshid2; do
		[[ -n ${pid[$name]:-} ]] && kill -TERM "${pid[$name]}"
	done
	for name in luoshid1 luoshid2; do
		p=${pid[$name]:-}
		if [[ -n $p ]] && ! wait_exit "$p" 10; then
			kill -KILL "$p"
		fi
	done
	for name in "${nodes[@]}"; do
		if [[ -n ${pid[$name]:-} ]] && alive "${pid[$name]}"; then
			as_pg pg_autoctl stop --pgdata "$dir/$name" --fast >/dev/null 2>&1
		fi
	done
	for name in "${nodes[@]}"; do
		p=${pid[$name]:-}
		[[ -n $p ]] || continue
		if ! wait_exit "$p" 20; then
			as_pg pg_autoctl stop --pgdata "$dir/$name" --immediate >/dev/null 2>&1
			wait_exit "$p" 10 || kill -KILL "$p"
		fi
		# A postmaster left behind by a pg_autoctl that was killed: ours
		# when its command line names our data folder.
		if [[ -f $dir/$name/postmaster.pid ]]; then
			p=$(head -n 1 "$dir/$name/postmaster.pid")
			if [[ $p =~ ^[0-9]+$ ]] && alive "$p" &&
				tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "-D $dir/$name "; then
				kill -KILL "$p"
			fi
		fi
	done
	wait 2>/dev/null
	if [[ ${LUOSHI_FAILOVER_KEEP:-} == 1 ]]; then
		say "kept $dir"
	else
		rm -rf -- "$dir"
	fi
	exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# ---- pg_auto_failover: a monitor, a primary and its synchronous standby --------

free_port
mport=$REPLY
free_port
port1=$REPLY
free_port
port2=$REPLY

mon_sql() {
	as_pg "$bindir/psql" -X -q -At -h "$dir/sock" -p "$mport" -d pg_auto_failover -c "$1"
}
# The formation as the monitor sees it: "node1=REPORTED/GOAL node2=...".
states() {
	mon_sql "SELECT string_agg(nodename || '=' || reportedstate || '/' || goalstate, ' '
	                           ORDER BY nodeid) FROM pgautofailover.node"
}
states_are() { [[ $(states 2>/dev/null) == "$1" ]]; }
node_sql() { # PORT DB SQL
	as_pg "$bindir/psql" -X -q -At -h 127.0.0.1 -p "$1" -d "$2" -c "$3"
}

# run_pg NAME ARGS...: pg_autoctl ARGS in the background, logging to NAME.log;
# it gets SIGTERM (and stops its PostgreSQL) if this script dies.
run_pg() {
	local name=$1
	shift
	setpriv --pdeathsig TERM -- "${pgrun[@]}" pg_autoctl "$@" >"$dir/$name.log" 2>&1 &
	pid[$name]=$!
}

t_begin=$(now_ms)
say "pg_auto_failover $(pg_autoctl --version 2>&1 | awk 'NR == 1 { print $3 }')," \
	"PostgreSQL binaries in $bindir"
say "monitor on 127.0.0.1:$mport, data nodes on 127.0.0.1:$port1 and 127.0.0.1:$port2"
run_pg monitor create monitor --pgdata "$dir/monitor" --pgport "$mport" --hostname 127.0.0.1 \
	--listen 127.0.0.1 --auth trust --no-ssl --run
monitor_up() { mon_sql "SELECT 1 FROM pgautofailover.formation" >/dev/null 2>&1; }
wait_until 60 "the monitor to start" monitor_up
# Short timers, so that a failure is noticed in seconds: health checks every
# second, a node unhealthy after 2 s, an unreachable primary given up 2 s
# after it was told to demote.
mon_sql "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" >/dev/null
mon_sql "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" >/dev/null
mon_sql "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" >/dev/null
mon_sql "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" >/dev/null
mon_sql "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 2000" >/dev/null
mon_sql "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 2000" >/dev/null
mon_sql "SELECT pg_reload_conf()" >/dev/null
monitor_url="postgres://autoctl_node@127.0.0.1:$mport/pg_auto_failover?sslmode=prefer"

create_node() { # NAME PORT
	run_pg "$1" create postgres --pgdata "$dir/$1" --pgport "$2" --hostname 127.0.0.1 \
		--listen 127.0.0.1 --auth trust --no-ssl --monitor "$monitor_url" --name "$1" --run
}
# One after the other, so that node1 is the first primary.
create_node node1 "$port1"
wait_until 60 "node1 to run alone" states_are "node1=single/single"
create_node node2 "$port2"
wait_until 90 "node1 to be primary and node2 its secondary" \
	states_are "node1=primary/primary node2=secondary/secondary"
sync_standby() {
	[[ $(node_sql "$port1" postgres "SELECT count(*) FROM pg_stat_replication
	                                 WHERE sync_state IN ('sync', 'quorum')" 2>/dev/null) == 1 ]]
}
wait_until 30 "node2 to replicate synchronously" sync_standby
say "formation ready after $((($(now_ms) - t_begin) / 1000)) s: $(states)," \
	"synchronous_standby_names = $(node_sql "$port1" postgres "SHOW synchronous_standby_names")"

node_sql "$port1" postgres "CREATE DATABASE luoshi TEMPLATE template0 ENCODING 'UTF8'
                            LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null
url="postgresql://127.0.0.1:$port1,127.0.0.1:$port2/luoshi?target_session_attrs=read-write&user=$pguser"

# ---- two luoshid, one database ------------------------------------------------

"$luoshid" --db "$url" init >"$dir/init.out" 2>"$dir/init.err" ||
	die "luoshid init failed: $(cat "$dir/init.err")"
token=$(sed -n 's/^admin token: //p' "$dir/init.out")
[[ -n $token ]] || die "luoshid init printed no admin token"

free_port
lport1=$REPLY
free_port
lport2=$REPLY
start_luoshid() { # N PORT
	setpriv --pdeathsig KILL -- "$luoshid" --db "$url" --listen "tcp://127.0.0.1:$2" \
		--publish "ipc://$dir/pub$1.sock" --rate-limit 0 --log "$dir/luoshid$1.log" \
		--log-level debug >"$dir/luoshid$1.out" 2>&1 &
	pid[luoshid$1]=$!
}
serving() { # PORT
	[[ $(HOME=$dir/cli XDG_CONFIG_HOME=$dir/cli LANG=C "$luoshi" \
		--server "tcp://127.0.0.1:$1" health 2>/dev/null) == SERVING ]]
}
start_luoshid 1 "$lport1"
start_luoshid 2 "$lport2"
wait_until 20 "luoshid 1 to serve" serving "$lport1"
wait_until 20 "luoshid 2 to serve" serving "$lport2"
say "luoshid 1 on 127.0.0.1:$lport1 (pid ${pid[luoshid1]}), luoshid 2 on 127.0.0.1:$lport2" \
	"(pid ${pid[luoshid2]})"

# ---- writes, a luoshid killed, the primary stopped ----------------------------

setpriv --pdeathsig KILL -- "$writer" --servers "tcp://127.0.0.1:$lport1,tcp://127.0.0.1:$lport2" \
	--token "$token" --threads 16 --until-file "$dir/stop" --out "$results" \
	>"$dir/writer.out" 2>"$dir/writer.log" &
pid[writer]=$!

ok_count() {
	local n
	n=$(grep -c '^ok ' "$results" 2>/dev/null) || true
	echo "${n:-0}"
}
oks_at_least() { (($(ok_count) >= $1)); }

wait_until 30 "the writer's first 300 writes" oks_at_least 300
t_kill=$(now_ms)
# Waited for at once, so that bash's notice of a killed job goes nowhere.
lrc=0
{
	kill -KILL "${pid[luoshid1]}"
	wait "${pid[luoshid1]}"
} 2>/dev/null || lrc=$?
((lrc == 128 + 9)) || die "luoshid 1 ended with $lrc, not by SIGKILL"
unset 'pid[luoshid1]'
n=$(ok_count)
say "killed luoshid 1 after $n writes"
wait_until 30 "writes to go on through luoshid 2 after luoshid 1 was killed" \
	oks_at_least $((n + 300))

# The primary crashes: its pg_autoctl processes are killed, so that nothing
# restarts it or tells the monitor, and its PostgreSQL stops at once, as
# `pg_ctl stop -m immediate` stops it: no checkpoint, every connection cut.
# (`pg_autoctl stop --immediate` would stop PostgreSQL in fast mode.)
crash_node() { # NAME
	local name=$1 pm p
	pm=$(head -n 1 "$dir/$name/postmaster.pid")
	if ! [[ $pm =~ ^[0-9]+$ ]] || ! alive "$pm"; then
		die "$name: no postmaster running"
	fi
	# The processes under the one started for the node, but PostgreSQL's.
	for p in $(ps -e -o pid=,ppid= | awk -v top="${pid[$name]}" -v pm="$pm" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				for (q = p; q != "" && q != pm && q != top; q = parent[q])
					;
				if (q == top)
					print p
			}
		}'); do
		kill -KILL "$p" 2>/dev/null || true
	done
	kill -KILL "${pid[$name]}" 2>/dev/null || true
	wait "${pid[$name]}" 2>/dev/null || true
	unset "pid[$name]"
	kill -QUIT "$pm"
	wait_exit "$pm" 30 || die "$name: PostgreSQL did not stop within 30 s of SIGQUIT"
}
n=$(ok_count)
t_stop=$(now_ms)
crash_node node1
say "stopped the primary (node1: pg_autoctl killed, PostgreSQL stopped immediately)" \
	"after $n writes"
promoted() {
	[[ $(mon_sql "SELECT count(*) FROM pgautofailover.node WHERE nodename = 'node2'
	              AND reportedstate IN ('wait_primary', 'primary')
	              AND goalstate = reportedstate" 2>/dev/null) == 1 ]]
}
wait_until 60 "the monitor to promote node2" promoted
t_promoted=$(now_ms)
say "the monitor promoted node2 $((t_promoted - t_stop)) ms after the stop: $(states)"

# A few seconds of successful writes after the promotion.
n=$(ok_count)
wait_until 30 "a write to succeed after the promotion (luoshid did not recover)" \
	oks_at_least $((n + 1))
t_back=$(now_ms)
n=$(ok_count)
since_back() { (($(now_ms) - t_back >= 3000)) && oks_at_least $((n + 100)); }
wait_until 30 "writes to go on for 3 s after the promotion" since_back

touch "$dir/stop"
wait_exit "${pid[writer]}" 30 || die "the writer did not stop within 30 s of being told"
writer_rc=0
wait "${pid[writer]}" || writer_rc=$?
unset 'pid[writer]'
((writer_rc == 0)) || die "the writer exited with $writer_rc: $(cat "$dir/writer.log")"
check_alive

# ---- the check, on the new primary --------------------------------------------

node_sql "$port2" luoshi "SELECT name, count(*), min(id), max(id) FROM accounts
                          WHERE name LIKE 'w%' GROUP BY name" |
	tr '|' ' ' >"$dir/db.txt"
# Every write answered OK is there once with its id; every name there was
# written; a write never answered OK overlapped the disruption (from the
# kill of luoshid 1 to the promotion).
awk -v t_kill="$t_kill" -v t_promoted="$t_promoted" -v out="$dir/check.txt" \
	-v never="$dir/never.txt" '
	function bad(msg) {
		if (++n_bad <= 20)
			print msg > "/dev/stderr"
	}
	FILENAME == ARGV[1] { count[$1] = $2; low[$1] = $3; high[$1] = $4; next }
	$2 in seen { bad("written twice by the writer: " $2); next }
	{ seen[$2] = 1 }
	$1 == "ok" && NF == 6 {
		n_ok++
		if (!($2 in count))
			bad($2 ": answered OK (id " $3 ") but not in the database")
		else if (count[$2] != 1)
			bad($2 ": answered OK (id " $3 ") but " count[$2] " times in the database (ids " low[$2] ".." high[$2] ")")
		else if (low[$2] != $3)
			bad($2 ": answered OK with id " $3 " but has id " low[$2] " in the database")
		next
	}
	$1 == "error" && NF >= 7 {
		if (++n_error <= 10)
			print "    " $2 ": " $3 " after " $4 " attempts, " $6 - $5 " ms" > never
		if ($6 < t_kill || $5 > t_promoted)
			bad($2 ": never answered OK, outside the failover: " $0)
		if ($2 in count) {
			n_applied++
			if (count[$2] != 1)
				bad($2 ": " count[$2] " times in the database")
		}
		next
	}
	{ bad("unreadable result: " $0) }
	END {
		for (name in count)
			if (!(name in seen))
				bad(name ": in the database, but the writer never wrote it")
		printf "%d %d %d %d\n", n_ok, n_error, n_applied, n_bad > out
	}' "$dir/db.txt" "$results"
read -r n_ok n_error n_applied n_bad <"$dir/check.txt" || die "the check did not run"

# ---- the figures --------------------------------------------------------------

summary=$(grep '^summary: ' "$dir/writer.out" || true)
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$summary"; }
stall_ms=$(field stall_ms)
stall_from=$(field stall_from)
stall_to=$(field stall_to)
n_retried=$(field retried)
# Failed attempts around the kill of luoshid 1 and around the failover.
att_kill=0 att_pg=0
read -r att_kill att_pg < <(awk -v t_stop="$t_stop" \
	'{ if ($1 < t_stop) k++; else p++ } END { printf "%d %d\n", k, p }' "$results.errors") ||
	true

grep -v '^summary: ' "$dir/writer.out" | sed 's/^writer: /failover: writer: /'
say "writes OK: $n_ok ($n_retried of them after failed attempts); never OK: $n_error" \
	"($n_applied of those in the database all the same)"
if [[ -s $dir/never.txt ]]; then
	say "writes never OK (the first 10):"
	sed 's/^/failover: /' "$dir/never.txt"
fi
say "failed attempts: $att_kill before the primary stopped (luoshid 1 killed)," \
	"$att_pg after"
say "the primary stopped -> node2 promoted by the monitor: $((t_promoted - t_stop)) ms;" \
	"-> writes succeed again: $((t_back - t_stop)) ms"
attempts_by_answer
if [[ -n $stall_ms ]]; then
	say "the writers' longest time without a successful write: $stall_ms ms," \
		"from $((stall_from - t_stop)) ms to $((stall_to - t_stop)) ms after the primary stopped"
fi

((n_bad == 0)) || die "$n_bad writes are wrong in the database (above)"
((n_ok > 0)) || die "no write succeeded"

# luoshid 2 went through it all; it must still stop cleanly.
kill -TERM "${pid[luoshid2]}"
wait_exit "${pid[luoshid2]}" 15 || die "luoshid 2 did not exit within 15 s of SIGTERM"
lrc=0
wait "${pid[luoshid2]}" || lrc=$?
unset 'pid[luoshid2]'
((lrc == 0)) || die "luoshid 2 exited with $lrc on SIGTERM: $(tail -n 20 "$dir/luoshid2.out")"
say "passed in $((($(now_ms) - t_begin) / 1000)) s"
