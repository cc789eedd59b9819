#!/bin/bash
# Issue 2, specific beside wildcard: a listener on 127.0.0.2:P beside one on
# 0.0.0.0:P (both need SO_REUSEPORT). The kernel hands each SYN to the most
# specific match, so SYNs to 127.0.0.2 must be tallied on 127.0.0.2:P and
# SYNs to 127.0.0.1 on 0.0.0.0:P. The same for IPv6 with [::1]:P beside a
# v6only [::]:P and SYNs to ::1 and ::2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

sw_netns_new ns
ip -n "$ns" addr add ::2/128 dev lo nodad || sw_fail "adding ::2 in $ns"
sw_drop_synacks "$ns"

# KERNEL-NOTES.md: without SO_REUSEPORT the specific listener is refused.
swc_listen "$ns" plain --bind 0.0.0.0 --port 8079
if ip netns exec "$ns" "$SWC_QFILL" listen --bind 127.0.0.2 --port 8079 \
	>/dev/null 2>"$SW_TMP/refused.err"; then
	sw_fail "127.0.0.2:8079 beside 0.0.0.0:8079 without SO_REUSEPORT was accepted"
fi
sw_log "ok: 127.0.0.2:8079 refused beside 0.0.0.0:8079: $(cat "$SW_TMP/refused.err")"

swc_listen "$ns" wild4 --reuseport --bind 0.0.0.0 --port 8080 --backlog 4096
swc_listen "$ns" spec4 --reuseport --bind 127.0.0.2 --port 8080 --backlog 4096
swc_listen "$ns" wild6 -6 --v6only 1 --reuseport --bind :: --port 8090 --backlog 4096
swc_listen "$ns" spec6 -6 --reuseport --bind ::1 --port 8090 --backlog 4096
read -r _ _ _ _ wild4_cookie <"$SW_TMP/wild4.out"
read -r _ _ _ _ spec4_cookie <"$SW_TMP/spec4.out"

swc_connect "$ns" c-spec4 --to 127.0.0.2 --port 8080 --count 9
swc_connect "$ns" c-wild4 --to 127.0.0.1 --port 8080 --count 14
swc_connect "$ns" c-wild4b --to 127.0.0.3 --port 8080 --count 3 --from 127.0.0.3
swc_connect "$ns" c-spec6 -6 --to ::1 --port 8090 --count 5
swc_connect "$ns" c-wild6 -6 --to ::2 --port 8090 --count 8

syn_count_is() { [ "$(swc_ss_synrecv_count "$ns" "$1" "$2")" = "$3" ]; }
for c in 8080:127.0.0.2:9 8080:127.0.0.1:14 8080:127.0.0.3:3 '8090:[::1]:5' '8090:[::2]:8'; do
	port=${c%%:*} rest=${c#*:}
	sw_wait_for 10 syn_count_is "$port" "${rest%:*}" "${rest##*:}" ||
		sw_fail "ss: $(swc_ss_synrecv_count "$ns" "$port" "${rest%:*}") request sockets on ${rest%:*}:$port, expected ${rest##*:}"
done
swc_dump "$ns" "$SW_TMP/d"
d=$SW_TMP/d

swc_check_listener "$d" "addr=127.0.0.2 port=8080" cookie="$spec4_cookie" \
	syn_depth=9 group_members=1 \
	syn_depth="$(swc_ss_synrecv_count "$ns" 8080 127.0.0.2)"
swc_check_listener "$d" "addr=0.0.0.0 port=8080" cookie="$wild4_cookie" \
	syn_depth=17 group_members=1
# Per remote address, against ss's request sockets by local address (the
# wildcard listener holds those to 127.0.0.1 and 127.0.0.3).
sw_assert_eq "$(swc_ss_peers "$ns" 8080 127.0.0.2 | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" 127.0.0.2:8080 | tr '\n' ' ')" "tally of 127.0.0.2:8080 vs ss"
sw_assert_eq "$({ swc_ss_peers "$ns" 8080 127.0.0.1; swc_ss_peers "$ns" 8080 127.0.0.3; } |
	sort | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" 0.0.0.0:8080 | tr '\n' ' ')" "tally of 0.0.0.0:8080 vs ss"

swc_check_listener "$d" "family=inet6 addr=::1 port=8090" syn_depth=5 group_members=1
swc_check_listener "$d" "family=inet6 addr=:: port=8090" syn_depth=8 group_members=1
sw_assert_eq "$(swc_ss_peers "$ns" 8090 '[::1]' | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" "[::1]:8090" | tr '\n' ' ')" "tally of [::1]:8090 vs ss"
sw_assert_eq "$(swc_ss_peers "$ns" 8090 '[::2]' | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" "[::]:8090" | tr '\n' ' ')" "tally of [::]:8090 vs ss"

# Nothing queued on the plain listener; every request matched a listener.
swc_check_listener "$d" "addr=0.0.0.0 port=8079" syn_depth=0
swc_lines "$d" X >"$SW_TMP/x"
sw_assert_eq $((9 + 14 + 3 + 5 + 8)) "$(swc_get requests <"$SW_TMP/x")" "X requests"
sw_assert_eq 0 "$(swc_get unmatched <"$SW_TMP/x")" "X unmatched"
echo "PASS: SYNs tallied on the most specific listener, as the kernel queued them"
