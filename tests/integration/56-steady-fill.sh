#!/bin/bash
# Issue 11: the namespace rule compares counters of one moment. A listener's
# accept queue is overflowed steadily for 20 s (a burst of clients every
# 0.5 s, accepted soon after, so SYNs are dropped between and during polls;
# 2000 other listeners make each dump last a while): the drops are reported
# as listen-drops entries, and since every ListenOverflows the kernel counted
# is one of that listener's drops, no syncookies (namespace) entry appears.
# The daemon reads /proc/net/netstat right after the listener dump, yet a
# drop between the listener's sample and that read is in this poll's
# ListenOverflows and in the next poll's listener drops: the rule must carry
# it one poll before it calls it unexplained (read before the dump, the
# same skew runs the other way). Without that carry this fails in about
# one run of four.
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
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1 || sw_fail "sysctl"
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 100ms
log_target = journal
CONF
port=8080
# Many listeners make each dump take a while: more drops fall inside one.
swc_listen "$ns" others --bind 127.0.0.1 --count ${SW56_OTHERS:-2000} --backlog 16
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 4
srv_pid=$SW_LAST_PID
swd_start "$ns" "$SW_TMP/sw.conf"
ov0=$(swc_nstat "$ns" ListenOverflows)

# 40 bursts, 0.5 s apart: 20 s of overflow. Each burst overflows the queue
# at once (20 connections into a queue of 5) and is accepted some 20 ms
# later, so that most polls see the queue empty and the drops come as
# listen-drops entries of their own, falling between and during polls.
for i in $(seq 40); do
	sw_bg "$ns" "$SWC_QFILL" connect --to 127.0.0.1 --port $port --count 20 \
		>/dev/null 2>>"$SW_TMP/cli.err"
	cli=$SW_LAST_PID
	sleep 0.02
	kill -USR1 "$srv_pid"
	sleep 0.03
	kill -USR1 "$srv_pid"
	sleep 0.45
	kill -TERM "$cli"; wait "$cli" 2>/dev/null
done
sleep 1
ov=$(($(swc_nstat "$ns" ListenOverflows) - ov0))
sw_log "ListenOverflows +$ov in 20 s"
[ "$ov" -ge 100 ] || sw_fail "only $ov overflows: the fill was not steady"

drops=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd _PID=$SWD_PID SOCKWATCH_EVENT=listen-drops)
ns_entries=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd _PID=$SWD_PID \
	MESSAGE_ID=37d9b9e930cf462a84fdc1a1ccc798a8)
sw_log "listen-drops entries: $drops; namespace (syncookies) entries: $ns_entries"
sw_journal_json SYSLOG_IDENTIFIER=sockwatchd _PID=$SWD_PID |
	jq -r '"\(.SOCKWATCH_EVENT // "-") \(.SOCKWATCH_DROPS // "") \(.MESSAGE)"' >"$SW_TMP/entries"
sw_log "entries: $(sort "$SW_TMP/entries" | cut -c1-160 | uniq -c | sort -rn | head -n 8)"
[ "$drops" -ge 1 ] || sw_fail "no listen-drops entry for a steadily overflowing queue"
[ "$ns_entries" -eq 0 ] || sw_fail "$ns_entries namespace entries: $(sw_journal_json \
	SYSLOG_IDENTIFIER=sockwatchd MESSAGE_ID=37d9b9e930cf462a84fdc1a1ccc798a8 | jq -r .MESSAGE)"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: 20 s of steady overflow: listen-drops entries, no namespace entry"
