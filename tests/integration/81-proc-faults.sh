#!/bin/bash
# Issue 8: /proc/net/netstat and the sysctls unreadable or malformed.
# sockwatchd reads them from a prepared tree (the SOCKWATCHD_PROC_ROOT test
# seam) that the test rewrites while it runs. Copies of the namespace's
# real files give real figures. Then garbage: a figure that cannot be read
# is unknown (null in the status document, absent from journal entries),
# never 0; no syncookies entry is made from garbage, nor from the jump
# between the last good reading and the first good one after the garbage;
# the queues themselves are still watched: an accept queue filled meanwhile
# is reported, without the unknown sysctls. Last, a real move of
# SyncookiesSent gives a syncookies entry with exactly that move (so the
# test can fail).
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
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 200ms
log_target = journal
[alerts]
realert = 0
CONF

P=$SW_TMP/proc
mkdir -p "$P/net" "$P/sys/net/core" "$P/sys/net/ipv4" || sw_fail "mkdir $P"
# set_file REL TEXT: replaces a file of the tree at once (rename), so the
# daemon never reads half of it.
# The file is replaced by rename(), atomically: a poll never finds it
# missing, which would make the figure unknown for that poll and (rightly)
# keep the next good reading from giving a delta. Only a directory put
# there as garbage is removed first.
set_file() {
	rm -rf "$P/$1.new"
	{ [ ! -d "$P/$1" ] || rm -rf "${P:?}/$1"; } && printf '%s' "$2" >"$P/$1.new" &&
		mv -f -T "$P/$1.new" "$P/$1" || sw_fail "writing $P/$1"
}
real_netstat=$(ip netns exec "$ns" cat /proc/net/netstat)
# netstat_with VALUE: the real file with SyncookiesSent set to VALUE.
netstat_with() {
	awk -v v="$1" '
		$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) if ($i == "SyncookiesSent") c = i; h = 1; print; next }
		$1 == "TcpExt:" && h && c { $c = v } { print }' <<<"$real_netstat"
}
for f in sys/net/core/somaxconn sys/net/ipv4/tcp_max_syn_backlog sys/net/ipv4/tcp_syncookies; do
	set_file "$f" "$(ip netns exec "$ns" cat "/proc/$f")
"
done
set_file net/netstat "$(netstat_with 100)
"

port=8080
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 4
export SOCKWATCHD_PROC_ROOT=$P
swd_start "$ns" "$SW_TMP/sw.conf"
unset SOCKWATCHD_PROC_ROOT

status() { "$SWD_CTL" --socket "$SWD_SOCK" status --json || sw_fail "status: exit $?"; }
ns_field() { status | jq -c ".namespaces[0].$1"; }
polls() { status | jq .daemon.polls; }
# A namespace entry at most once a minute: this test makes only one.
# wait_polls N: until N more polls have been made.
polls_at_least() { [ "$(polls)" -ge "$1" ]; }
wait_polls() {
	sw_wait_for 20 polls_at_least $(($(polls) + $1)) || sw_fail "the daemon stopped polling"
}
cookies_entries() { sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=syncookies; }

# --- good files: their figures
wait_polls 2
sw_assert_eq "\"$P\"" "$(status | jq -c .daemon.test_seams.proc_root)" "proc root named in the status"
sw_assert_eq "$(ip netns exec "$ns" sysctl -n net.core.somaxconn)" "$(ns_field somaxconn)" "somaxconn"
sw_assert_eq 1 "$(ns_field tcp_syncookies)" "tcp_syncookies"
sw_assert_eq 100 "$(ns_field counters.SyncookiesSent)" "SyncookiesSent read from the tree"
sw_assert_eq 0 "$(cookies_entries)" "syncookies entries before anything moved"

# --- garbage everywhere
set_file net/netstat "$(printf 'TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 9x9 banana\n')"
set_file sys/net/core/somaxconn "4096abc
"
set_file sys/net/ipv4/tcp_syncookies "7
"
rm -f "$P/sys/net/ipv4/tcp_max_syn_backlog"
mkdir "$P/sys/net/ipv4/tcp_max_syn_backlog"     # EISDIR: unreadable even for root
wait_polls 3
doc=$(status)
sw_log "namespace with garbage: $(jq -c '.namespaces[0]' <<<"$doc")"
for k in somaxconn tcp_max_syn_backlog tcp_syncookies counters.SyncookiesSent \
	counters.ListenOverflows deltas.SyncookiesSent; do
	sw_assert_eq null "$(jq -c ".namespaces[0].$k" <<<"$doc")" "$k unknown, not 0"
done

# The queues are still real: an accept queue filled now is reported, and
# names no sysctl it could not read.
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 12
swd_entry a 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=$port
swd_expect "$a" accept-queue SOCKWATCH_DEPTH=5 SOCKWATCH_LIMIT=4 SOCKWATCH_SOMAXCONN="<absent>" \
	SOCKWATCH_MAX_SYN_BACKLOG="<absent>" SOCKWATCH_SYNCOOKIES="<absent>"
msg=$(swd_field "$a" MESSAGE)
case $msg in *"(-1)"*|*"=-1"*|*" (0)"*) sw_fail "MESSAGE shows an invented figure: $msg" ;; esac
sw_log "MESSAGE: $msg"

# A header whose values are partly garbage: the readable columns count.
set_file net/netstat "$(netstat_with 12z)
"
wait_polls 3
sw_assert_eq null "$(ns_field counters.SyncookiesSent)" "malformed SyncookiesSent"
[ "$(ns_field counters.ListenOverflows)" != null ] || sw_fail "a good column was lost with a bad one"

# --- good again, 1000 higher than the last good reading: the change
# happened while the figure was unknown, so no delta is invented from it.
set_file net/netstat "$(netstat_with 1100)
"
set_file sys/net/core/somaxconn "$(ip netns exec "$ns" cat /proc/sys/net/core/somaxconn)
"
wait_polls 4
sw_assert_eq 1100 "$(ns_field counters.SyncookiesSent)" "SyncookiesSent readable again"
sw_assert_eq 0 "$(ns_field deltas.SyncookiesSent)" "delta once two good readings follow"
sw_assert_eq 0 "$(cookies_entries)" "syncookies entries after the garbage"

# --- positive control: a real move is reported, with its own size (not
# the 1000 of the gap).
set_file net/netstat "$(netstat_with 1105)
"
swd_entry c 10 SOCKWATCH_EVENT=syncookies
swd_expect "$c" syncookies SOCKWATCH_SYNCOOKIESSENT=5
sw_assert_eq 1 "$(cookies_entries)" "syncookies entries after a move of 5"
sw_assert_eq 0 "$(status | jq .daemon.poll_errors)" "poll errors (unknown figures are not failures)"

kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: unreadable and malformed /proc figures are unknown, never 0, and raise nothing"
