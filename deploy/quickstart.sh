#!/usr/bin/env bash
# Quick start on Debian 12: installs what is missing, builds luoshi, creates
# var/luoshi.db with its first admin account, starts luoshid in the
# background with the Yinzhou demo district loaded (its accounts' tokens go
# to var/demo-tokens.txt) and shows the client at work.
#
#   sudo deploy/quickstart.sh
#
# Run it again at any time: it installs and initializes only what is missing
# and leaves a luoshid that is still running alone. Under sudo, everything
# after the package installation runs as the calling user, so that build/,
# var/ and the admin token belong to them.
set -euo pipefail

top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$top"

url=tcp://127.0.0.1:7070
db=$top/var/luoshi.db
token_file=$top/var/admin.token
demo_tokens=$top/var/demo-tokens.txt
demo_out=$top/var/luoshid.out
pid_file=$top/var/luoshid.pid
log_file=$top/var/luoshid.log
luoshid=$top/build/server/luoshid
luoshi=$top/build/client/luoshi

say() { printf 'quickstart: %s\n' "$*"; }
die() {
	printf 'quickstart: %s\n' "$*" >&2
	exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -- "$@"
	else
		die "root is needed for: $*"
	fi
}

# Installs the packages of deploy/packages.txt that are not installed yet.
install_packages() {
	local pkgs=() missing=() p state
	mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' deploy/packages.txt)
	for p in "${pkgs[@]}"; do
		# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
		state=$(dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null || true)
		if ! grep -qx installed <<<"$state"; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	say "installing ${missing[*]}"
	# PostgreSQL's package would make and start a cluster of its own; the
	# tests start the servers they need (tests/pg_server.sh) and want none.
	if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
		as_root mkdir -p /etc/postgresql-common/createcluster.d
		echo 'create_main_cluster = false' |
			as_root tee /etc/postgresql-common/createcluster.d/luoshi-tests.conf >/dev/null
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}"
}

# Generates the zh_CN.UTF-8 locale (the client speaks Chinese under it).
ensure_locale() {
	local have
	have=$(locale -a 2>/dev/null || true)
	if grep -qiE '^zh_CN\.utf-?8$' <<<"$have"; then
		return 0
	fi
	say "generating the zh_CN.UTF-8 locale"
	if grep -qE '^[#[:space:]]*zh_CN\.UTF-8 UTF-8' /etc/locale.gen 2>/dev/null; then
		as_root sed -i -E 's/^[#[:space:]]*(zh_CN\.UTF-8 UTF-8)/\1/' /etc/locale.gen
	else
		echo 'zh_CN.UTF-8 UTF-8' | as_root tee -a /etc/locale.gen >/dev/null
	fi
	if [[ -x /usr/sbin/locale-gen ]]; then
		as_root /usr/sbin/locale-gen
	else
		as_root locale-gen
	fi
}

# True when every path given that exists belongs to user $1.
owned_by() {
	local user=$1 p
	shift
	for p in "$@"; do
		if [[ -e $p && $(stat -c %U -- "$p") != "$user" ]]; then
			return 1
		fi
	done
}

# True when the pid file names a luoshid that is still running.
server_running() {
	local pid
	[[ -r $pid_file ]] || return 1
	pid=$(<"$pid_file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == luoshid ]]
}

# True while process $1 exists and has not exited (a zombie has).
alive() {
	local state
	state=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

client() {
	LUOSHI_LOCALEDIR=$top/build/client/locale "$luoshi" --server "$url" "$@"
}

install_packages
ensure_locale

if ((EUID == 0)) && [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]] &&
	command -v sudo >/dev/null && owned_by "$SUDO_USER" "$top" "$top/build" "$top/var"; then
	say "going on as $SUDO_USER"
	exec sudo -u "$SUDO_USER" -H -- bash "$top/deploy/quickstart.sh" "$@"
fi

say "building in build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

mkdir -p var
chmod 700 var

if [[ ! -e $db ]]; then
	say "creating var/luoshi.db"
	# The admin token is printed once, here; it is kept in var/admin.token.
	if ! out=$("$luoshid" --db "$db" init 2>&1); then
		printf '%s\n' "$out" >&2
		rm -f -- "$db" "$db-wal" "$db-shm"
		die "luoshid init failed"
	fi
	token=$(sed -n 's/^admin token: //p' <<<"$out")
	if [[ -z $token ]]; then
		printf '%s\n' "$out" >&2
		rm -f -- "$db" "$db-wal" "$db-shm"
		die "luoshid init printed no admin token"
	fi
	grep -v '^admin token: ' <<<"$out" || true
	(umask 077 && printf '%s\n' "$token" >"$token_file")
	chmod 600 "$token_file"
	say "admin token saved in var/admin.token"
elif [[ ! -e $token_file ]]; then
	say "var/luoshi.db exists but var/admin.token does not: the admin token was shown"
	say "only once, when the database was created. To start afresh, stop luoshid and"
	say "remove var/luoshi.db*, then run this script again."
fi

if server_running; then
	say "luoshid is already running (pid $(<"$pid_file")); left as it is"
else
	say "starting luoshid on $url"
	# Its log and whatever it prints before opening the log go to one file;
	# both append. --log lets SIGHUP reopen the file after rotation.
	if [[ ! -e $demo_tokens ]]; then
		# --demo loads the demo district once (a database that has it stays
		# as it is) and prints its accounts' tokens on standard output, which
		# goes to a file only we may read.
		say "loading the Yinzhou demo district (once)"
		rm -f -- "$demo_out"
		(umask 077 && : >"$demo_out")
		# shellcheck disable=SC2094
		nohup "$luoshid" --db "$db" --listen "$url" --log "$log_file" --demo \
			</dev/null >>"$demo_out" 2>>"$log_file" &
	else
		# shellcheck disable=SC2094
		nohup "$luoshid" --db "$db" --listen "$url" --log "$log_file" \
			</dev/null >>"$log_file" 2>&1 &
	fi
	echo $! >"$pid_file"
fi
pid=$(<"$pid_file")

# Loading the demo comes before serving and takes a few seconds more.
wait_s=10
[[ -e $demo_tokens ]] || wait_s=60
deadline=$((SECONDS + wait_s))
# NOT_SERVING does not match -w SERVING: '_' is a word character.
until health=$(client --timeout 500 --json health 2>/dev/null) &&
	grep -qw SERVING <<<"$health"; do
	if ! alive "$pid"; then
		tail -n 20 "$log_file" >&2 || true
		die "luoshid stopped; its log is var/luoshid.log"
	fi
	if ((SECONDS >= deadline)); then
		tail -n 20 "$log_file" >&2 || true
		die "luoshid (pid $pid) did not answer health within $wait_s s; see var/luoshid.log"
	fi
	sleep 0.2
done

# The demo is loaded before luoshid serves: its output is complete by now.
if [[ ! -e $demo_tokens && -r $demo_out ]]; then
	if grep -q '^demo account: ' "$demo_out"; then
		(
			umask 077
			echo '# role unit token name: the demo accounts, printed once by luoshid --demo'
			sed -n 's/^demo account: role=\([^ ]*\) unit=\([^ ]*\) token=\([^ ]*\) name=\(.*\)$/\1 \2 \3 \4/p' \
				"$demo_out"
		) >"$demo_tokens"
		chmod 600 "$demo_tokens"
		say "demo district loaded; its accounts' tokens are in var/demo-tokens.txt"
	else
		sed -n 's/^demo: /quickstart: demo: /p' "$demo_out"
	fi
	rm -f -- "$demo_out"
fi

cat <<EOF

luoshid is serving on $url (pid $pid)
  database  var/luoshi.db
  log       var/luoshid.log
  pid       var/luoshid.pid

Use the client from $top:

  cd $(printf %q "$top")
  export LUOSHI_LOCALEDIR=\$PWD/build/client/locale
  export LUOSHI_TOKEN=\$(cat var/admin.token)
  build/client/luoshi whoami
  build/client/luoshi account add --role town --unit 五乡镇 --name 五乡镇联络员
  build/client/luoshi account list
  build/client/luoshi services
  build/client/luoshi call /luoshi.v1.ReflectionService/GetServerInfo '{}'
  build/client/luoshi --json health

The Yinzhou demo district (var/demo-tokens.txt: role, unit, token, name):

  build/client/luoshi project show 奥克斯智能空调项目
  build/client/luoshi project list --level city
  town=\$(awk '\$1 == "town" && \$2 == "wuxiang" {print \$3}' var/demo-tokens.txt)
  LUOSHI_TOKEN=\$town build/client/luoshi project list --town 五乡镇
  LUOSHI_TOKEN=\$town build/client/luoshi assignments
  leader=\$(awk '\$1 == "leader" {print \$3}' var/demo-tokens.txt)
  LUOSHI_TOKEN=\$leader build/client/luoshi whoami

Stop the server:

  kill \$(cat var/luoshid.pid)

EOF

if [[ ! -r $token_file ]]; then
	say "no readable var/admin.token: skipping whoami"
	exit 0
fi
say "build/client/luoshi whoami"
LUOSHI_TOKEN=$(<"$token_file") client whoami
