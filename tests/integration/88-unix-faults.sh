#!/bin/bash
# Issue 14: the UNIX listener dump failing. sockwatchd watches a UNIX
# listener whose queue is over its limit and a TCP one, with faults
# injected into chosen polls' UNIX dumps (SOCKWATCHD_TEST_FAULT): EPERM
# error replies in three polls in a row, then an interrupted dump (redone
# 3 times, then given up). A failed UNIX dump costs only its own figures:
# the poll goes on (the TCP listener is still polled and alerts), the
# failure is counted and logged, and the UNIX listener is neither reported
# gone nor cleared meanwhile; after the faults it is the same listener
# (cookie), still critical, and it clears once its queue is drained. A
# socket that closes is reported gone after two dumps missed it.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
sw_journald_start

sw_netns_new ns
dir=$SW_TMP/sock
mkdir -p "$dir"
sock=$dir/app.sock
ufill_bg "$ns" app listen --backlog 2 --path "$sock"
app_pid=$SW_LAST_PID
ufill_bg "$ns" cli connect --path "$sock" --count 6
sw_assert_eq 3 "$(ufill_count cli CONNECTED)" "connections queued (limit 2 holds 3)"
port=8080
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 4

cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 200ms
syn_scan = off
log_target = journal
[alerts]
realert = 0
[filter]
exclude_paths = $SW_TMP/control
CONF

# Poll attempts (numbered from 1): 4-6 the UNIX dump is answered EPERM;
# 8 it is interrupted 4 times (3 redos, then given up).
faults="unix-eperm=4-6,unix-intr=8"
export SOCKWATCHD_TEST_FAULT=$faults
swd_start "$ns" "$SW_TMP/sw.conf"
unset SOCKWATCHD_TEST_FAULT

status() { "$SWD_CTL" --socket "$SWD_SOCK" status --json --all; }
unix_l() { status | jq -c --arg p "$sock" '.listeners[] | select(.listener == $p)'; }

swd_entry e 10 MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e SOCKWATCH_PATH="$sock"
swd_expect "$e" unix SOCKWATCH_LEVEL=critical SOCKWATCH_DEPTH=3 SOCKWATCH_LIMIT=2 \
	SOCKWATCH_FAMILY=unix
cookie=$(swd_field "$e" SOCKWATCH_COOKIE)

# Every attempt is a poll: a failed UNIX dump skips none (polls would
# fall behind the attempts, and past 30 s, if it did).
past_faults() { [ "$(status | jq '.daemon.polls')" -ge 14 ]; }
sw_wait_for 30 past_faults || sw_fail "the daemon stopped polling: $(status | jq -c .daemon)"
kill -0 "$SWD_PID" || sw_fail "the daemon died"

doc=$(status)
sw_log "daemon: $(jq -c '.daemon | {polls, poll_errors, dump_retries, last_error, test_seams}' <<<"$doc")"
# The UNIX dump's failures are poll errors, but no poll was skipped: every
# attempt counted as a poll.
sw_assert_eq 4 "$(jq .daemon.poll_errors <<<"$doc")" "poll_errors (3 EPERM, 1 given up)"
sw_assert_eq 3 "$(jq .daemon.dump_retries <<<"$doc")" "dump_retries (the interrupted dump)"
sw_assert_eq "UNIX listener dump: Interrupted system call" "$(jq -r .daemon.last_error <<<"$doc")" \
	"last_error"
sw_assert_eq 7 "$(jq .daemon.test_seams.faults_injected <<<"$doc")" "faults injected (3 + 4)"
sw_assert_eq true "$(jq .daemon.last_poll_ok <<<"$doc")" "last_poll_ok"

# The same listener, still critical, never reported gone or cleared.
l=$(unix_l)
sw_assert_eq "$cookie" "$(jq .cookie <<<"$l")" "cookie after the faults"
sw_assert_eq critical "$(jq -r .state <<<"$l")" "state after the faults"
sw_assert_eq 0 "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=cleared \
	SOCKWATCH_PATH="$sock")" "cleared entries during the faults"
sw_assert_eq 1 "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=accept-queue \
	SOCKWATCH_PATH="$sock")" "accept-queue entries for it (one alert, never re-raised)"
swd_entry f 5 PRIORITY=3 "MESSAGE=Poll failed: UNIX listener dump: Operation not permitted (1 failed polls so far)"

# The TCP listener was polled throughout: a queue filled now alerts.
swc_connect "$ns" tcli --to 127.0.0.1 --port $port --count 12
swd_entry a 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=$port
swd_expect "$a" tcp SOCKWATCH_LEVEL=critical SOCKWATCH_DEPTH=5 SOCKWATCH_LIMIT=4

# Drained: cleared, not gone.
kill -USR1 "$app_pid"
swd_entry c 10 SOCKWATCH_EVENT=cleared SOCKWATCH_PATH="$sock"
msg=$(swd_field "$c" MESSAGE)
sw_log "cleared: $msg"
grep -q "listener gone" <<<"$msg" && sw_fail "cleared as gone: $msg"
sw_assert_eq ok "$(unix_l | jq -r .state)" "state after draining"

# Closed: gone after two dumps missed it, with no cleared entry (none open).
kill -TERM "$app_pid"
gone() { [ -z "$(unix_l)" ]; }
sw_wait_for 5 gone || sw_fail "closed UNIX listener still in status: $(unix_l)"
sw_assert_eq 4 "$(status | jq .daemon.poll_errors)" "no poll failed after the faults"

kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: a failing UNIX dump costs only its own figures; UNIX listeners survive it"
