#!/bin/bash
# Issue 2, accept queue: listen(16), 30 non-blocking connects, never
# accept(). The collector must report what ss and nstat report in the same
# namespace: depth 17 of limit 16 bound by the listen() backlog, the
# listener's own drop counter (ss's skmem d<N>), and TcpExt ListenOverflows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

sw_netns_new ns
port=8080
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 16
read -r _ _ _ inode cookie <"$SW_TMP/srv.out"
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 30

# The handshakes complete in softirq on loopback; wait until ss sees the
# queue full (17 = M + 1) before comparing anything.
accept_full() { [ "$(swc_ss_listen "$ns" $port | awk '{ print $1 }')" = 17 ]; }
sw_wait_for 10 accept_full || sw_fail "ss never showed Recv-Q 17: $(swc_ss_listen "$ns" $port)"

swc_dump_settled "$ns" "$SW_TMP/dump" $port ListenOverflows ListenDrops
read -r ss_recvq ss_sendq ss_drops <<<"$SWC_SS"
sw_log "ss: Recv-Q $ss_recvq Send-Q $ss_sendq d$ss_drops;" \
	"nstat: ListenOverflows ${SWC_NSTAT[ListenOverflows]} ListenDrops ${SWC_NSTAT[ListenDrops]}"

match="family=inet addr=127.0.0.1 port=$port"
swc_check_listener "$SW_TMP/dump" "$match" \
	cookie="$cookie" inode="$inode" uid=0 \
	accept_depth=17 accept_limit=16 accept_source=listen-backlog \
	accept_depth="$ss_recvq" accept_limit="$ss_sendq" drops="$ss_drops" \
	group_members=1
[ "$ss_drops" -gt 0 ] || sw_fail "ss shows no drops (d$ss_drops): the test filled nothing"
# 30 - 17 connects found the queue full at least once each.
[ "$ss_drops" -ge 13 ] || sw_fail "ss shows d$ss_drops, expected at least 13"
sw_log "ok: drops $ss_drops > 0"

# Namespace-wide counters: swdump's N line against nstat, read in the same
# quiet window. A fresh namespace with a single listener: every drop was an
# accept-queue overflow, so both counters equal the listener's drops.
swc_lines "$SW_TMP/dump" N >"$SW_TMP/n"
sw_assert_eq "${SWC_NSTAT[ListenOverflows]}" "$(swc_get ListenOverflows <"$SW_TMP/n")" \
	"N ListenOverflows vs nstat"
sw_assert_eq "${SWC_NSTAT[ListenDrops]}" "$(swc_get ListenDrops <"$SW_TMP/n")" \
	"N ListenDrops vs nstat"
sw_assert_eq "$ss_drops" "$(swc_get ListenOverflows <"$SW_TMP/n")" \
	"N ListenOverflows vs the listener's drops"

# Sysctls as the namespace has them (a new namespace starts at somaxconn
# 4096 whatever the host says), and a clean parse.
swc_lines "$SW_TMP/dump" C >"$SW_TMP/c"
sw_assert_eq "$(ip netns exec "$ns" sysctl -n net.core.somaxconn)" \
	"$(swc_get somaxconn <"$SW_TMP/c")" "C somaxconn"
sw_assert_eq "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_max_syn_backlog)" \
	"$(swc_get tcp_max_syn_backlog <"$SW_TMP/c")" "C tcp_max_syn_backlog"
sw_assert_eq "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_syncookies)" \
	"$(swc_get tcp_syncookies <"$SW_TMP/c")" "C tcp_syncookies"
swc_lines "$SW_TMP/dump" X >"$SW_TMP/x"
sw_assert_eq 1 "$(swc_get listeners <"$SW_TMP/x")" "X listeners"
sw_assert_eq 0 "$(swc_get skipped_msgs <"$SW_TMP/x")" "X skipped_msgs"
sw_assert_eq 0 "$(swc_get skipped_attrs <"$SW_TMP/x")" "X skipped_attrs"

# The drop counters move again when the refused clients retransmit their
# SYNs (after about 1 s); the collector must follow.
grew() {
	[ "$(swc_ss_listen "$ns" $port | awk '{ print $3 }')" -gt "$ss_drops" ]
}
sw_wait_for 5 grew || sw_fail "drops did not grow with SYN retransmits"
swc_dump_settled "$ns" "$SW_TMP/dump2" $port ListenOverflows
read -r _ _ ss_drops2 <<<"$SWC_SS"
swc_check_listener "$SW_TMP/dump2" "$match" drops="$ss_drops2" accept_depth=17
swc_lines "$SW_TMP/dump2" N >"$SW_TMP/n2"
sw_assert_eq "${SWC_NSTAT[ListenOverflows]}" "$(swc_get ListenOverflows <"$SW_TMP/n2")" \
	"N ListenOverflows vs nstat after retransmits"
echo "PASS: accept queue 17/16 (listen-backlog), drops and ListenOverflows agree with ss and nstat"
