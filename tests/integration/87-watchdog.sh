#!/bin/bash
# Issue 11: the watchdog proves polling, not only a live loop. With
# NOTIFY_SOCKET (tests/tools/notifyrecv) and WATCHDOG_USEC=2 s:
# - 200 ms polls: WATCHDOG=1 follows the polls, never 2 s apart; with the
#   test seam poll-stop=N the poll timer is not re-armed after attempt N:
#   the daemon still answers `status`, but no WATCHDOG=1 comes any more
#   (the old loop pings went on), so systemd would restart it;
# - 3 s polls (longer than half the watchdog period): the keep-alive sends
#   WATCHDOG=1 between polls, never 2 s apart; after poll-stop it stops too;
# - poll-hang=N: the poll blocks the loop, and the pings stop;
# - a SYN scan that fails at every poll leaves the listener figures fresh:
#   WATCHDOG=1 goes on and `sockwatchctl check` says OK, not UNKNOWN (the
#   failures still count in poll_errors and last_error).
# SIGTERM after READY gives STOPPING=1 and exit 0.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
sw_journald_start
swd_notify_start

sw_netns_new ns
swc_listen "$ns" srv --bind 127.0.0.1 --port 8080 --backlog 16
WD_MS=2000
status() { "$SWD_CTL" --socket "$SWD_SOCK" status --json; }
polls() { status | jq .daemon.polls; }
pings() { swd_notified "$SWD_PID" WATCHDOG=1 | wc -l; }
pings_at_least() { [ "$(pings)" -ge "$1" ]; }
# stopped_polling N: the daemon made N polls and no more for 1 s.
stopped_polling() {
	local a b
	a=$(polls) && [ "$a" -ge "$1" ] || return 1
	sleep 1
	b=$(polls) && [ "$a" = "$b" ]
}
# daemon CONF FAULT: sockwatchd under the watchdog with that test seam.
daemon() {
	NOTIFY_SOCKET=$SWD_NOTIFY WATCHDOG_USEC=$((WD_MS * 1000)) SOCKWATCHD_TEST_FAULT=$2 \
		swd_start "$ns" "$1"
}
conf() { printf '[daemon]\nnamespaces = own\ninterval = %s\nlog_target = journal\n' "$1" >"$SW_TMP/$1.conf"; echo "$SW_TMP/$1.conf"; }

# --- 200 ms polls, stopped after attempt 20
daemon "$(conf 200ms)" poll-stop=20
sw_wait_for 10 pings_at_least 10 || sw_fail "fewer than 10 WATCHDOG=1 in 10 s: $(cat "$SWD_NOTIFY_LOG")"
sw_wait_for 15 stopped_polling 20 || sw_fail "polls did not stop at 20: $(polls)"
sw_assert_eq 20 "$(polls)" "polls made before the seam stopped them"
gap=$(swd_max_gap "$SWD_PID" WATCHDOG=1)
sw_log "200 ms polls: $(pings) pings, longest gap ${gap} ms"
[ "$gap" -lt $WD_MS ] || sw_fail "watchdog gap ${gap} ms while polling"
n=$(pings)
sleep $((WD_MS * 2 / 1000))
status >/dev/null || sw_fail "the daemon stopped answering"
sw_assert_eq "$n" "$(pings)" "WATCHDOG=1 after polls stopped (the loop still answers)"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
[ -n "$(swd_notified "$SWD_PID" STOPPING=1)" ] || sw_fail "no STOPPING=1"
[ -n "$(swd_notified "$SWD_PID" READY=1)" ] || sw_fail "no READY=1"

# --- 3 s polls: the keep-alive carries the watchdog between them
daemon "$(conf 3s)" poll-stop=3
sw_wait_for 15 stopped_polling 3 || sw_fail "polls did not stop at 3: $(polls)"
gap=$(swd_max_gap "$SWD_PID" WATCHDOG=1)
sw_log "3 s polls: $(pings) pings over 3 polls, longest gap ${gap} ms"
[ "$(pings)" -ge 6 ] || sw_fail "only $(pings) WATCHDOG=1 over 3 polls 3 s apart"
[ "$gap" -lt $WD_MS ] || sw_fail "watchdog gap ${gap} ms with 3 s polls"
n=$(pings)
sleep $((WD_MS * 2 / 1000 + 3))
sw_assert_eq "$n" "$(pings)" "keep-alive WATCHDOG=1 after polls stopped"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"

# --- every SYN scan fails: a partial failure
printf '[daemon]\nnamespaces = own\ninterval = 200ms\nsyn_scan = always\nlog_target = journal\n' >"$SW_TMP/syn.conf"
daemon "$SW_TMP/syn.conf" synrecv-eperm=1-100000
sw_wait_for 10 pings_at_least 5 || sw_fail "no WATCHDOG=1 while SYN scans fail: $(cat "$SWD_NOTIFY_LOG")"
"$SWD_CTL" --socket "$SWD_SOCK" check >"$SW_TMP/check.out"
sw_assert_eq 0 $? "check exit status while SYN scans fail ($(cat "$SW_TMP/check.out"))"
sw_assert_eq true "$(status | jq .daemon.last_poll_ok)" "last_poll_ok while SYN scans fail"
[ "$(status | jq .daemon.poll_errors)" -ge 5 ] || sw_fail "SYN scan failures not counted"
sw_assert_eq "SYN_RECV dump: Operation not permitted" "$(status | jq -r .daemon.last_error)" "last_error"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"

# --- a poll that hangs
daemon "$(conf 200ms)" poll-hang=5
sw_wait_for 10 pings_at_least 3 || sw_fail "no WATCHDOG=1 before the hang"
sleep 1
n=$(pings)
sleep $((WD_MS * 2 / 1000))
sw_assert_eq "$n" "$(pings)" "WATCHDOG=1 while a poll hangs"
[ "$n" -le 4 ] || sw_fail "$n pings from 4 polls"
kill -KILL "$SWD_PID"
wait "$SWD_PID" 2>/dev/null
echo "PASS: WATCHDOG=1 comes with polls (and the keep-alive), and stops when polls stop or hang"
