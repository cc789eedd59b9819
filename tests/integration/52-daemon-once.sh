#!/bin/bash
# Issue 3: `sockwatchd --once` prints the status document of one full poll
# (SYN scan included) and exits 0; its figures agree with ss and nstat in
# the same namespace: an accept queue 17/16 with the listener's drops, and a
# SYN queue held by request sockets whose SYN-ACKs nftables drops.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
sw_require_root
swc_require_tools
command -v jq >/dev/null || sw_fail "jq not installed (make deps)"
SWD=$SW_BUILD/sockwatchd
[ -x "$SWD" ] || sw_fail "$SWD not built"

sw_netns_new ns
aport=8080 sport=8081
# SYN-ACKs dropped for the SYN-queue port only, so the accept queue fills.
ip netns exec "$ns" nft -f - <<NFT || sw_fail "nft"
table inet swtest {
	chain out {
		type filter hook output priority 0;
		tcp sport $sport tcp flags & (syn | ack) == syn | ack drop
	}
}
NFT
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1
swc_listen "$ns" acc --bind 127.0.0.1 --port $aport --backlog 16
acc_pid=$SW_LAST_PID
swc_listen "$ns" syn --bind 127.0.0.1 --port $sport --backlog 64
swc_connect "$ns" cli --to 127.0.0.1 --port $aport --count 30
swc_connect "$ns" scli --to 127.0.0.1 --from 127.0.0.7 --port $sport --count 40
full() { [ "$(swc_ss_listen "$ns" $aport | awk '{ print $1 }')" = 17 ]; }
sw_wait_for 10 full || sw_fail "accept queue never full"
sfull() { [ "$(swc_ss_synrecv_count "$ns" $sport)" = 40 ]; }
sw_wait_for 10 sfull || sw_fail "SYN queue never reached 40: $(swc_ss_synrecv_count "$ns" $sport)"

printf '[daemon]\nnamespaces = own\nlog_target = stderr\n' >"$SW_TMP/once.conf"
# Read ss, run --once, read ss again: retry until both readings agree, since
# clients retransmit SYNs into the full queue (drops move).
for try in $(seq 20); do
	before=$(swc_ss_listen "$ns" $aport; swc_ss_synrecv_count "$ns" $sport; swc_nstat "$ns" ListenOverflows)
	ip netns exec "$ns" "$SWD" --once -c "$SW_TMP/once.conf" >"$SW_TMP/once.json" 2>"$SW_TMP/once.err"
	rc=$?
	after=$(swc_ss_listen "$ns" $aport; swc_ss_synrecv_count "$ns" $sport; swc_nstat "$ns" ListenOverflows)
	[ "$before" = "$after" ] && break
	sleep 0.2
done
sw_assert_eq 0 "$rc" "--once exit status"
[ ! -s "$SW_TMP/once.err" ] || sw_fail "--once wrote to stderr: $(cat "$SW_TMP/once.err")"
jq -e . "$SW_TMP/once.json" >/dev/null || sw_fail "--once output is not JSON"
# The readings of the window above, not new ones: a SYN retransmitted into
# the full queue later moves the drops and the counter again.
read -r recvq sendq drops <<<"$(sed -n 1p <<<"$after")"
synq=$(sed -n 2p <<<"$after")
overflows=$(sed -n 3p <<<"$after")

l() { jq -r --arg l "$1" ".listeners[] | select(.listener == \$l) | $2" "$SW_TMP/once.json"; }
sw_assert_eq 1 "$(jq '.version' "$SW_TMP/once.json")" "version"
sw_assert_eq 1 "$(jq '.daemon.polls' "$SW_TMP/once.json")" "polls"
sw_assert_eq 1 "$(jq '.daemon.syn_scan.scans' "$SW_TMP/once.json")" "SYN scans"
sw_assert_eq "$(ip netns exec "$ns" ss -ltnH | wc -l)" "$(jq '.listeners | length' "$SW_TMP/once.json")" \
	"listeners vs ss -ltn"
a=127.0.0.1:$aport s=127.0.0.1:$sport
sw_assert_eq "$recvq" "$(l $a .accept.depth)" "$a accept.depth vs ss Recv-Q"
sw_assert_eq "$sendq" "$(l $a .accept.limit)" "$a accept.limit vs ss Send-Q"
sw_assert_eq "$drops" "$(l $a .drops.kernel)" "$a drops.kernel vs ss d<N>"
sw_assert_eq listen-backlog "$(l $a .accept.limit_source)" "$a accept.limit_source"
sw_assert_eq critical "$(l $a .state)" "$a state"
sw_assert_eq "$acc_pid" "$(l $a .process.pid)" "$a process.pid"
sw_assert_eq qfill "$(l $a .process.comm)" "$a process.comm"
sw_assert_eq "$synq" "$(l $s .syn.depth)" "$s syn.depth vs ss syn-recv"
sw_assert_eq 40 "$(l $s .syn.depth)" "$s syn.depth"
sw_assert_eq 64 "$(l $s .syn.limit)" "$s syn.limit"
sw_assert_eq cookies-on-overflow "$(l $s .syn.mode)" "$s syn.mode"
sw_assert_eq listen-backlog "$(l $s .syn.limit_source)" "$s syn.limit_source"
sw_assert_eq "127.0.0.7 40" "$(l $s '.top_sources[0] | "\(.address) \(.count)"')" "$s top source"
sw_assert_eq "$overflows" \
	"$(jq '.namespaces[0].counters.ListenOverflows' "$SW_TMP/once.json")" "ListenOverflows vs nstat"
sw_assert_eq "$(ip netns exec "$ns" sysctl -n net.core.somaxconn)" \
	"$(jq '.namespaces[0].somaxconn' "$SW_TMP/once.json")" "somaxconn"
echo "PASS: --once agrees with ss and nstat"
