#!/bin/bash
# The namespace "syncookies" entry against the kernel's own counters, in
# both cookie modes.
# - tcp_syncookies = 1: a SYN queue of listen(8) overflows (SYN-ACKs
#   dropped, SYNs from 127.0.0.9 so the peer is not "proven"); the kernel
#   answers the overflow with cookies, and the daemon writes a syncookies
#   entry whose SyncookiesSent and TCPReqQFullDoCookies equal nstat's.
# - tcp_syncookies = 2: the kernel answers every SYN with a cookie and
#   counts SyncookiesSent and TCPReqQFullDoCookies for each (nstat shows
#   them move with 30 ordinary connections), so they say nothing of
#   overflow: no entry (check_manager shows they trigger no SYN scan
#   either: with one listener the scheduled scans are as frequent as the
#   polls, so a trigger cannot be told apart here).
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
sw_journald_start

conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
log_target = journal
CONF
status() { "$SWD_CTL" --socket "$SWD_SOCK" status --json || sw_fail "status: exit $?"; }
polls_at_least() { [ "$(status | jq .daemon.polls)" -ge "$1" ]; }

# --- mode 1: cookies on overflow only
sw_netns_new ns1
ip netns exec "$ns1" sysctl -qw net.ipv4.tcp_syncookies=1 || sw_fail "sysctl"
ip netns exec "$ns1" ip addr add 127.0.0.9/8 dev lo 2>/dev/null
sw_drop_synacks "$ns1"
swc_listen "$ns1" srv1 --bind 127.0.0.1 --port 8080 --backlog 8
swd_start "$ns1" "$conf"
sent0=$(swc_nstat "$ns1" SyncookiesSent) full0=$(swc_nstat "$ns1" TCPReqQFullDoCookies)
holds=$(sw_syn_holds 8)
swc_connect "$ns1" cli1 --to 127.0.0.1 --port 8080 --from 127.0.0.9 --count $((holds + 12))
swd_entry e 10 SOCKWATCH_EVENT=syncookies
sent=$(($(swc_nstat "$ns1" SyncookiesSent) - sent0))
full=$(($(swc_nstat "$ns1" TCPReqQFullDoCookies) - full0))
sw_log "mode 1: nstat SyncookiesSent +$sent, TCPReqQFullDoCookies +$full"
[ "$sent" -ge 12 ] || sw_fail "the kernel sent $sent cookies, expected at least 12"
swd_expect "$e" "mode 1 syncookies entry" SOCKWATCH_SYNCOOKIES=1 SOCKWATCH_LEVEL=warning \
	SOCKWATCH_SYNCOOKIESSENT=$sent SOCKWATCH_TCPREQQFULLDOCOOKIES=$full
kill -TERM "$SWD_PID"
wait "$SWD_PID"

# --- mode 2: a cookie for every SYN
sw_netns_new ns2
ip netns exec "$ns2" sysctl -qw net.ipv4.tcp_syncookies=2 || sw_fail "sysctl"
swc_listen "$ns2" srv2 --bind 127.0.0.1 --port 8080 --backlog 64
swd_start "$ns2" "$conf"
sent0=$(swc_nstat "$ns2" SyncookiesSent) full0=$(swc_nstat "$ns2" TCPReqQFullDoCookies)
swc_connect "$ns2" cli2 --to 127.0.0.1 --port 8080 --count 30
polls=$(status | jq .daemon.polls)
# 10 polls (2 s) after the connections: an entry would be out at once.
sw_wait_for 10 polls_at_least $((polls + 10)) || sw_fail "the daemon stopped polling"
sent=$(($(swc_nstat "$ns2" SyncookiesSent) - sent0))
full=$(($(swc_nstat "$ns2" TCPReqQFullDoCookies) - full0))
sw_log "mode 2: nstat SyncookiesSent +$sent, TCPReqQFullDoCookies +$full for 30 connections"
[ "$sent" -ge 30 ] || sw_fail "mode 2: the kernel counted $sent cookies for 30 SYNs"
[ "$full" -ge 30 ] || sw_fail "mode 2: TCPReqQFullDoCookies +$full for 30 SYNs"
# The daemon's own entries reach the journal (its start), none of them
# a syncookies one.
sw_journal_json SYSLOG_IDENTIFIER=sockwatchd _PID=$SWD_PID >"$SW_TMP/mode2.json"
[ -s "$SW_TMP/mode2.json" ] || sw_fail "no journal entry from the mode 2 daemon (pid $SWD_PID)"
! jq -e 'select(.SOCKWATCH_EVENT == "syncookies")' "$SW_TMP/mode2.json" >/dev/null ||
	sw_fail "mode 2 gave a syncookies entry: $(jq -r 'select(.SOCKWATCH_EVENT == "syncookies") | .MESSAGE' "$SW_TMP/mode2.json")"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: syncookies entry equals nstat under mode 1; mode 2's per-SYN cookies make no entry"
