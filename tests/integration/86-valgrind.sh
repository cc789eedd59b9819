#!/bin/bash
# Issue 8: sockwatchd under valgrind (memcheck) through the daemon's whole
# life, its privileged helper too (issue 12): start, a queue filled and drained (alerts and a clear), a listener
# closed, status and show over the control socket, SIGHUP and
# `sockwatchctl reload`, a rejected config, SIGTERM. Any invalid read or
# write, use of uninitialised memory, or leak (definite, indirect or
# possible) fails it. A sanitizer build (make SANITIZE=1) cannot run under
# valgrind: there the same scenario runs natively and AddressSanitizer with
# LeakSanitizer is the checker.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require

if ldd "$SWD_BIN" | grep -q libasan; then
	CHECKER=asan
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	RUN=("$SWD_BIN")
	SLOW=1
else
	CHECKER=valgrind
	command -v valgrind >/dev/null || sw_fail "valgrind not installed (make deps)"
	RUN=(valgrind --error-exitcode=99 --leak-check=full
	     --show-leak-kinds=definite,indirect,possible
	     --errors-for-leak-kinds=definite,indirect,possible
	     --track-origins=yes --log-file="$SW_TMP/valgrind.%p.log" "$SWD_BIN")
	SLOW=10
fi
sw_log "checker: $CHECKER"

sw_netns_new ns
conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
interval = 300ms
fast_interval = 300ms
syn_scan = always
log_target = stderr
[alerts]
realert = 1s
[filter]
# The default namespaces = all: discovery, naming and the filter run
# under the checker, other tests' namespaces left out.
namespaces = host
CONF
sock=$SW_TMP/control
ctl() { "$SWD_CTL" --socket "$sock" "$@"; }
err=$SW_TMP/daemon.err
started() { grep -q "sockwatchd started" "$err"; }
has() { grep -q "$1" "$err"; }

swc_listen "$ns" srv --bind 127.0.0.1 --port 8080 --backlog 4
srv=$SW_LAST_PID
swc_listen "$ns" other --bind 127.0.0.1 --port 8081 --backlog 4
other=$SW_LAST_PID
sw_bg "$ns" "${RUN[@]}" -c "$conf" --control-socket "$sock" 2>"$err"
pid=$SW_LAST_PID
sw_wait_for $((6 * SLOW)) started || sw_fail "no start: $(cat "$err")"

swc_connect "$ns" cli --to 127.0.0.1 --port 8080 --count 12
cli=$SW_LAST_PID
sw_wait_for $((3 * SLOW)) has "critical: accept-queue: .*127.0.0.1:8080" || sw_fail "no alert: $(cat "$err")"
ctl status --json >/dev/null || sw_fail "status"
ctl show 127.0.0.1:8080 --json | jq -e '.listeners[0].accept.depth == 5' >/dev/null ||
	sw_fail "show: $(ctl show 127.0.0.1:8080 --json)"
ctl check >/dev/null
[ $? = 2 ] || sw_fail "check: not CRITICAL"
kill -TERM "$cli"; wait "$cli" 2>/dev/null
kill -USR1 "$srv"
sw_wait_for $((3 * SLOW)) has "cleared: .*127.0.0.1:8080" || sw_fail "no clear: $(cat "$err")"

# A listener in alert vanishes; its drops and a listener-gone clear.
swc_connect "$ns" cli2 --to 127.0.0.1 --port 8081 --count 12
sw_wait_for $((3 * SLOW)) has "critical: accept-queue: .*127.0.0.1:8081" || sw_fail "no alert on 8081"
kill -TERM "$other"; wait "$other" 2>/dev/null
sw_wait_for $((3 * SLOW)) has "listener gone" || sw_fail "no listener-gone clear: $(cat "$err")"

kill -HUP "$pid"
sw_wait_for $((3 * SLOW)) has "sockwatchd reloaded" || sw_fail "no reload on SIGHUP"
ctl reload || sw_fail "sockwatchctl reload"
printf '[alerts]\nwarn = 90%%\ncritical = 50%%\n' >"$conf"
ctl reload 2>/dev/null && sw_fail "a broken config was accepted"
sw_wait_for $((3 * SLOW)) has "config rejected" || sw_fail "no rejection"
ctl status --all --json | jq -e '.listeners | length == 1' >/dev/null || sw_fail "status after reloads"
for _ in 1 2 3; do ctl status >/dev/null || sw_fail "status"; done

kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$CHECKER" = valgrind ]; then
	# One log per process: the monitor's and its privileged helper's,
	# which valgrind follows through fork() and checks at its own exit.
	logs=("$SW_TMP"/valgrind.*.log)
	sw_assert_eq 2 "${#logs[@]}" "valgrind logs (monitor and helper)"
	for log in "${logs[@]}"; do
		sw_log "${log##*/}: $(grep -m1 "Command:" "$log" | sed "s/^==[0-9]*== //")"
		sw_log "${log##*/}: $(grep -E 'ERROR SUMMARY|definitely|indirectly|possibly|in use at exit' "$log" | sed 's/^==[0-9]*== //' | tr '\n' ';')"
		grep -q "ERROR SUMMARY: 0 errors" "$log" || sw_fail "valgrind errors in ${log##*/}:
$(grep -v '^==[0-9]*== *$' "$log" | tail -n 60)"
	done
	[ "$rc" = 0 ] || sw_fail "exit $rc under valgrind:
$(for log in "${logs[@]}"; do grep -v '^==[0-9]*== *$' "$log" | tail -n 30; done)"
else
	[ "$rc" = 0 ] || sw_fail "exit $rc under ASan: $(tail -n 60 "$err")"
	has "ERROR: \(Address\|Leak\)Sanitizer\|runtime error:" && sw_fail "sanitizer report: $(cat "$err")"
fi
has "sockwatchd stopping" || sw_fail "no stopping line"
echo "PASS: $CHECKER: no invalid access, no leak through fill, drain, reloads, status and stop"
