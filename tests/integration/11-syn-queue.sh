#!/bin/bash
# Issue 2, SYN queue: SYN-ACKs are dropped in the namespace so that every
# connect() leaves one request socket on the server. The collector's
# SYN_RECV scan must count what `ss -tn state syn-recv` counts, per listener
# and per remote address, and name the limit that binds:
#   cookies off, B = 64: listen(4096) holds 49 (limit 48 from
#   tcp_max_syn_backlog); listen(20) holds 21 (limit 20, listen backlog);
#   cookies on: listen(20) holds 21, the rest get cookies; somaxconn 1024
#   binds a listen(4096); tcp_syncookies=2 queues nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

# syn_count_is NS PORT N: ss counts N request sockets on PORT. Clients
# retransmit refused SYNs, so wait for the count rather than sleep.
syn_count_is() { [ "$(swc_ss_synrecv_count "$1" "$2")" = "$3" ]; }
wait_syn_count() {
	sw_wait_for 10 syn_count_is "$@" ||
		sw_fail "ss: $(swc_ss_synrecv_count "$1" "$2") request sockets on port $2, expected $3"
	sw_log "ss: $3 request sockets on port $2"
}

# ---- cookies off, tcp_max_syn_backlog 64 ---------------------------------
sw_netns_new ns
ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_syncookies=0 net.ipv4.tcp_max_syn_backlog=64 ||
	sw_fail "sysctl in $ns"
sw_drop_synacks "$ns"
swc_listen "$ns" big --bind 127.0.0.1 --port 8080 --backlog 4096
swc_listen "$ns" small --bind 127.0.0.1 --port 8081 --backlog 20
swc_listen "$ns" tally --bind 127.0.0.1 --port 8082 --backlog 4096
swc_connect "$ns" c-big --to 127.0.0.1 --port 8080 --count 200
swc_connect "$ns" c-small --to 127.0.0.1 --port 8081 --count 40
# Several remote addresses, different counts, 45 in all (under the 48 that
# tcp_max_syn_backlog leaves to unproven peers).
swc_connect "$ns" c-t5 --to 127.0.0.1 --port 8082 --count 10 --from 127.0.0.5
swc_connect "$ns" c-t6 --to 127.0.0.1 --port 8082 --count 15 --from 127.0.0.6
swc_connect "$ns" c-t7 --to 127.0.0.1 --port 8082 --count 20 --from 127.0.0.7
h48=$(sw_syn_holds 48) h20=$(sw_syn_holds 20)
wait_syn_count "$ns" 8080 $h48
wait_syn_count "$ns" 8081 $h20
wait_syn_count "$ns" 8082 45

# 19 of listen(20)'s clients were refused and retransmit: take the dump in
# a quiet window of that listener's drops and of the counters.
swc_dump_settled "$ns" "$SW_TMP/d1" 8081 TCPReqQFullDrop ListenDrops
read -r _ _ ss_drops <<<"$SWC_SS"
[ "$ss_drops" -ge 19 ] || sw_fail "ss shows d$ss_drops on 127.0.0.1:8081, expected >= 19"
d=$SW_TMP/d1
swc_check_listener "$d" "addr=127.0.0.1 port=8080" \
	syn_depth=$h48 syn_limit=48 syn_source=net.ipv4.tcp_max_syn_backlog \
	syn_mode=drop-on-overflow accept_depth=0 accept_limit=4096 group_members=1 \
	syn_depth="$(swc_ss_synrecv_count "$ns" 8080)"
swc_check_listener "$d" "addr=127.0.0.1 port=8081" \
	syn_depth=$h20 syn_limit=20 syn_source=listen-backlog \
	syn_mode=drop-on-overflow accept_limit=20 accept_source=listen-backlog \
	syn_depth="$(swc_ss_synrecv_count "$ns" 8081)" drops="$ss_drops"
swc_check_listener "$d" "addr=127.0.0.1 port=8082" syn_depth=45 syn_limit=48 \
	syn_source=net.ipv4.tcp_max_syn_backlog

# Per remote address: swdump's S lines against ss's peers, and their sum
# against the depth.
sw_assert_eq "$(swc_ss_peers "$ns" 8082 | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" 127.0.0.1:8082 | tr '\n' ' ')" "per-source tally of 127.0.0.1:8082 vs ss"
sw_assert_eq "127.0.0.5 10 127.0.0.6 15 127.0.0.7 20 " \
	"$(swc_dump_peers "$d" 127.0.0.1:8082 | tr '\n' ' ')" "per-source tally of 127.0.0.1:8082"
for g in 127.0.0.1:8080 127.0.0.1:8081 127.0.0.1:8082; do
	sum=$(swc_dump_peers "$d" "$g" | awk '{ n += $2 } END { print n + 0 }')
	swc_lines "$d" G "group=$g" >"$SW_TMP/g"
	sw_assert_eq "$(swc_get depth <"$SW_TMP/g")" "$sum" "sum of S counts of $g vs its depth"
done
sw_assert_eq "127.0.0.1 $h48 " "$(swc_dump_peers "$d" 127.0.0.1:8080 | tr '\n' ' ')" \
	"per-source tally of 127.0.0.1:8080"
swc_lines "$d" X >"$SW_TMP/x"
sw_assert_eq $((h48 + h20 + 45)) "$(swc_get requests <"$SW_TMP/x")" "X requests"
sw_assert_eq 0 "$(swc_get unmatched <"$SW_TMP/x")" "X unmatched"
swc_lines "$d" C >"$SW_TMP/c"
sw_assert_eq 0 "$(swc_get tcp_syncookies <"$SW_TMP/c")" "C tcp_syncookies"
sw_assert_eq 64 "$(swc_get tcp_max_syn_backlog <"$SW_TMP/c")" "C tcp_max_syn_backlog"
swc_lines "$d" N >"$SW_TMP/n"
sw_assert_eq "${SWC_NSTAT[TCPReqQFullDrop]}" "$(swc_get TCPReqQFullDrop <"$SW_TMP/n")" \
	"N TCPReqQFullDrop vs nstat"
sw_assert_eq "${SWC_NSTAT[ListenDrops]}" "$(swc_get ListenDrops <"$SW_TMP/n")" \
	"N ListenDrops vs nstat"
# listen(20) refused 19 SYNs for being over M: TCPReqQFullDrop moved.
[ "${SWC_NSTAT[TCPReqQFullDrop]}" -ge 19 ] ||
	sw_fail "TCPReqQFullDrop ${SWC_NSTAT[TCPReqQFullDrop]}, expected >= 19"

# ---- cookies on (the default) ---------------------------------------------
sw_netns_new ns2
# somaxconn is read at listen() time: set it before the listeners exist.
ip netns exec "$ns2" sysctl -q -w net.ipv4.tcp_syncookies=1 net.ipv4.tcp_max_syn_backlog=64 \
	net.core.somaxconn=1024 || sw_fail "sysctl in $ns2"
sw_drop_synacks "$ns2"
swc_listen "$ns2" ck-small --bind 127.0.0.1 --port 9081 --backlog 20
swc_listen "$ns2" ck-big --bind 127.0.0.1 --port 9080 --backlog 4096
swc_connect "$ns2" c-ck-small --to 127.0.0.1 --port 9081 --count 40
# With cookies on, tcp_max_syn_backlog plays no part: 100 > 48 all queue.
swc_connect "$ns2" c-ck-big --to 127.0.0.1 --port 9080 --count 100
wait_syn_count "$ns2" 9081 $h20
wait_syn_count "$ns2" 9080 100
swc_dump_settled "$ns2" "$SW_TMP/d2" - TCPReqQFullDoCookies
d=$SW_TMP/d2
swc_check_listener "$d" "addr=127.0.0.1 port=9081" \
	syn_depth=$h20 syn_limit=20 syn_source=listen-backlog syn_mode=cookies-on-overflow
swc_check_listener "$d" "addr=127.0.0.1 port=9080" \
	syn_depth=100 syn_limit=1024 syn_source=net.core.somaxconn \
	accept_limit=1024 accept_source=net.core.somaxconn syn_mode=cookies-on-overflow
swc_lines "$d" N >"$SW_TMP/n"
[ "${SWC_NSTAT[TCPReqQFullDoCookies]}" -ge 19 ] ||
	sw_fail "TCPReqQFullDoCookies ${SWC_NSTAT[TCPReqQFullDoCookies]}, expected >= 19"
sw_assert_eq "${SWC_NSTAT[TCPReqQFullDoCookies]}" "$(swc_get TCPReqQFullDoCookies <"$SW_TMP/n")" \
	"N TCPReqQFullDoCookies vs nstat"

# ---- tcp_syncookies=2: every SYN gets a cookie, nothing is queued ----------
ip netns exec "$ns2" sysctl -q -w net.ipv4.tcp_syncookies=2 || sw_fail "sysctl in $ns2"
swc_listen "$ns2" ck-always --bind 127.0.0.1 --port 9082 --backlog 128
sent0=$(swc_nstat "$ns2" SyncookiesSent)
swc_connect "$ns2" c-ck-always --to 127.0.0.1 --port 9082 --count 10
cookies_sent() { [ "$(swc_nstat "$ns2" SyncookiesSent)" -ge $((sent0 + 10)) ]; }
sw_wait_for 10 cookies_sent || sw_fail "SyncookiesSent did not move by 10"
swc_dump "$ns2" "$SW_TMP/d3"
swc_check_listener "$SW_TMP/d3" "addr=127.0.0.1 port=9082" syn_depth=0 syn_mode=cookies-always \
	syn_depth="$(swc_ss_synrecv_count "$ns2" 9082)"
# The mode is the namespace's, read live: the older listeners follow it.
swc_check_listener "$SW_TMP/d3" "addr=127.0.0.1 port=9081" syn_mode=cookies-always
echo "PASS: SYN queue depths, limits, binding settings, modes and per-source tallies agree with ss/nstat"
