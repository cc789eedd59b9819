#!/bin/bash
# Issue 2, IPv6: an accept queue on [::1]; SYN queues on [::1]; a
# dual-stack [::] listener (IPV6_V6ONLY off) whose IPv4 SYNs come back in the
# AF_INET6 dump as ::ffff:127.0.0.1 and must be tallied on it; and a v6only
# [::] listener beside 0.0.0.0 on the same port, where each family's SYNs
# must land on its own listener. The SYN scan walks both families at once;
# the per-family scan (swdump --per-family) must find the same.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

sw_netns_new ns

# ---- accept queue on [::1] (before SYN-ACKs are dropped) -------------------
swc_listen "$ns" acc -6 --bind ::1 --port 8080 --backlog 16
read -r _ _ _ inode cookie <"$SW_TMP/acc.out"
swc_connect "$ns" c-acc -6 --to ::1 --port 8080 --count 30
accept_full() { [ "$(swc_ss_listen "$ns" 8080 | awk '{ print $1 }')" = 17 ]; }
sw_wait_for 10 accept_full || sw_fail "ss never showed Recv-Q 17 on [::1]:8080"
swc_dump_settled "$ns" "$SW_TMP/d1" 8080 ListenOverflows
read -r ss_recvq ss_sendq ss_drops <<<"$SWC_SS"
[ "$ss_drops" -gt 0 ] || sw_fail "ss shows no drops on [::1]:8080"
swc_check_listener "$SW_TMP/d1" "family=inet6 addr=::1 port=8080" \
	cookie="$cookie" inode="$inode" accept_depth=17 accept_limit=16 \
	accept_source=listen-backlog accept_depth="$ss_recvq" accept_limit="$ss_sendq" \
	drops="$ss_drops"
swc_lines "$SW_TMP/d1" N >"$SW_TMP/n"
sw_assert_eq "${SWC_NSTAT[ListenOverflows]}" "$(swc_get ListenOverflows <"$SW_TMP/n")" \
	"N ListenOverflows vs nstat"

# ---- SYN queues -------------------------------------------------------------
sw_drop_synacks "$ns"
# [::1] only.
swc_listen "$ns" v6 -6 --bind ::1 --port 8081 --backlog 4096
# Dual stack: [::] with v6only 0 takes IPv4 and IPv6 SYNs.
swc_listen "$ns" dual -6 --bind :: --v6only 0 --port 8082 --backlog 4096
# v6only [::] beside 0.0.0.0 on one port: no SO_REUSEPORT needed, the
# families do not overlap.
swc_listen "$ns" only6 -6 --bind :: --v6only 1 --port 8083 --backlog 4096
swc_listen "$ns" only4 --bind 0.0.0.0 --port 8083 --backlog 4096

swc_connect "$ns" c-v6 -6 --to ::1 --port 8081 --count 25
swc_connect "$ns" c-d1 --to 127.0.0.1 --port 8082 --count 12
swc_connect "$ns" c-d3 --to 127.0.0.1 --port 8082 --count 7 --from 127.0.0.3
swc_connect "$ns" c-d6 -6 --to ::1 --port 8082 --count 5
swc_connect "$ns" c-o6 -6 --to ::1 --port 8083 --count 4
swc_connect "$ns" c-o4 --to 127.0.0.1 --port 8083 --count 6

syn_count_is() { [ "$(swc_ss_synrecv_count "$ns" "$1")" = "$2" ]; }
for pc in 8081:25 8082:24 8083:10; do
	sw_wait_for 10 syn_count_is "${pc%:*}" "${pc#*:}" ||
		sw_fail "ss: $(swc_ss_synrecv_count "$ns" "${pc%:*}") request sockets on ${pc%:*}, expected ${pc#*:}"
done
swc_dump "$ns" "$SW_TMP/d2"
d=$SW_TMP/d2

swc_check_listener "$d" "family=inet6 addr=::1 port=8081" syn_depth=25 \
	syn_depth="$(swc_ss_synrecv_count "$ns" 8081)" group_members=1
sw_assert_eq "::1 25 " "$(swc_dump_peers "$d" "[::1]:8081" | tr '\n' ' ')" "tally of [::1]:8081"

# The dual-stack listener holds all 24 SYNs, 19 of them IPv4 ones; ss shows
# those with local address [::ffff:127.0.0.1].
swc_check_listener "$d" "family=inet6 addr=:: port=8082" syn_depth=24 v6only=0 \
	syn_depth="$(swc_ss_synrecv_count "$ns" 8082)"
sw_assert_eq 19 "$(swc_ss_synrecv_count "$ns" 8082 '[::ffff:127.0.0.1]')" \
	"ss: request sockets with local address [::ffff:127.0.0.1]"
sw_assert_eq "$(swc_ss_peers "$ns" 8082 | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" "[::]:8082" | tr '\n' ' ')" "tally of [::]:8082 vs ss"
sw_assert_eq "127.0.0.1 12 127.0.0.3 7 ::1 5 " \
	"$(swc_dump_peers "$d" "[::]:8082" | tr '\n' ' ')" "tally of [::]:8082"
[ -z "$(swc_lines "$d" L family=inet port=8082)" ] ||
	sw_fail "an AF_INET listener on 8082 appeared: $(swc_lines "$d" L port=8082)"
sw_assert_eq "group=[::]:8082" "$(awk '$1 == "G" && $2 ~ /:8082$/ { print $2 }' "$d")" \
	"the only SYN group of port 8082"

# v6only [::] and 0.0.0.0 on 8083: each family's SYNs on its own listener.
swc_check_listener "$d" "family=inet6 addr=:: port=8083" syn_depth=4 v6only=1
swc_check_listener "$d" "family=inet addr=0.0.0.0 port=8083" syn_depth=6
sw_assert_eq "::1 4 " "$(swc_dump_peers "$d" "[::]:8083" | tr '\n' ' ')" "tally of [::]:8083"
sw_assert_eq "127.0.0.1 6 " "$(swc_dump_peers "$d" "0.0.0.0:8083" | tr '\n' ' ')" \
	"tally of 0.0.0.0:8083"

swc_lines "$d" X >"$SW_TMP/x"
sw_assert_eq $((25 + 24 + 10)) "$(swc_get requests <"$SW_TMP/x")" "X requests"
sw_assert_eq 0 "$(swc_get unmatched <"$SW_TMP/x")" "X unmatched"
# The same scan per family, as on a kernel that refuses the one walk of
# both families (the TCPDIAG_GETSOCK request): the same groups and tallies.
swc_dump "$ns" "$SW_TMP/d3" --per-family
for t in G S; do
	sw_assert_eq "$(awk -v t=$t '$1 == t' "$d" | sort)" "$(awk -v t=$t '$1 == t' "$SW_TMP/d3" | sort)" \
		"$t lines of the one-walk scan vs the per-family one"
done
swc_lines "$SW_TMP/d3" X >"$SW_TMP/x3"
sw_assert_eq "$(swc_get requests <"$SW_TMP/x")/$(swc_get unmatched <"$SW_TMP/x")" \
	"$(swc_get requests <"$SW_TMP/x3")/$(swc_get unmatched <"$SW_TMP/x3")" \
	"X requests/unmatched, one walk vs per family"
echo "PASS: IPv6 accept and SYN queues, dual-stack and v6only listeners agree with ss, one walk or per family"
