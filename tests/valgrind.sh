#!/usr/bin/env bash
# Runs the end-to-end tests with every luoshid they start under valgrind's
# memcheck. By hand, not in CI: valgrind makes the server twenty to fifty
# times slower.
#
#   tests/valgrind.sh [TEST...]      e.g. tests/valgrind.sh accounts rpc
#
# LUOSHI_TEST_TIMEOUT_SCALE (default 60) scales the harness's waits.
#
# Builds build-valgrind/ (RelWithDebInfo, no sanitizers: valgrind and
# AddressSanitizer do not mix) and runs each e2e test program (all but crash,
# whose clients' short deadlines do not survive valgrind's pace, unless it is
# named) with LUOSHID pointing at a wrapper that execs valgrind on the real
# binary:
#   --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# A memcheck error or a definite leak makes luoshid exit 99, which fails the
# test that stopped it (the harness checks the server's exit status). Each
# server's report is kept in build-valgrind/valgrind/luoshid.PID.log; the
# script ends with the reports that found something. Suppressions, each with
# the reason it is there: tests/valgrind.supp.
set -euo pipefail

top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build-valgrind
logs=$build/valgrind
jobs=$(nproc)

say() { printf 'valgrind: %s\n' "$*"; }

if ! command -v valgrind >/dev/null; then
	say "valgrind is not installed (apt-get install valgrind)"
	exit 1
fi

say "building ${build#"$top"/}/"
mkdir -p -- "$build"
if ! cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUOSHI_BENCH=OFF \
	>"$build/build.log" 2>&1 || ! cmake --build "$build" -j"$jobs" >>"$build/build.log" 2>&1; then
	tail -n 40 "$build/build.log" >&2
	say "the build failed (log: ${build#"$top"/}/build.log)"
	exit 1
fi

rm -rf -- "$logs"
mkdir -p -- "$logs"
wrapper=$build/luoshid-valgrind
cat >"$wrapper" <<EOF
#!/bin/sh
# Written by tests/valgrind.sh: luoshid under memcheck.
exec valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \\
	--error-exitcode=99 --track-origins=yes --num-callers=30 \\
	--suppressions="$top/tests/valgrind.supp" --log-file="$logs/luoshid.%p.log" \\
	"$build/server/luoshid" "\$@"
EOF
chmod +x "$wrapper"

tests=()
if (($# > 0)); then
	for t in "$@"; do
		tests+=("$build/tests/e2e/e2e_${t#e2e_}")
	done
else
	for t in "$build"/tests/e2e/e2e_*; do
		[[ -x $t && $t != */e2e_crash ]] && tests+=("$t")
	done
fi

export LUOSHID=$wrapper
# The harness multiplies its start-up, init, stop and CLI limits by this:
# under memcheck luoshid runs twenty to fifty times slower, and the demo
# district's start-up (5,484 rows, ten seconds on a busy two-core machine)
# needs the most.
export LUOSHI_TEST_TIMEOUT_SCALE=${LUOSHI_TEST_TIMEOUT_SCALE:-60}
export LUOSHI=$build/client/luoshi
export LUOSHI_LOCALEDIR=$build/client/locale

failed=()
for t in "${tests[@]}"; do
	name=$(basename -- "$t")
	if [[ ! -x $t ]]; then
		say "$name: no such test program"
		failed+=("$name")
		continue
	fi
	say "$name"
	# The tests of several servers on one database, and of the copy to
	# PostgreSQL, need a PostgreSQL server.
	runner=()
	if [[ $name == e2e_shared || $name == e2e_copy ]]; then
		runner=("$top/tests/pg_server.sh")
	fi
	if ! "${runner[@]}" "$t" >"$logs/$name.out" 2>&1; then
		failed+=("$name")
		say "$name FAILED (output: ${logs#"$top"/}/$name.out)"
	fi
done

# A report found something when it counts errors or definite leaks.
found=()
for f in "$logs"/luoshid.*.log; do
	[[ -e $f ]] || continue
	if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$f"; then
		found+=("$f")
	fi
done
servers=$(find "$logs" -name 'luoshid.*.log' | wc -l)

echo
say "$servers luoshid processes ran under memcheck; ${#found[@]} reported something"
for f in "${found[@]}"; do
	say "  ${f#"$top"/}: $(grep -E 'ERROR SUMMARY' "$f" | tail -n 1 | sed 's/^==[0-9]*== //')"
done
if ((${#failed[@]} > 0)); then
	say "tests that failed: ${failed[*]}"
fi
if ((${#failed[@]} > 0 || ${#found[@]} > 0)); then
	exit 1
fi
say "no memcheck error and no definite leak"
