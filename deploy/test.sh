#!/usr/bin/env bash
# The whole test suite on Debian 12: installs what is missing, builds build/
# (RelWithDebInfo) and build-asan/ (AddressSanitizer and
# UndefinedBehaviorSanitizer), runs ctest in both, then the fuzz targets for
# two minutes (tests/fuzz/run.sh, counted as one test), and ends with
# one line, "N passed, M failed", summing it all. Exits non-zero if a build
# or a test failed.
#
#   sudo deploy/test.sh
#
# Under sudo, everything after the package installation runs as the calling
# user, so that the build folders belong to them.
set -euo pipefail

top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$top"

jobs=$(nproc)

say() { printf 'test: %s\n' "$*"; }
die() {
	printf 'test: %s\n' "$*" >&2
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

# Generates the zh_CN.UTF-8 locale, which the client's tests run under.
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

passed=0
failed=0
problems=()

# suite NAME DIR [VAR=VALUE...] [--exclude REGEX] -- [CMAKE ARGS...]
# Configures and builds DIR, then runs ctest there with the given
# environment (leaving out the tests REGEX matches), adding its counts to
# passed and failed.
suite() {
	local name=$1 dir=$2 env_args=() exclude=() log line rc counts
	shift 2
	while (($# > 0)) && [[ $1 != -- ]]; do
		if [[ $1 == --exclude ]]; then
			exclude=(-E "$2")
			shift 2
			continue
		fi
		env_args+=("$1")
		shift
	done
	shift

	say "building $dir/ ($name)"
	if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j"$jobs"; then
		problems+=("$name: the build failed")
		return 0
	fi

	say "running the tests in $dir/ ($name)"
	log=$dir/ctest.log
	if env "${env_args[@]}" ctest --test-dir "$dir" --output-on-failure --no-tests=error \
		-j"$jobs" "${exclude[@]}" 2>&1 | tee "$log"; then
		rc=0
	else
		rc=$?
	fi

	# "92% tests passed, 1 tests failed out of 12"
	line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" |
		tail -n 1 || true)
	if [[ -z $line ]]; then
		problems+=("$name: ctest gave no summary (exit $rc)")
		return 0
	fi
	read -r -a counts < <(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/' \
		<<<"$line")
	failed=$((failed + counts[0]))
	passed=$((passed + counts[1] - counts[0]))
	if ((rc != 0)); then
		problems+=("$name: ctest exited with $rc")
	fi
}

install_packages
ensure_locale

if ((EUID == 0)) && [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]] &&
	command -v sudo >/dev/null &&
	owned_by "$SUDO_USER" "$top" "$top/build" "$top/build-asan" "$top/build-fuzz"; then
	say "going on as $SUDO_USER"
	exec sudo -u "$SUDO_USER" -H -- bash "$top/deploy/test.sh" "$@"
fi

suite release build -- -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The sanitizers run every test but the PostgreSQL twins of the tests that
# run on both backends (e2e_pg_*, *_test_pg: the same programs, the store
# on PostgreSQL), which the release build runs; the PostgreSQL store's own
# tests run in both.
suite sanitizers build-asan \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	--exclude '^e2e_pg_|_test_pg$' \
	-- -DLUOSHI_SANITIZE=ON -DLUOSHI_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug

# The libFuzzer targets, 30 s each (tests/fuzz/run.sh builds build-fuzz/):
# one test in the count, failed by any crash, leak or sanitizer report.
say "running the fuzz targets (tests/fuzz/run.sh)"
if bash tests/fuzz/run.sh 30; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	problems+=("fuzz: tests/fuzz/run.sh failed (build-fuzz/logs/, build-fuzz/artifacts/)")
fi

status=0
if ((${#problems[@]} > 0 || failed > 0)); then
	status=1
fi
echo
for p in "${problems[@]}"; do
	say "$p"
done
printf '%d passed, %d failed\n' "$passed" "$failed"
exit "$status"
