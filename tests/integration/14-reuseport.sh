#!/bin/bash
# Issue 2, SO_REUSEPORT: two listeners on one address and port are two
# sockets with two cookies, each with its own accept queue, but one SYN
# tally: request sockets do not name their listener, so both members report
# the group's depth, with group_members=2.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

# ---- SYN queue of a pair ----------------------------------------------------
sw_netns_new ns
sw_drop_synacks "$ns"
swc_listen "$ns" pair --reuseport --count 2 --bind 127.0.0.1 --port 8080 --backlog 128
mapfile -t pair <"$SW_TMP/pair.out"
[ "${#pair[@]}" = 2 ] || sw_fail "qfill made ${#pair[@]} listeners, not 2"
read -r _ _ _ inode_a cookie_a <<<"${pair[0]}"
read -r _ _ _ inode_b cookie_b <<<"${pair[1]}"
[ "$cookie_a" != "$cookie_b" ] || sw_fail "both members have cookie $cookie_a"

swc_connect "$ns" c1 --to 127.0.0.1 --port 8080 --count 20
swc_connect "$ns" c2 --to 127.0.0.1 --port 8080 --count 10 --from 127.0.0.4
syn_count_is() { [ "$(swc_ss_synrecv_count "$ns" 8080)" = 30 ]; }
sw_wait_for 10 syn_count_is || sw_fail "ss: $(swc_ss_synrecv_count "$ns" 8080) request sockets, expected 30"
swc_dump "$ns" "$SW_TMP/d1"
d=$SW_TMP/d1

sw_assert_eq 2 "$(swc_lines "$d" L port=8080 | grep -c .)" "listeners on 127.0.0.1:8080"
for m in "$cookie_a:$inode_a" "$cookie_b:$inode_b"; do
	swc_check_listener "$d" "addr=127.0.0.1 port=8080 cookie=${m%:*}" inode="${m#*:}" \
		syn_depth=30 syn_limit=128 group_members=2 accept_limit=128
done
sw_assert_eq 1 "$(swc_lines "$d" G group=127.0.0.1:8080 | grep -c .)" "SYN groups for 127.0.0.1:8080"
swc_lines "$d" G group=127.0.0.1:8080 >"$SW_TMP/g"
sw_assert_eq 2 "$(swc_get members <"$SW_TMP/g")" "G members"
sw_assert_eq 30 "$(swc_get depth <"$SW_TMP/g")" "G depth"
sw_assert_eq "$(swc_ss_peers "$ns" 8080 | tr '\n' ' ')" \
	"$(swc_dump_peers "$d" 127.0.0.1:8080 | tr '\n' ' ')" "tally of 127.0.0.1:8080 vs ss"
sw_assert_eq "127.0.0.1 20 127.0.0.4 10 " \
	"$(swc_dump_peers "$d" 127.0.0.1:8080 | tr '\n' ' ')" "tally of 127.0.0.1:8080"
swc_lines "$d" X >"$SW_TMP/x"
sw_assert_eq 30 "$(swc_get requests <"$SW_TMP/x")" "X requests (each counted once)"

# ---- accept queues of a pair: per socket, told apart by inode ---------------
sw_netns_new ns2
swc_listen "$ns2" apair --reuseport --count 2 --bind 127.0.0.1 --port 8081 --backlog 8
swc_connect "$ns2" c3 --to 127.0.0.1 --port 8081 --count 60
# ss_by_inode: "inode recvq sendq drops" per listener on 8081, sorted. (ss -e
# complains on stderr that `ip netns exec`'s fresh /sys has no cgroup2 mount.)
ss_by_inode() {
	ip netns exec "$ns2" ss -ltnmeH "sport = :8081" 2>/dev/null | awk '
		$1 == "LISTEN" { q = $2 " " $3
			for (i = 4; i <= NF; i++) if ($i ~ /^ino:/) ino = substr($i, 5)
			next }
		/skmem:/ { if (match($0, /,d[0-9]+\)/)) print ino, q, substr($0, RSTART + 2, RLENGTH - 3) }' |
		sort
}
both_full() { [ "$(ss_by_inode | awk '{ n += $2 } END { print n }')" = 18 ]; }
sw_wait_for 10 both_full || sw_fail "the pair never filled: $(ss_by_inode)"
for ((try = 0; try < 30; try++)); do
	before=$(ss_by_inode)
	swc_dump "$ns2" "$SW_TMP/d2"
	[ "$before" = "$(ss_by_inode)" ] && break
	sleep 0.2
done
[ "$try" -lt 30 ] || sw_fail "ss never stood still around swdump"
swc_lines "$SW_TMP/d2" L port=8081 >"$SW_TMP/l2"
got=$(swc_fields "$SW_TMP/l2" L inode accept_depth accept_limit drops | sort)
sw_assert_eq "$(echo "$before" | tr '\n' ' ')" "$(echo "$got" | tr '\n' ' ')" \
	"per-member inode, accept depth, limit and drops vs ss"
sw_assert_eq "$(awk '{ print $4 }' "$SW_TMP/apair.out" | sort | tr '\n' ' ')" \
	"$(echo "$got" | awk '{ print $1 }' | tr '\n' ' ')" "inodes vs qfill"
echo "PASS: a reuseport pair is two listeners with one SYN tally and their own accept queues"
