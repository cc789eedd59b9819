#!/bin/bash
# Runs each test given as an argument (unit binaries and integration
# scripts). Exit codes: 0 pass, 77 skip, anything else fail. With CI=true a
# skip counts as a failure: there every test must run.
set -u
pass=0 fail=0 skip=0
failed=()
logdir=${BUILD:-build}/test-logs
mkdir -p "$logdir"
for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	start=$(date +%s%N)
	timeout --kill-after=10 "${SW_TEST_TIMEOUT:-600}" "$t" >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS: $name (${secs}s)" ;;
	77) if [ "${CI:-}" = true ]; then
		fail=$((fail + 1)); failed+=("$name")
		echo "FAIL: $name skipped under CI=true: $(grep -m1 -i 'skip' "$log")"
	    else
		skip=$((skip + 1)); echo "SKIP: $name: $(grep -m1 -i 'skip' "$log")"
	    fi ;;
	*)  fail=$((fail + 1)); failed+=("$name")
	    echo "FAIL: $name (exit $rc, ${secs}s); last lines of $log:"
	    tail -n 40 "$log" | sed 's/^/    /' ;;
	esac
done
echo "============================================================"
echo "# TOTAL: $((pass + fail + skip))  PASS: $pass  SKIP: $skip  FAIL: $fail"
[ "$fail" -eq 0 ] || { echo "# failed: ${failed[*]}"; exit 1; }
[ $((pass + fail + skip)) -gt 0 ] || { echo "# no tests ran"; exit 1; }
exit 0
