#!/bin/bash
# Issue 13, three namespaces at once, beside the daemon's own ("host"):
#  A  made by `ip netns add`                    -> named A's /run/netns name
#  B  held only by an `unshare -n sleep` process -> pid:<that pid>
#  C  its holder and listener in a cgroup named like a Docker scope
#     (<cgroup2>/sockwatch-test.slice/docker-<64 hex>.scope) -> docker:<12 hex>
# each with its own somaxconn (111, 222, 333) and a listener on the same
# 127.0.0.1:8080. A's accept queue is filled past somaxconn, C's past its
# listen() backlog. Each entry names its namespace (SOCKWATCH_NETNS,
# SOCKWATCH_NETNS_ID = NS_GET_ID, SOCKWATCH_CONTAINER for C, MESSAGE
# "... in NAME on 127.0.0.1:8080: ...") with that namespace's somaxconn and
# limit source; `status --json` agrees with `ss -ltn` run inside each
# namespace (Recv-Q/Send-Q = depth/limit, ids, somaxconn); the table shows a
# NETNS column and `status --netns NAME` only that namespace.
# --selftest-setup: the set-up, the fills and ss only (lib-netns.bash).
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
. "$SW_TOP/tests/integration/lib-netns.bash"
sw_require_root
nst_require
sw_journald_start
nst_log_mode

port=8080
L=127.0.0.1:$port
sw_netns_new dns                       # the daemon's: "host" to it
swc_listen "$dns" hsrv --bind 127.0.0.1 --port $port --backlog 16

sw_netns_new a
nst_sysctl "$a" net.core.somaxconn=111
swc_listen "$a" asrv --bind 127.0.0.1 --port $port --backlog 4096    # limit: somaxconn 111
asrv=$SW_LAST_PID

nst_holder b
nst_sysctl "$b" net.core.somaxconn=222
nst_listen "$b" bsrv --bind 127.0.0.1 --port $port --backlog 4096    # limit: somaxconn 222

nst_docker_cgroup cg cid
nst_holder c
nst_cgroup_move "$cg" "$c"
nst_sysctl "$c" net.core.somaxconn=333
nst_listen "$c" csrv --bind 127.0.0.1 --port $port --backlog 64      # limit: backlog 64
csrv=$SW_LAST_PID
nst_cgroup_move "$cg" "$csrv"

A=$a B=pid:$b C=docker:${cid:0:12}
declare -A T=([host]=$dns [$A]=$a [$B]=$b [$C]=$c)        # name -> target
declare -A ID SOMAXCONN=([host]=4096 [$A]=111 [$B]=222 [$C]=333)
for n in host "$A" "$B" "$C"; do
	ID[$n]=$(nst_id "${T[$n]}")
	[ -n "${ID[$n]}" ] || sw_fail "no id for $n"
	sw_assert_eq "${SOMAXCONN[$n]}" "$(nst_exec "${T[$n]}" sysctl -n net.core.somaxconn)" "$n somaxconn"
	sw_log "$n: target ${T[$n]}, NS_GET_ID ${ID[$n]}"
done
[ "$(printf '%s\n' "${ID[@]}" | sort -u | wc -l)" = 4 ] || sw_fail "namespace ids not distinct: ${ID[*]}"
sw_log "C's holder: $(grep '^0::' /proc/"$c"/cgroup)"
sw_assert_eq "0 16" "$(nst_ss_q "$dns" $port)" "ss in host: Recv-Q Send-Q"
sw_assert_eq "0 111" "$(nst_ss_q "$a" $port)" "ss in $A: Recv-Q Send-Q"
sw_assert_eq "0 222" "$(nst_ss_q "$b" $port)" "ss in $B: Recv-Q Send-Q"
sw_assert_eq "0 64" "$(nst_ss_q "$c" $port)" "ss in $C: Recv-Q Send-Q"

st=$SW_TMP/status.json
if [ "$NST_SELFTEST" = 0 ]; then
	cat >"$SW_TMP/sw.conf" <<-CONF
	[daemon]
	interval = 200ms
	fast_interval = 100ms
	namespaces = all
	namespace_scan = 1s
	log_target = journal
	[alerts]
	realert = 0
	[filter]
	namespaces = host, swt-$$-*, $B, $C
	CONF
	swd_start "$dns" "$SW_TMP/sw.conf"
	nst_status "$st"
	nst_need_keys "$st"
	all_seen() {
		local n
		nst_status "$st"
		for n in host "$A" "$B" "$C"; do
			[ "$(nst_l "$st" "$n" $port .listener)" = "$L" ] || return 1
		done
	}
	sw_wait_for 10 all_seen || sw_fail "status never showed $L in all of host, $A, $B, $C: $(
		jq -c '[.namespaces[].name], [.listeners[] | [.netns, .listener]]' "$st")"
	sw_log "ok: all four namespaces watched: $(jq -c '[.namespaces[] | [.name, .netns_id // .id]]' "$st")"
fi

# --- fill A (somaxconn 111 binds: holds 112) and C (listen(64): holds 65)
swc_connect "$a" acli --to 127.0.0.1 --port $port --count 130
nst_connect "$c" ccli --to 127.0.0.1 --port $port --count 80
nst_wait_q "$a" $port "112 111" 10
nst_wait_q "$c" $port "65 64" 10
sw_assert_eq "0 222" "$(nst_ss_q "$b" $port)" "ss in $B after the fills"
sw_assert_eq "0 16" "$(nst_ss_q "$dns" $port)" "ss in host after the fills"
for t in "$a" "$c"; do
	ov=$(nst_nstat "$t" ListenOverflows)
	sw_log "nstat in $t: TcpExtListenOverflows $ov"
	[ "$ov" -gt 0 ] || sw_fail "no ListenOverflows in $t: the queue did not overflow"
done
sw_assert_eq 0 "$(nst_nstat "$b" ListenOverflows)" "ListenOverflows in $B"

if [ "$NST_SELFTEST" = 1 ]; then
	echo "PASS: --selftest-setup: four namespaces (ip netns, unshare -n, docker scope, own) with somaxconn 111/222/333/4096, distinct ids, accept queues at 112/111 and 65/64 by ss"
	exit 0
fi

# --- the entries: each names its namespace, its somaxconn and limit source
absent_or_empty() {  # JSON FIELD WHAT
	local v
	v=$(swd_field "$1" "$2")
	[ "$v" = "<absent>" ] || [ -z "$v" ] || sw_fail "$3: $2 is '$v', expected none"
	sw_log "ok: $3 has no $2"
}
swd_entry ea 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_LEVEL=critical SOCKWATCH_NETNS="$A"
swd_expect "$ea" "$A entry" SOCKWATCH_LISTENER=$L SOCKWATCH_NETNS_ID="${ID[$A]}" \
	SOCKWATCH_DEPTH=112 SOCKWATCH_LIMIT=111 SOCKWATCH_LIMIT_SOURCE=net.core.somaxconn \
	SOCKWATCH_SOMAXCONN=111 SOCKWATCH_LEVEL=critical SOCKWATCH_PID="$asrv" SOCKWATCH_COMM=qfill
absent_or_empty "$ea" SOCKWATCH_CONTAINER "$A entry"
absent_or_empty "$ea" SOCKWATCH_POD_UID "$A entry"
swd_entry ec 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_LEVEL=critical SOCKWATCH_NETNS="$C"
swd_expect "$ec" "$C entry" SOCKWATCH_LISTENER=$L SOCKWATCH_NETNS_ID="${ID[$C]}" \
	SOCKWATCH_CONTAINER="$cid" SOCKWATCH_DEPTH=65 SOCKWATCH_LIMIT=64 \
	SOCKWATCH_LIMIT_SOURCE=listen-backlog SOCKWATCH_SOMAXCONN=333 SOCKWATCH_LEVEL=critical \
	SOCKWATCH_PID="$csrv" SOCKWATCH_COMM=qfill
absent_or_empty "$ec" SOCKWATCH_POD_UID "$C entry"
for e in "$ea" "$ec"; do
	n=$(swd_field "$e" SOCKWATCH_NETNS)
	msg=$(swd_field "$e" MESSAGE)
	sw_log "MESSAGE ($n): $msg"
	grep -qF " in $n on $L: " <<<"$msg" || sw_fail "MESSAGE does not say 'in $n on $L: ': $msg"
done
grep -qF "somaxconn" <<<"$(swd_field "$ea" MESSAGE)" || sw_fail "$A MESSAGE does not name somaxconn"
grep -qF "listen() backlog" <<<"$(swd_field "$ec" MESSAGE)" || sw_fail "$C MESSAGE does not name the backlog"
# B and host were never full: no queue entry names them.
for n in "$B" host; do
	sw_assert_eq 0 "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=accept-queue \
		SOCKWATCH_NETNS="$n")" "accept-queue entries naming $n"
done

# --- status --json against ss inside each namespace, between two equal ss
# readings (the kernel's figures must stand still around the status call)
agree() {
	local n before after
	for n in host "$A" "$B" "$C"; do
		before=$(nst_ss_q "${T[$n]}" $port)
		nst_status "$st"
		after=$(nst_ss_q "${T[$n]}" $port)
		[ "$before" = "$after" ] || return 1
		[ "$(nst_l "$st" "$n" $port '"\(.accept.depth) \(.accept.limit)"')" = "$before" ] || return 1
	done
}
sw_wait_for 5 agree || {
	for n in host "$A" "$B" "$C"; do
		sw_log "$n: ss '$(nst_ss_q "${T[$n]}" $port)', status '$(nst_l "$st" "$n" $port \
			'"\(.accept.depth) \(.accept.limit)"')'"
	done
	sw_fail "status --json and ss disagree"
}
sw_log "ok: status --json depth/limit = ss Recv-Q/Send-Q in host, $A, $B, $C"
declare -A SOURCE=([host]=listen-backlog [$A]=net.core.somaxconn [$B]=net.core.somaxconn
	[$C]=listen-backlog)
for n in host "$A" "$B" "$C"; do
	sw_assert_eq 1 "$(jq --arg n "$n" '[.listeners[] | select(.netns == $n)] | length' "$st")" \
		"listeners in $n"
	sw_assert_eq "${ID[$n]}" "$(nst_l "$st" "$n" $port .netns_id)" "$n listener netns_id"
	sw_assert_eq "${SOURCE[$n]}" "$(nst_l "$st" "$n" $port .accept.limit_source)" "$n limit_source"
	sw_assert_eq "${ID[$n]}" "$(nst_ns_id "$st" "$n")" "namespaces[$n] netns_id"
	sw_assert_eq "${SOMAXCONN[$n]}" "$(nst_ns "$st" "$n" .somaxconn)" "namespaces[$n].somaxconn"
	sw_assert_eq 1 "$(nst_ns "$st" "$n" '.listeners | if type == "array" then length else . end')" \
		"namespaces[$n].listeners"
done
sw_assert_eq critical "$(nst_l "$st" "$A" $port .state)" "$A state"
sw_assert_eq critical "$(nst_l "$st" "$C" $port .state)" "$C state"
sw_assert_eq ok "$(nst_l "$st" "$B" $port .state)" "$B state"
sw_assert_eq 4 "$(jq '.daemon.namespaces.watched' "$st")" "daemon.namespaces.watched"

# --- each namespace's TcpExt counters as nstat reads them inside it (read
# between two equal nstat readings: the fills are over, nothing moves)
for n in host "$A" "$B" "$C"; do
	counters_agree() {
		local before after
		before=$(nst_nstat "${T[$n]}" ListenOverflows)
		nst_status "$st"
		after=$(nst_nstat "${T[$n]}" ListenOverflows)
		[ "$before" = "$after" ] &&
			[ "$(nst_ns "$st" "$n" '.counters.ListenOverflows')" = "${before:-0}" ]
	}
	sw_wait_for 5 counters_agree ||
		sw_fail "$n: ListenOverflows in status $(nst_ns "$st" "$n" '.counters.ListenOverflows'), nstat $(nst_nstat "${T[$n]}" ListenOverflows)"
	sw_log "ok: $n: ListenOverflows = $(nst_ns "$st" "$n" '.counters.ListenOverflows'), as nstat says inside it"
done
[ "$(nst_ns "$st" "$A" '.counters.ListenOverflows')" -gt 0 ] || sw_fail "$A: no ListenOverflows after its fill"

# --- the table: a NETNS column, one row per namespace
"$SWD_CTL" --socket "$SWD_SOCK" status --all >"$SW_TMP/status.txt" || sw_fail "status failed"
sed 's/^/#   /' "$SW_TMP/status.txt"
head_line=$(grep -m1 '^LISTENER' "$SW_TMP/status.txt")
grep -qw NETNS <<<"$head_line" || sw_fail "no NETNS column: '$head_line'"
for n in host "$A" "$B" "$C"; do
	grep -E "^$L +$n " "$SW_TMP/status.txt" >/dev/null ||
		sw_fail "no table row '$L  $n'"
done
sw_log "ok: the table shows a NETNS column with host, $A, $B, $C"

# --- status --netns NAME: that namespace's listeners only
for n in "$A" "$C"; do
	nst_status "$SW_TMP/one.json" --netns "$n"
	sw_assert_eq "$n" "$(jq -r '[.listeners[].netns] | unique | join(",")' "$SW_TMP/one.json")" \
		"status --json --netns $n: namespaces of its listeners"
	"$SWD_CTL" --socket "$SWD_SOCK" status --all --netns "$n" >"$SW_TMP/one.txt" ||
		sw_fail "status --netns $n failed"
	sw_assert_eq 1 "$(grep -c "^$L " "$SW_TMP/one.txt")" "rows of $L in status --netns $n"
done
# --- a reload that leaves C out: released at the next pass, its full
# listener's alert cleared as gone, the others kept
sed -i "s/^namespaces = host, .*/namespaces = host, swt-$$-*, $B/" "$SW_TMP/sw.conf"
kill -HUP "$SWD_PID"
swd_entry e 5 SOCKWATCH_LIFECYCLE=reloaded
swd_entry e 5 SOCKWATCH_EVENT=cleared SOCKWATCH_NETNS="$C"
sw_assert_eq "$L" "$(swd_field "$e" SOCKWATCH_LISTENER)" "cleared entry of $C: listener"
gone_c() { nst_status "$st"; [ "$(nst_names "$st")" = "$(printf '%s\n' host "$A" "$B" | sort | paste -sd' ')" ]; }
sw_wait_for 5 gone_c || sw_fail "after the reload namespaces are $(nst_names "$st")"
sw_log "ok: after the reload: $(nst_names "$st")"
sw_assert_eq 1 "$(jq '.daemon.namespaces.released' "$st")" "daemon.namespaces.released"
sw_assert_eq critical "$(nst_l "$st" "$A" $port .state)" "$A state after the reload"

kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: host, ip netns, unshare -n and docker-scope namespaces named in entries and status; status agrees with ss in each; a reload's filter releases one"
