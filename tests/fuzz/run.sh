#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer, UndefinedBehavior-
# Sanitizer, LeakSanitizer) in build-fuzz/ and runs each for SECONDS (40 by
# default: about three minutes for the four). Fails when any target finds a
# crash, a leak, a sanitizer report or a hang; the input that did it is kept
# in build-fuzz/artifacts/TARGET/, never in the repository. Replay one with
#   build-fuzz/tests/fuzz/TARGET build-fuzz/artifacts/TARGET/crash-...
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# What the fuzzers learn is kept in build-fuzz/corpus/TARGET/ and grows from
# run to run; the seeds in tests/fuzz/corpus/ (and those fuzz_make_corpus
# writes afresh to build-fuzz/seeds/) are only read.
set -euo pipefail

top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
secs=${1:-40}
shift || true
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
	exit 2
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
	targets=(fuzz_envelope fuzz_dispatch fuzz_json fuzz_csv)
fi
build=$top/build-fuzz
jobs=$(nproc)

say() { printf 'fuzz: %s\n' "$*"; }

if ! command -v clang >/dev/null; then
	say "clang is not installed (apt-get install clang libclang-rt-14-dev)"
	exit 1
fi

# fuzz_common.c registers the services as server/main.c does: one added
# there and not here would go unfuzzed.
list_services() { grep -o 'srv_[a-z_]*_service()' "$1" | sort -u; }
if [[ $(list_services "$top/server/main.c") != "$(list_services "$top/tests/fuzz/fuzz_common.c")" ]]; then
	say "tests/fuzz/fuzz_common.c does not register the services server/main.c does:"
	diff <(list_services "$top/server/main.c") <(list_services "$top/tests/fuzz/fuzz_common.c") >&2 || true
	exit 1
fi

say "building ${build#"$top"/}/"
mkdir -p -- "$build"
blog=$build/build.log
# -O1 with debug information: fast enough to fuzz, and the reports point at
# lines; Debug keeps assert() alive.
if ! cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DLUOSHI_FUZZ=ON \
	-DLUOSHI_TESTS=OFF -DLUOSHI_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS_DEBUG="-g -O1" >"$blog" 2>&1 ||
	! cmake --build "$build" -j"$jobs" --target "${targets[@]}" fuzz_make_corpus \
		>>"$blog" 2>&1; then
	tail -n 40 "$blog" >&2
	say "the build failed (log: ${blog#"$top"/})"
	exit 1
fi

# fuzz_dispatch's database lives in memory, where commits cost nothing.
shm=/tmp
if [[ -d /dev/shm && -w /dev/shm ]]; then
	shm=/dev/shm
fi
scratch=$(mktemp -d "$shm/luoshi-fuzz.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT

# Seeds as the current protos number the methods, beside the committed ones
# (which a new method may have shifted).
rm -rf -- "$build/seeds"
if ! "$build/tests/fuzz/fuzz_make_corpus" "$build/seeds" >>"$blog" 2>&1; then
	say "fuzz_make_corpus failed (log: ${blog#"$top"/})"
	exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LUOSHI_FUZZ_TMP=$scratch

failed=()
for t in "${targets[@]}"; do
	work=$build/corpus/$t
	art=$build/artifacts/$t
	log=$build/logs/$t.log
	mkdir -p -- "$work" "$art" "$build/logs"
	say "$t: ${secs} s"
	# -timeout: an input that takes 25 s is a hang. Everything the target
	# prints goes to the log; the summary line comes from it.
	dirs=("$work" "$build/seeds/$t")
	if [[ -d $top/tests/fuzz/corpus/$t ]]; then
		dirs+=("$top/tests/fuzz/corpus/$t")
	fi
	dict=()
	if [[ -f $top/tests/fuzz/$t.dict ]]; then
		dict=(-dict="$top/tests/fuzz/$t.dict")
	fi
	if "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2560 \
		-artifact_prefix="$art/" -print_final_stats=1 "${dict[@]}" \
		"${dirs[@]}" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	if ((rc != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log"; then
		failed+=("$t")
		grep -E 'ERROR:|runtime error:|SUMMARY:|check failed|Test unit written to' "$log" |
			head -n 20 >&2 || true
		say "$t FAILED (exit $rc); log: ${log#"$top"/}; inputs: ${art#"$top"/}/"
	else
		stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
		say "$t ok: ${stats:-no summary}"
	fi
done

if ((${#failed[@]} > 0)); then
	say "failed: ${failed[*]}"
	exit 1
fi
say "all ${#targets[@]} targets ran ${secs} s each without a finding"
