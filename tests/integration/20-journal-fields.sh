#!/bin/bash
# Journal entries as DESIGN.md "Journal entries" specifies them: a private
# journald receives one event of each kind from swemit (through
# journal_emit), and journalctl -o json must show each with its MESSAGE_ID,
# PRIORITY and every SOCKWATCH_* value, no CODE_* fields, and the same
# MESSAGE the stderr line carries. journalctl -x shows the catalog text. Then
# the fall back: with journald crashed or gone, the events go to stderr, and
# once journald is back they go to the journal again.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"

command -v jq >/dev/null || sw_skip "jq not installed"
command -v ip >/dev/null || sw_skip "ip not installed"
EMIT=$SW_BUILD/tests/tools/swemit
[ -x "$EMIT" ] || sw_fail "$EMIT not built (make BUILD=... tests)"

sw_journald_start
sw_journal_catalog_install "$SW_TOP/systemd/sockwatchd.catalog"

# emit ARGS...: one event into the journal; its pid goes in EMIT_PID.
emit() {
	"$EMIT" --target journal "$@" 2>"$SW_TMP/emit.err" &
	EMIT_PID=$!
	wait "$EMIT_PID" || sw_fail "swemit $*: $(cat "$SW_TMP/emit.err")"
	[ ! -s "$SW_TMP/emit.err" ] || sw_fail "swemit $* wrote to stderr: $(cat "$SW_TMP/emit.err")"
}

# The MESSAGE the stderr line of the same event carries.
stderr_message() {
	"$EMIT" --target stderr "$@" 2>&1 >/dev/null |
		sed -E 's/^sockwatchd\[[0-9]+\]: [a-z]+: ([a-z-]+: )?//'
}

# field JSON NAME: a field's value ("<absent>" when missing); binary-safe
# values (journalctl prints them as byte arrays) are turned back into text.
field() {
	jq -r --arg f "$2" '(.[$f] // "<absent>") | if type == "array" then implode else . end' <<<"$1"
}

# expect MATCH EXPECT...: exactly one sockwatchd entry matches MATCH (a
# journalctl FIELD=VALUE); each EXPECT is FIELD=VALUE or !FIELD (absent).
# Every entry must come from the last swemit and carry no source location.
expect() {
	local match=$1; shift
	local json n e f
	sw_journal_wait 5 SYSLOG_IDENTIFIER=sockwatchd "$match" || sw_fail "no entry with $match"
	json=$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd "$match")
	n=$(grep -c '^{' <<<"$json")
	sw_assert_eq 1 "$n" "entries with $match"
	set -- "$@" "_PID=$EMIT_PID" "_TRANSPORT=journal" !CODE_FILE !CODE_LINE !CODE_FUNC
	for e in "$@"; do
		case $e in
		!*)	f=${e#!}
			sw_assert_eq "<absent>" "$(field "$json" "$f")" "$match: $f" ;;
		*)	f=${e%%=*}
			sw_assert_eq "${e#*=}" "$(field "$json" "$f")" "$match: $f" ;;
		esac
	done
	LAST_JSON=$json
}

# expect_message ARGS...: the journal MESSAGE of the last entry equals the
# stderr line's text for the same swemit arguments.
expect_message() {
	sw_assert_eq "$(stderr_message "$@")" "$(field "$LAST_JSON" MESSAGE)" "MESSAGE matches stderr"
}

sw_log "accept-queue, full owner, every sysctl"
A=(accept --listener 127.0.0.1:8080 --level critical --depth 17 --limit 16 --peak 18
   --source listen-backlog --drops 13 --drops-total 40 --somaxconn 4096
   --max-syn-backlog 2048 --syncookies 1 --pid 4242 --comm qfill --unit qfill.service
   --holders 1 --cookie 12345)
emit "${A[@]}"
expect SOCKWATCH_EVENT=accept-queue \
	MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e PRIORITY=3 SYSLOG_IDENTIFIER=sockwatchd \
	SOCKWATCH_LEVEL=critical SOCKWATCH_LISTENER=127.0.0.1:8080 SOCKWATCH_ADDRESS=127.0.0.1 \
	SOCKWATCH_PORT=8080 SOCKWATCH_FAMILY=inet SOCKWATCH_NETNS=host SOCKWATCH_QUEUE=accept \
	SOCKWATCH_DEPTH=17 SOCKWATCH_LIMIT=16 SOCKWATCH_PERCENT=106.2 SOCKWATCH_PEAK=18 \
	SOCKWATCH_DROPS=13 SOCKWATCH_DROPS_TOTAL=40 SOCKWATCH_LIMIT_SOURCE=listen-backlog \
	SOCKWATCH_SOMAXCONN=4096 SOCKWATCH_MAX_SYN_BACKLOG=2048 SOCKWATCH_SYNCOOKIES=1 \
	SOCKWATCH_PID=4242 SOCKWATCH_COMM=qfill SOCKWATCH_UNIT=qfill.service \
	SOCKWATCH_COOKIE=12345 SOCKWATCH_HOLDERS=1 \
	!SOCKWATCH_TOP_SOURCES !SOCKWATCH_SYN_MODE !SOCKWATCH_LIFECYCLE !SOCKWATCH_COUNTERS \
	!SOCKWATCH_NETNS_ID !SOCKWATCH_CONTAINER !SOCKWATCH_POD_UID
expect_message "${A[@]}"
case $(field "$LAST_JSON" MESSAGE) in
"qfill.service (qfill, pid 4242) on 127.0.0.1:8080: accept queue 17/16 (106.2%), peak 18, 13 connections dropped"*"listen() backlog binds"*) ;;
*) sw_fail "accept MESSAGE: $(field "$LAST_JSON" MESSAGE)" ;;
esac

sw_log "syn-queue, IPv6, a container's namespace, cookies off, owner unknown"
CID=3f2a9c1b0e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8
S=(syn --listener '[::1]:443' --netns docker:3f2a9c1b0e4d --netns-id 4026532999
   --container $CID --level warning --depth 40 --limit 48
   --peak 44 --source net.ipv4.tcp_max_syn_backlog --mode drop-on-overflow --syncookies 0
   --max-syn-backlog 64 --top '::1=30,::ffff:10.0.0.2=10' --drops 2 --drops-total 5)
emit "${S[@]}"
expect SOCKWATCH_EVENT=syn-queue \
	MESSAGE_ID=ce535b3f83cf4e6f88f1c7d5ad06702b PRIORITY=4 SOCKWATCH_LEVEL=warning \
	'SOCKWATCH_LISTENER=[::1]:443' SOCKWATCH_ADDRESS=::1 SOCKWATCH_PORT=443 \
	SOCKWATCH_FAMILY=inet6 SOCKWATCH_NETNS=docker:3f2a9c1b0e4d \
	SOCKWATCH_NETNS_ID=4026532999 SOCKWATCH_CONTAINER=$CID !SOCKWATCH_POD_UID \
	SOCKWATCH_QUEUE=syn \
	SOCKWATCH_DEPTH=40 SOCKWATCH_LIMIT=48 SOCKWATCH_PERCENT=83.3 SOCKWATCH_PEAK=44 \
	SOCKWATCH_DROPS=2 SOCKWATCH_DROPS_TOTAL=5 \
	SOCKWATCH_LIMIT_SOURCE=net.ipv4.tcp_max_syn_backlog SOCKWATCH_SYN_MODE=drop-on-overflow \
	SOCKWATCH_SYNCOOKIES=0 SOCKWATCH_MAX_SYN_BACKLOG=64 \
	'SOCKWATCH_TOP_SOURCES=::1=30,::ffff:10.0.0.2=10' \
	!SOCKWATCH_SOMAXCONN !SOCKWATCH_PID !SOCKWATCH_COMM !SOCKWATCH_UNIT
expect_message "${S[@]}"
case $(field "$LAST_JSON" MESSAGE) in
"in docker:3f2a9c1b0e4d on [::1]:443: SYN queue 40/48 (83.3%)"*) ;;
*) sw_fail "syn MESSAGE: $(field "$LAST_JSON" MESSAGE)" ;;
esac

sw_log "accept-queue in a pod, owner known: the namespace before the listener"
POD=6a1f9c2e-8b7d-4e3f-9a2b-1c0d9e8f7a6b
P=(accept --listener 10.244.1.7:8080 --netns pod:$POD --netns-id 4026533000 --pod-uid $POD
   --container $CID --level warning --depth 100 --limit 128 --source net.core.somaxconn
   --somaxconn 128 --pid 812 --comm nginx)
emit "${P[@]}"
expect SOCKWATCH_POD_UID=$POD \
	SOCKWATCH_EVENT=accept-queue SOCKWATCH_NETNS=pod:$POD SOCKWATCH_NETNS_ID=4026533000 \
	SOCKWATCH_CONTAINER=$CID SOCKWATCH_LISTENER=10.244.1.7:8080 SOCKWATCH_PID=812
expect_message "${P[@]}"
case $(field "$LAST_JSON" MESSAGE) in
"nginx (pid 812) in pod:$POD on 10.244.1.7:8080: accept queue 100/128 (78.1%)"*) ;;
*) sw_fail "pod MESSAGE: $(field "$LAST_JSON" MESSAGE)" ;;
esac

sw_log "listen-drops"
D=(drops --listener 127.0.0.1:9090 --drops 7 --drops-total 9 --queue accept --depth 0
   --limit 128 --source net.core.somaxconn --somaxconn 128)
emit "${D[@]}"
expect SOCKWATCH_EVENT=listen-drops \
	MESSAGE_ID=a354a0bea78f43e5a2b2ef21b23f3fab PRIORITY=4 SOCKWATCH_LEVEL=warning \
	SOCKWATCH_LISTENER=127.0.0.1:9090 SOCKWATCH_DROPS=7 SOCKWATCH_DROPS_TOTAL=9 \
	SOCKWATCH_QUEUE=accept SOCKWATCH_DEPTH=0 SOCKWATCH_LIMIT=128 SOCKWATCH_PERCENT=0 \
	SOCKWATCH_LIMIT_SOURCE=net.core.somaxconn SOCKWATCH_SOMAXCONN=128
expect_message "${D[@]}"

sw_log "syncookies (namespace-wide)"
C=(syncookies --level critical --counter SyncookiesSent=120 --counter TCPReqQFullDoCookies=120
   --counter ListenOverflows=3 --syncookies 1 --max-syn-backlog 2048)
emit "${C[@]}"
expect SOCKWATCH_EVENT=syncookies \
	MESSAGE_ID=37d9b9e930cf462a84fdc1a1ccc798a8 PRIORITY=3 SOCKWATCH_LEVEL=critical \
	SOCKWATCH_NETNS=host SOCKWATCH_SYNCOOKIES=1 SOCKWATCH_MAX_SYN_BACKLOG=2048 \
	SOCKWATCH_COUNTERS=ListenOverflows=+3,TCPReqQFullDoCookies=+120,SyncookiesSent=+120 \
	SOCKWATCH_LISTENOVERFLOWS=3 SOCKWATCH_TCPREQQFULLDOCOOKIES=120 \
	SOCKWATCH_SYNCOOKIESSENT=120 !SOCKWATCH_SYNCOOKIESFAILED !SOCKWATCH_LISTENDROPS \
	!SOCKWATCH_LISTENER !SOCKWATCH_QUEUE !SOCKWATCH_DROPS
expect_message "${C[@]}"

sw_log "cleared: back under the threshold, and listener gone"
K=(cleared --listener 127.0.0.1:8080 --cleared-level critical --queue accept --depth 3
   --limit 511 --pid 4242 --comm qfill)
emit "${K[@]}"
expect SOCKWATCH_REASON=below-clear \
	MESSAGE_ID=8f671c50c535449aae17a9d8d19c161f PRIORITY=5 SOCKWATCH_EVENT=cleared \
	SOCKWATCH_LEVEL=cleared SOCKWATCH_CLEARED_LEVEL=critical \
	SOCKWATCH_LISTENER=127.0.0.1:8080 SOCKWATCH_QUEUE=accept SOCKWATCH_DEPTH=3 \
	SOCKWATCH_LIMIT=511 SOCKWATCH_PERCENT=0.5 SOCKWATCH_PID=4242
expect_message "${K[@]}"
sw_assert_eq "qfill (pid 4242) on 127.0.0.1:8080: critical accept-queue alert cleared: accept queue back to 3/511 (0.5%)" \
	"$(field "$LAST_JSON" MESSAGE)" "cleared MESSAGE"
G=(cleared --listener '[::]:80' --cleared-level warning --queue syn --gone)
emit "${G[@]}"
expect SOCKWATCH_REASON=listener-gone \
	PRIORITY=5 SOCKWATCH_LEVEL=cleared SOCKWATCH_CLEARED_LEVEL=warning \
	'SOCKWATCH_LISTENER=[::]:80' SOCKWATCH_FAMILY=inet6 SOCKWATCH_QUEUE=syn \
	'MESSAGE=[::]:80: warning syn-queue alert cleared: listener gone'

sw_log "lifecycle, multi-line text"
TEXT=$'/etc/sockwatchd.conf:3: unknown key "wran"\n/etc/sockwatchd.conf:7: warn > critical'
emit lifecycle --lifecycle "config rejected" --text "$TEXT"
expect 'SOCKWATCH_LIFECYCLE=config rejected' \
	MESSAGE_ID=94bb75e3129d4d37afce83d92844a968 PRIORITY=6 \
	"MESSAGE=sockwatchd config rejected: $TEXT" \
	!SOCKWATCH_EVENT !SOCKWATCH_LEVEL !SOCKWATCH_LISTENER !SOCKWATCH_NETNS \
	!SOCKWATCH_NETNS_ID !SOCKWATCH_CONTAINER !SOCKWATCH_POD_UID

sw_log "a hostile process name stays one field, verbatim"
emit accept --listener 127.0.0.1:7070 --depth 1 --limit 2 --comm $'ev\nMESSAGE=x' --pid 9
expect SOCKWATCH_LISTENER=127.0.0.1:7070 $'SOCKWATCH_COMM=ev\nMESSAGE=x' SOCKWATCH_PERCENT=50

sw_log "daemon diagnostics: journal_log"
emit log --priority 3 --text "diag: something failed"
expect 'MESSAGE=diag: something failed' PRIORITY=3 !MESSAGE_ID !SOCKWATCH_EVENT

sw_log "from inside a network namespace (as the daemon tests run it)"
sw_netns_new NS
ip netns exec "$NS" "$EMIT" --target journal lifecycle --lifecycle started --text "in $NS" ||
	sw_fail "swemit in $NS"
sw_journal_wait 5 SYSLOG_IDENTIFIER=sockwatchd "MESSAGE=sockwatchd started: in $NS" ||
	sw_fail "no entry from inside $NS"

sw_log "journalctl -x shows the catalog entry"
sw_journal_json >/dev/null   # sync
journalctl -x --no-pager --directory=/run/log/journal \
	MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e >"$SW_TMP/x.txt" 2>&1
for want in "Subject: Accept queue of 127.0.0.1:8080 is 106.2% full" \
	"Defined-By: sockwatchd" "accept queue of the TCP listener 127.0.0.1:8080" \
	"holds 17 connections against a limit of" "16. SOCKWATCH_LIMIT_SOURCE names" \
	"listen-backlog: the backlog the application passed to listen() is the"; do
	grep -qF -- "$want" "$SW_TMP/x.txt" || { cat "$SW_TMP/x.txt"; sw_fail "journalctl -x lacks '$want'"; }
done
sw_log "ok: catalog text shown"
# Every MESSAGE_ID the code sends has a catalog entry.
journalctl --list-catalog >"$SW_TMP/list.txt" || sw_fail "journalctl --list-catalog"
ids=$(sed -n 's/^#define SW_MID_[A-Z_]* *"\([0-9a-f]\{32\}\)"$/\1/p' "$SW_TOP/src/message.h")
sw_assert_eq 6 "$(wc -w <<<"$ids")" "MESSAGE_IDs in src/message.h"
for id in $ids; do
	grep -q "^$id sockwatchd: " "$SW_TMP/list.txt" || sw_fail "no catalog entry for $id"
done
sw_log "ok: catalog covers all six MESSAGE_IDs"

# ---------------------------------------------------------------------------
sw_log "fall back: journald crashed (stale socket)"
before=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd)
sw_journald_stop --keep-socket
[ -S /run/systemd/journal/socket ] || sw_fail "socket should have stayed"
"$EMIT" --target auto "${D[@]}" 2>"$SW_TMP/fb1.err" || sw_fail "swemit exit $?"
grep -q '^sockwatchd\[[0-9]*\]: warning: cannot send to the journal (Connection refused)' \
	"$SW_TMP/fb1.err" || sw_fail "no fallback note: $(cat "$SW_TMP/fb1.err")"
grep -q '^sockwatchd\[[0-9]*\]: warning: listen-drops: 127.0.0.1:9090: 7 connections dropped since the last report' \
	"$SW_TMP/fb1.err" || sw_fail "event not on stderr: $(cat "$SW_TMP/fb1.err")"
sw_assert_eq 2 "$(wc -l <"$SW_TMP/fb1.err")" "stderr lines with journald crashed"

sw_log "fall back: journald gone (no socket)"
sw_journald_stop
[ ! -e /run/systemd/journal/socket ] || sw_fail "socket should be gone"
"$EMIT" --target journal "${A[@]}" 2>"$SW_TMP/fb2.err" || sw_fail "swemit exit $?"
grep -q 'cannot send to the journal (No such file or directory)' "$SW_TMP/fb2.err" ||
	sw_fail "no fallback note: $(cat "$SW_TMP/fb2.err")"
grep -q '^sockwatchd\[[0-9]*\]: critical: accept-queue: qfill.service (qfill, pid 4242) on 127.0.0.1:8080: accept queue 17/16' \
	"$SW_TMP/fb2.err" || sw_fail "event not on stderr: $(cat "$SW_TMP/fb2.err")"
# auto without a socket is plain stderr mode: no note, just the line.
"$EMIT" --target auto "${A[@]}" 2>"$SW_TMP/fb3.err" || sw_fail "swemit exit $?"
sw_assert_eq 1 "$(wc -l <"$SW_TMP/fb3.err")" "stderr lines, auto without journald"
sw_assert_eq "$(stderr_message "${A[@]}")" \
	"$(sed -E 's/^sockwatchd\[[0-9]+\]: critical: accept-queue: //' "$SW_TMP/fb3.err")" \
	"stderr line text"
sw_assert_eq "$before" "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd)" \
	"entries written while journald was down"

sw_log "back to the journal when journald returns"
N=20
"$EMIT" --target auto --repeat $N --interval-ms 250 "${D[@]}" 2>"$SW_TMP/fb4.err" &
EMIT_PID=$!
SW_PIDS+=("$EMIT_PID")
sw_wait_for 5 grep -q listen-drops "$SW_TMP/fb4.err" || sw_fail "first event not on stderr"
sw_journald_start
wait "$EMIT_PID" || sw_fail "swemit --repeat failed"
on_stderr=$(grep -c ': listen-drops: ' "$SW_TMP/fb4.err")
sw_journal_wait 5 SYSLOG_IDENTIFIER=sockwatchd _PID=$EMIT_PID SOCKWATCH_EVENT=listen-drops ||
	sw_fail "nothing reached the journal after journald came back"
in_journal=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd _PID=$EMIT_PID SOCKWATCH_EVENT=listen-drops)
sw_log "stderr $on_stderr, journal $in_journal"
[ "$on_stderr" -ge 1 ] || sw_fail "no event went to stderr"
sw_assert_eq $N $((on_stderr + in_journal)) "events delivered (none lost, none twice)"
sw_journal_wait 5 SYSLOG_IDENTIFIER=sockwatchd _PID=$EMIT_PID PRIORITY=5 \
	'MESSAGE=journal reachable again; entries in between went to stderr' ||
	sw_fail "no 'reachable again' notice"
exit 0
