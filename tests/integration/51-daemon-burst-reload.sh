#!/bin/bash
# Issue 3: no overflow goes unreported, and a broken config never replaces a
# good one. A fill-and-drain burst between two polls of a long interval
# gives a listen-drops entry carrying exactly the drops the kernel counted;
# SIGHUP with a broken config keeps the old config (the daemon goes on
# polling at its old interval) and writes a lifecycle entry with FILE:LINE;
# SIGHUP with a good one applies it.
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
interval = 6s
log_target = journal
CONF

port=8090
# listen(2): holds 3, so 10 connects drop 7 SYNs at once.
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 2
srv_pid=$SW_LAST_PID
swd_start "$ns" "$conf"

# --- the burst: fill, stop the clients (no retransmits), drain; all well
# inside one 6 s interval that starts with the "started" entry's poll.
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 10
cli_pid=$SW_LAST_PID
sleep 0.3
kill -TERM "$cli_pid"; wait "$cli_pid" 2>/dev/null
kill -USR1 "$srv_pid"
sleep 0.3
read -r depth _ drops <<<"$(swc_ss_listen "$ns" $port)"
sw_assert_eq 0 "$depth" "accept queue drained before the next poll"
[ "$drops" -gt 0 ] || sw_fail "the burst dropped nothing (d$drops)"
sw_log "burst: kernel counted d$drops"

swd_entry e 10 MESSAGE_ID=a354a0bea78f43e5a2b2ef21b23f3fab SOCKWATCH_PORT=$port
swd_expect "$e" listen-drops SOCKWATCH_EVENT=listen-drops SOCKWATCH_DROPS="$drops" \
	SOCKWATCH_DROPS_TOTAL="$drops" SOCKWATCH_LISTENER=127.0.0.1:$port SOCKWATCH_COMM=qfill \
	SOCKWATCH_PID="$srv_pid"
prio=$(swd_field "$e" PRIORITY)
case $prio in 3|4) sw_log "ok: priority $prio" ;; *) sw_fail "listen-drops priority $prio" ;; esac
sw_assert_eq 0 "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e)" \
	"accept-queue entries (no poll saw the queue full)"
sw_log "MESSAGE: $(swd_field "$e" MESSAGE)"

# --- SIGHUP with a broken config: rejected with FILE:LINE, old one kept
cp "$conf" "$SW_TMP/good.conf"
cat >"$conf" <<CONF
[daemon]
interval = 100ms
[alerts]
warn = 90%
critical = 70%
bogus = 1
CONF
kill -HUP "$SWD_PID"
swd_entry r 5 SOCKWATCH_LIFECYCLE=config\ rejected
swd_expect "$r" rejected MESSAGE_ID=94bb75e3129d4d37afce83d92844a968 PRIORITY=6
msg=$(swd_field "$r" MESSAGE)
sw_log "MESSAGE: $msg"
grep -qF "$conf:6:" <<<"$msg" || sw_fail "rejection does not name $conf:6: $msg"
grep -qE "$conf:[45]:" <<<"$msg" || sw_fail "rejection does not name the warn/critical line: $msg"
# The old 6 s interval is still in force: no poll (no new drops entry, no
# new status) happens faster. Its status says so.
iv=$("$SWD_CTL" --socket "$SWD_SOCK" status --json | jq .daemon.interval_ms)
sw_assert_eq 6000 "$iv" "interval_ms after the rejected reload"
kill -0 "$SWD_PID" || sw_fail "daemon died on a broken config"

# --- SIGHUP with a good config: applied
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 300ms
log_target = journal
CONF
kill -HUP "$SWD_PID"
swd_entry ok 5 SOCKWATCH_LIFECYCLE=reloaded
iv=$("$SWD_CTL" --socket "$SWD_SOCK" status --json | jq .daemon.interval_ms)
sw_assert_eq 300 "$iv" "interval_ms after the good reload"

kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: burst between polls reported as listen-drops; broken config rejected, good one applied"
