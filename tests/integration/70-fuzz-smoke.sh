#!/bin/bash
# Every libFuzzer target (tests/fuzz/) runs briefly: first over its whole
# corpus (seeds and the regression input of every crash ever fixed), then on
# new inputs for FUZZ_SMOKE_SECONDS (default 20) each, FUZZ_SMOKE_JOBS
# (default 2) at a time. A crash, leak, sanitizer report, hang or broken
# invariant fails the test, and so does a target that did not run its
# corpus and fuzz. `make fuzz` runs the same targets for longer.
# Needs no root: it runs as any user (so it never skips).
. "$(dirname "$0")/../lib.sh"

secs=${FUZZ_SMOKE_SECONDS:-20}
jobs=${FUZZ_SMOKE_JOBS:-2}
# New inputs each target must at least try besides its corpus: the slowest
# (diag_synrecv, large inputs) runs thousands a second.
min_new=${FUZZ_SMOKE_MIN_NEW:-1000}
build=${BUILD:-build}          # relative to the top directory, as make takes it
log=$SW_TMP/fuzz.log

command -v clang >/dev/null ||
	sw_fail "clang is not installed (make deps installs clang and libclang-rt-14-dev)"

# A fresh make: not the jobserver or variables of a make that may run us.
fmake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$SW_TOP" \
	BUILD="$build" "$@"; }

targets=$(cd "$SW_TOP/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
[ -n "$targets" ] || sw_fail "no fuzz targets in tests/fuzz"
sw_log "targets: $(echo $targets)"

fmake fuzz-build >"$SW_TMP/build.log" 2>&1 || {
	tail -n 30 "$SW_TMP/build.log"
	sw_fail "make fuzz-build failed"
}

sw_log "fuzzing each target ${secs}s, $jobs at a time"
fmake -j"$jobs" -Otarget -k fuzz FUZZ_SECONDS="$secs" >"$log" 2>&1
rc=$?

# Per target, from libFuzzer's own report: how many corpus inputs it loaded
# and how many inputs it ran in all.
summary=$(awk '
	/^=== fuzz / { t = $3 }
	/INFO: seed corpus: files:/ { seeds[t] = $5 }
	/stat::number_of_executed_units:/ { runs[t] = $2 }
	/stat::average_exec_per_sec:/ { eps[t] = $2 }
	END { for (t in runs) print t, seeds[t] + 0, runs[t], eps[t] + 0 }' "$log")

failed=0
for t in $targets; do
	read -r _ seeds runs eps < <(grep "^$t " <<<"$summary")
	if [ -z "${runs:-}" ]; then
		echo "FAIL: fuzz_$t: no final stats (crashed or did not run)"
		failed=1
	elif [ "$seeds" -lt 1 ]; then
		echo "FAIL: fuzz_$t: loaded no corpus from tests/fuzz/corpus/$t"
		failed=1
	elif [ "$runs" -lt $((seeds + min_new)) ]; then
		echo "FAIL: fuzz_$t: ran $runs inputs: fewer than $min_new besides its $seeds corpus files"
		failed=1
	else
		sw_log "fuzz_$t: $seeds corpus files, $runs runs, $eps exec/s"
	fi
	unset seeds runs eps
done

crashes=$(find "$SW_BUILD/fuzz/artifacts" -type f -newer "$SW_TMP/build.log" 2>/dev/null)
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ -n "$crashes" ]; then
	cp "$log" "$SW_BUILD/fuzz/smoke.log"
	grep -E -B2 -A40 '==[0-9]+== ?ERROR|invariant broken|runtime error|Test unit written' "$log" |
		head -n 120
	[ -z "$crashes" ] || { echo "reproducers (run the target binary on one to replay it):"; echo "$crashes"; }
	sw_fail "fuzzing failed (make exit $rc); full log in $SW_BUILD/fuzz/smoke.log"
fi
sw_log "all $(wc -w <<<"$targets") targets ran clean"
