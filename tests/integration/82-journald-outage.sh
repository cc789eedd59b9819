#!/bin/bash
# Issue 8: journald absent, crashed, hung and back while sockwatchd runs
# (log_target = auto, the default). While the journal is unreachable every
# entry goes to stderr at once and waits in a bounded queue; once journald
# is back, a notice and then the waiting entries reach the journal, in
# order, each once, marked SOCKWATCH_DELAYED=1 with the time it was raised.
# A hung journald (SIGSTOP: its socket queue fills) costs a send at most
# 50 ms, then stderr: polls stay on time, and nothing raised meanwhile is
# lost. The status document says where things stand (daemon.journal).
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
conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 200ms
log_target = auto
[alerts]
realert = 0
CONF

status() { "$SWD_CTL" --socket "$SWD_SOCK" status --json || sw_fail "status: exit $?"; }
jfield() { status | jq -c ".daemon.journal.$1"; }
now_usec() { echo $(($(date +%s%N) / 1000)); }
# fill NAME PORT: a listen(4) listener on PORT and 12 connects to it.
fill() {
	swc_listen "$ns" "$1" --bind 127.0.0.1 --port "$2" --backlog 4
	swc_connect "$ns" "$1cli" --to 127.0.0.1 --port "$2" --count 12
}
on_stderr() { grep -q "critical: accept-queue: .*127.0.0.1:$1: accept queue" "$SW_TMP/daemon.err"; }
accept_entries() {
	sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT="$1"
}

swd_start "$ns" "$conf"
sw_assert_eq true "$(jfield reachable)" "journal reachable at start"

# --- journald up: straight to the journal
fill a 8081
swd_entry a 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=8081
swd_expect "$a" "live entry" SOCKWATCH_DELAYED="<absent>"
on_stderr 8081 && sw_fail "an entry the journal took went to stderr too"

# --- journald gone (socket removed): stderr now, the journal later
t_stop=$(now_usec)
sw_journald_stop
fill b 8082
sw_wait_for 10 on_stderr 8082 || sw_fail "no stderr line for 8082: $(cat "$SW_TMP/daemon.err")"
grep -q "warning: cannot send to the journal (No such file or directory)" "$SW_TMP/daemon.err" ||
	sw_fail "no note about the outage on stderr"
sw_assert_eq false "$(jfield reachable)" "journal reachable while journald is gone"
sw_assert_eq 1 "$(jfield outages)" "outages"
queued=$(jfield queued)
[ "$queued" -ge 1 ] || sw_fail "nothing queued for the journal ($queued)"
kill -0 "$SWD_PID" || sw_fail "the daemon died with journald"

# --- back: the notice, then the entry raised meanwhile, marked delayed
sw_journald_start
swd_entry b 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=8082
swd_expect "$b" "replayed entry" SOCKWATCH_DELAYED=1 SOCKWATCH_LEVEL=critical SOCKWATCH_DEPTH=5
orig=$(swd_field "$b" SOCKWATCH_ORIGINAL_TIME_USEC)
logged=$(swd_field "$b" __REALTIME_TIMESTAMP)
[ "$orig" -ge "$t_stop" ] && [ "$orig" -lt "$logged" ] ||
	sw_fail "original time $orig not between the stop ($t_stop) and the replay ($logged)"
sw_log "replayed $(((logged - orig) / 1000)) ms after it was raised"
grep -q "journal reachable again after" <<<"$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd PRIORITY=5)" ||
	sw_fail "no 'reachable again' notice"
sw_assert_eq 1 "$(accept_entries 8082)" "entries for 8082 (none lost, none twice)"
reach() { [ "$(jfield reachable)" = true ] && [ "$(jfield queued)" = 0 ]; }
sw_wait_for 5 reach || sw_fail "journal state after the replay: $(status | jq -c .daemon.journal)"
[ "$(jfield replayed)" -ge "$queued" ] || sw_fail "replayed $(jfield replayed) of $queued"

# --- crashed (stale socket: connection refused), then back
sw_journald_stop --keep-socket
fill c 8083
sw_wait_for 10 on_stderr 8083 || sw_fail "no stderr line for 8083"
grep -q "cannot send to the journal (Connection refused)" "$SW_TMP/daemon.err" ||
	sw_fail "no note about the crash"
sw_journald_start
swd_entry c 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=8083
swd_expect "$c" "replayed after a crash" SOCKWATCH_DELAYED=1
sw_assert_eq 2 "$(jfield outages)" "outages"

# --- hung (SIGSTOP): its socket takes 10 datagrams, then the daemon waits
# 50 ms once and goes to stderr; 20 reloads make 20 lifecycle entries.
late0=$(status | jq .daemon.late_polls)
reloads0=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_LIFECYCLE=reloaded)
kill -STOP "$SW_JOURNALD_PID"
for i in $(seq 20); do kill -HUP "$SWD_PID"; sleep 0.05; done
fill d 8084
sw_wait_for 10 on_stderr 8084 || sw_fail "no stderr line for 8084 while journald hangs"
grep -q "cannot send to the journal (Resource temporarily unavailable)" "$SW_TMP/daemon.err" ||
	sw_fail "no note about the hung journald"
sleep 1
doc=$(status)
sw_log "while journald hangs: $(jq -c '.daemon | {polls, late_polls, max_poll_lateness_us, journal}' <<<"$doc")"
sw_assert_eq "$late0" "$(jq .daemon.late_polls <<<"$doc")" "late polls while journald hangs"
kill -CONT "$SW_JOURNALD_PID"
swd_entry d 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=8084
all_reloads() {
	[ "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_LIFECYCLE=reloaded)" -ge $((reloads0 + 20)) ]
}
sw_wait_for 10 all_reloads || true
sw_assert_eq $((reloads0 + 20)) "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_LIFECYCLE=reloaded)" \
	"reload entries after the hang (none lost, none twice)"
sw_assert_eq 1 "$(accept_entries 8084)" "entries for 8084"
delayed=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_LIFECYCLE=reloaded SOCKWATCH_DELAYED=1)
[ "$delayed" -ge 1 ] || sw_fail "no reload entry went through the queue"
sw_log "reload entries: $((20 - delayed)) taken by the hung journald's socket, $delayed replayed"
sw_assert_eq 3 "$(jfield outages)" "outages"
sw_assert_eq 0 "$(jfield dropped)" "entries dropped from the queue"

kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: journald gone, crashed and hung: stderr at once, every entry in the journal once it is back"
