#!/bin/bash
# Issue 4, end to end: sockwatchctl against a real sockwatchd in a test
# namespace (private journald). `check` exits 0 with idle listeners, 1 with
# an accept queue between warn and critical, 2 with one past critical, 1
# again once that queue is drained but its drops are recent, and 3 with the
# daemon stopped, each line checked. `status --json` agrees with ss for
# filled accept queues (depth/limit = Recv-Q/Send-Q) and a SYN queue held by
# 40 request sockets from 127.0.0.7 (depth, top source). `show` prints a
# listener with its limits and what binds them. `reload` as root applies a
# new config and as uid 65534 (who can reach the socket) is refused with
# exit 1. Garbage bytes and a 1 MiB line get {"error": ...} and the daemon
# goes on answering and polling.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
UNIXSEND=$SW_BUILD/tests/tools/unixsend
[ -x "$UNIXSEND" ] || sw_fail "$UNIXSEND not built (make BUILD=${BUILD:-build} tests)"
command -v setpriv >/dev/null || sw_fail "setpriv not installed (util-linux)"
sw_journald_start

sw_netns_new ns
cport=8080 sport=8081 wport=8082
# SYN-ACKs dropped for the SYN-queue port only: its request sockets stay.
ip netns exec "$ns" nft -f - <<NFT || sw_fail "nft"
table inet swtest {
	chain out {
		type filter hook output priority 0;
		tcp sport $sport tcp flags & (syn | ack) == syn | ack drop
	}
}
NFT
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1

conf=$SW_TMP/sw.conf
write_conf() {  # INTERVAL
	cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = $1
fast_interval = 100ms
syn_scan = always
log_target = journal
[alerts]
warn = 80%
critical = 95%
clear = 60%
CONF
}
write_conf 200ms

swc_listen "$ns" csrv --bind 127.0.0.1 --port $cport --backlog 16
csrv_pid=$SW_LAST_PID
swc_listen "$ns" ssrv --bind 127.0.0.1 --port $sport --backlog 64
swc_listen "$ns" wsrv --bind 127.0.0.1 --port $wport --backlog 20
wsrv_pid=$SW_LAST_PID
swd_start "$ns" "$conf"

ctl() { "$SWD_CTL" --socket "$SWD_SOCK" "$@"; }
# check_is RC: runs check once; CHECK_OUT and CHECK_RC hold what it did.
check_is() {
	CHECK_OUT=$(ctl check 2>"$SW_TMP/check.err")
	CHECK_RC=$?
	[ "$CHECK_RC" = "$1" ]
}
# expect_check RC SECS TEXT...: waits for check to exit RC; its one line
# must hold every TEXT.
expect_check() {
	local rc=$1 secs=$2 t
	shift 2
	sw_wait_for "$secs" check_is "$rc" ||
		sw_fail "check: exit $CHECK_RC after ${secs}s, expected $rc: $CHECK_OUT $(cat "$SW_TMP/check.err")"
	sw_log "check exit $CHECK_RC: $CHECK_OUT"
	[ "$(printf '%s\n' "$CHECK_OUT" | wc -l)" = 1 ] || sw_fail "check printed more than one line"
	[ ! -s "$SW_TMP/check.err" ] || sw_fail "check wrote to stderr: $(cat "$SW_TMP/check.err")"
	for t in "$@"; do
		grep -qF -- "$t" <<<"$CHECK_OUT" || sw_fail "check line lacks '$t': $CHECK_OUT"
	done
}
check_lacks() {  # TEXT
	! grep -qF -- "$1" <<<"$CHECK_OUT" || sw_fail "check line has '$1': $CHECK_OUT"
}
status_json() { ctl status --json --all >"$SW_TMP/status.json" || sw_fail "status --json failed"; }
# jl LISTENER EXPR: EXPR of that listener in the last status_json.
jl() { jq -r --arg l "$1" ".listeners[] | select(.listener == \$l) | $2" "$SW_TMP/status.json"; }
C=127.0.0.1:$cport S=127.0.0.1:$sport W=127.0.0.1:$wport

# --- idle: OK
expect_check 0 10 "SOCKWATCH OK - 3 listeners below warn, no recent drops |" \
	"listeners=3;;;0 warning=0;;;0 critical=0;;;0 dropping=0;;;0"

# --- between warn and critical: listen(20) holds 21, 17 connects drop
# nothing and sit at 17/20 = 85%: WARNING.
swc_connect "$ns" wcli --to 127.0.0.1 --port $wport --count 17
wcli_pid=$SW_LAST_PID
wfull() { [ "$(swc_ss_listen "$ns" $wport | awk '{ print $1 }')" = 17 ]; }
sw_wait_for 10 wfull || sw_fail "accept queue of $W never at 17: $(swc_ss_listen "$ns" $wport)"
expect_check 1 10 "SOCKWATCH WARNING - 1 of 3 listeners at or above warn: $W accept 17/20 (85%) |" \
	"'accept_$W'=17;15;18;0;20"
check_lacks dropped
read -r recvq sendq drops <<<"$(swc_ss_listen "$ns" $wport)"
sw_assert_eq 0 "$drops" "$W drops by ss (nothing dropped)"
status_json
sw_assert_eq "$recvq" "$(jl $W .accept.depth)" "$W accept.depth vs ss Recv-Q"
sw_assert_eq "$sendq" "$(jl $W .accept.limit)" "$W accept.limit vs ss Send-Q"
sw_assert_eq warning "$(jl $W .state)" "$W state"

# --- show: the listener, its limits and what binds them
ctl show "$W" >"$SW_TMP/show.txt" 2>"$SW_TMP/show.err" || sw_fail "show $W failed: $(cat "$SW_TMP/show.err")"
sed 's/^/#   /' "$SW_TMP/show.txt"
sw_assert_eq "$W" "$(head -n 1 "$SW_TMP/show.txt")" "show: first line"
sw_assert_eq listen-backlog "$(jl $W .accept.limit_source)" "$W accept.limit_source"
for want in "state:        warning" \
	"owner:        qfill, pid $wsrv_pid" \
	"accept queue: 17/20 (85%)" "limit 20 set by listen-backlog" \
	"limit $(jl $W .syn.limit) set by $(jl $W .syn.limit_source); $(jl $W .syn.mode)" \
	"net.core.somaxconn $(ip netns exec "$ns" sysctl -n net.core.somaxconn)" \
	"thresholds:   warn 80%, critical 95%, clear 60%" \
	"to raise:     its listen() backlog binds, not net.core.somaxconn"; do
	grep -qF -- "$want" "$SW_TMP/show.txt" || sw_fail "show lacks '$want'"
done
sw_log "ok: show names the limits and what binds them"
ctl show 127.0.0.1:9 >/dev/null 2>"$SW_TMP/show.err"
sw_assert_eq 1 $? "show of a listener that does not exist: exit status"
sw_log "show 127.0.0.1:9: $(cat "$SW_TMP/show.err")"

# --- past critical: listen(16), 30 connects: 17/16, CRITICAL
swc_connect "$ns" ccli --to 127.0.0.1 --port $cport --count 30
ccli_pid=$SW_LAST_PID
cfull() { [ "$(swc_ss_listen "$ns" $cport | awk '{ print $1 }')" = 17 ]; }
sw_wait_for 10 cfull || sw_fail "accept queue of $C never at 17: $(swc_ss_listen "$ns" $cport)"
expect_check 2 10 "SOCKWATCH CRITICAL - 2 of 3 listeners at or above warn, 1 critical" \
	"$C accept 17/16 (106.2%)" "$W accept 17/20 (85%)" "'accept_$C'=17;12;15;0;16"
read -r recvq sendq _ <<<"$(swc_ss_listen "$ns" $cport)"
status_json
sw_assert_eq "$recvq" "$(jl $C .accept.depth)" "$C accept.depth vs ss Recv-Q"
sw_assert_eq "$sendq" "$(jl $C .accept.limit)" "$C accept.limit vs ss Send-Q"
sw_assert_eq critical "$(jl $C .state)" "$C state"

# --- SYN queue: 40 request sockets from 127.0.0.7, agreeing with ss
swc_connect "$ns" scli --to 127.0.0.1 --from 127.0.0.7 --port $sport --count 40
sfull() { [ "$(swc_ss_synrecv_count "$ns" $sport)" = 40 ]; }
sw_wait_for 10 sfull || sw_fail "SYN queue never at 40: $(swc_ss_synrecv_count "$ns" $sport)"
syn_seen() { status_json; [ "$(jl $S .syn.depth)" = 40 ]; }
sw_wait_for 10 syn_seen || sw_fail "status never showed $S syn.depth 40: $(jl $S .syn)"
sw_assert_eq "$(swc_ss_synrecv_count "$ns" $sport)" "$(jl $S .syn.depth)" "$S syn.depth vs ss syn-recv"
sw_assert_eq "127.0.0.7 40" "$(jl $S '.top_sources[0] | "\(.address) \(.count)"')" "$S top source"
sw_assert_eq "$(swc_ss_peers "$ns" $sport)" \
	"$(jl $S '.top_sources[] | "\(.address) \(.count)"' | sort)" "$S top sources vs ss peers"
sw_assert_eq 64 "$(jl $S .syn.limit)" "$S syn.limit"
sw_assert_eq cookies-on-overflow "$(jl $S .syn.mode)" "$S syn.mode"

# --- reload as root: applied
write_conf 300ms
out=$(ctl reload 2>&1)
sw_assert_eq 0 $? "reload as root: exit status"
sw_assert_eq "" "$out" "reload as root: output"
status_json
sw_assert_eq 300 "$(jq .daemon.interval_ms "$SW_TMP/status.json")" "interval_ms after reload"

# --- reload as uid 65534: refused by the daemon. Group root reaches the
# 0660 root:root socket (its directory made traversable for the group), so
# status works for that user and only reload's uid check stands in the way.
sw_assert_eq "660 root:root" "$(stat -c '%a %U:%G' "$SWD_SOCK")" "control socket mode and owner"
chmod g+x "$SW_TMP" || sw_fail "chmod $SW_TMP"
nobody() { setpriv --reuid 65534 --regid 0 --clear-groups "$@"; }
nobody "$SWD_CTL" --socket "$SWD_SOCK" status --json >/dev/null 2>"$SW_TMP/nobody.err"
rc=$?
[ ! -s "$SW_TMP/nobody.err" ] || sw_log "stderr: $(cat "$SW_TMP/nobody.err")"
sw_assert_eq 0 $rc "status as uid 65534 with group root: exit status"
write_conf 400ms
nobody "$SWD_CTL" --socket "$SWD_SOCK" reload >"$SW_TMP/nobody.out" 2>"$SW_TMP/nobody.err"
sw_assert_eq 1 $? "reload as uid 65534: exit status"
sw_log "reload as uid 65534: $(cat "$SW_TMP/nobody.err")"
grep -qF "permission denied: reload needs root" "$SW_TMP/nobody.err" ||
	sw_fail "reload as uid 65534: no clear message: $(cat "$SW_TMP/nobody.err")"
[ ! -s "$SW_TMP/nobody.out" ] || sw_fail "reload as uid 65534 wrote to stdout"
status_json
sw_assert_eq 300 "$(jq .daemon.interval_ms "$SW_TMP/status.json")" "interval_ms after the refused reload"
# Without the group the socket itself refuses: unreachable, exit 3.
setpriv --reuid 65534 --regid 65534 --clear-groups "$SWD_CTL" --socket "$SWD_SOCK" status \
	>/dev/null 2>"$SW_TMP/nobody.err"
sw_assert_eq 3 $? "status as uid/gid 65534: exit status"
grep -qF "Permission denied" "$SW_TMP/nobody.err" || sw_fail "no 'Permission denied': $(cat "$SW_TMP/nobody.err")"

# --- garbage and a 1 MiB line: {"error": ...}, and the daemon goes on
polls0=$(jq .daemon.polls "$SW_TMP/status.json")
send() {  # NAME: stdin to the socket; the reply in $SW_TMP/NAME.reply
	"$UNIXSEND" --timeout 5000 "$SWD_SOCK" >"$SW_TMP/$1.reply" 2>"$SW_TMP/$1.err" ||
		sw_fail "$1: unixsend failed: $(cat "$SW_TMP/$1.err")"
	sw_log "$1: $(cat "$SW_TMP/$1.err"): $(head -c 200 "$SW_TMP/$1.reply")"
	[ "$(wc -l <"$SW_TMP/$1.reply")" = 1 ] || sw_fail "$1: reply is not one line"
	jq -e '.error | type == "string" and length > 0' "$SW_TMP/$1.reply" >/dev/null ||
		sw_fail "$1: no {\"error\": ...} reply: $(head -c 300 "$SW_TMP/$1.reply")"
}
printf '\x00\x01\xff\xfe{{{ not json ]]\n' | send garbage
printf '\x1b[2J\x00\x00\x00' | send garbage-no-newline
printf '{"command":"status","all":"yes"}\n' | send wrong-type
head -c $((1 << 20)) /dev/zero | tr '\0' 'a' | { cat; echo; } | send mib
grep -qF "too long" "$SW_TMP/mib.reply" || sw_fail "1 MiB line: reply does not say too long"
{ printf '{"command":"status","x":"'; head -c $((1 << 20)) /dev/zero | tr '\0' 'b'; printf '"}\n'; } |
	send mib-json
ctl status >"$SW_TMP/status.txt" || sw_fail "status failed after the garbage"
grep -qF "$C" "$SW_TMP/status.txt" || sw_fail "status after the garbage lacks $C"
sleep 1
status_json
polls1=$(jq .daemon.polls "$SW_TMP/status.json")
sw_log "polls: $polls0 before the garbage, $polls1 after (300 ms interval, 100 ms in alert)"
[ "$((polls1 - polls0))" -ge 3 ] || sw_fail "daemon.polls went from $polls0 to $polls1 only"
kill -0 "$SWD_PID" || sw_fail "the daemon died"

# --- drained, clients gone: every state ok, but the drops of $C are
# recent (retransmitted SYNs the full queue dropped after its critical
# entry, not yet in a listen-drops entry): WARNING, naming them.
c_unreported() { status_json; [ "$(jl $C .drops.unreported)" -gt 0 ]; }
sw_wait_for 10 c_unreported || sw_fail "no drops of $C after its critical entry: $(jl $C .drops)"
kill -TERM "$ccli_pid" "$wcli_pid"
wait "$ccli_pid" "$wcli_pid" 2>/dev/null
kill -USR1 "$csrv_pid" "$wsrv_pid"
all_ok() { status_json; [ "$(jq -r '[.listeners[].state] | unique | join(",")' "$SW_TMP/status.json")" = ok ]; }
sw_wait_for 10 all_ok || sw_fail "states never all ok: $(jq -c '[.listeners[] | [.listener, .state]]' "$SW_TMP/status.json")"
expect_check 1 5 "SOCKWATCH WARNING - 1 of 3 listeners with recent drops: $C dropped " "dropping=1;;;0"
check_lacks "$C accept "
status_json
n=$(jl $C '[.drops.delta, .drops.unreported] | max')
[ "$n" -gt 0 ] || sw_fail "$C has no recent drops in the document: $(jl $C .drops)"
grep -qF "$C dropped $n |" <<<"$CHECK_OUT" || sw_fail "check does not say '$C dropped $n': $CHECK_OUT"
sw_log "ok: $C dropped $n, as drops.unreported/delta say: $(jl $C '.drops | tojson')"

# --- daemon stopped, socket gone: UNKNOWN
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "daemon exit status"
[ ! -e "$SWD_SOCK" ] || sw_fail "control socket left behind"
expect_check 3 1 "SOCKWATCH UNKNOWN - sockwatchd is not running ($SWD_SOCK: "
ctl status >/dev/null 2>"$SW_TMP/status.err"
sw_assert_eq 3 $? "status with the daemon stopped: exit status"
echo "PASS: check 0/1/2/1/3 with their lines; status --json agrees with ss; show; reload root/non-root; garbage and 1 MiB refused"
