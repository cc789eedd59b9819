#!/bin/bash
# Issue 2, many listeners: 5000 listeners (IPv4 and IPv6) spread over
# several qfill processes (a process may hold at most 20000 fds). A dump
# spans many netlink messages and recv()s; swdump must find each listener
# exactly once: the set of (address, port, inode, cookie) equals qfill's,
# and the count equals ss's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-collector.bash"
sw_require_root
swc_require_tools

total=5000
sw_netns_new ns
swc_listen "$ns" m1 --bind 127.0.0.1 --count 1250 --backlog 8
swc_listen "$ns" m2 --bind 127.0.0.1 --count 1250 --backlog 8
swc_listen "$ns" m3 -6 --bind ::1 --count 1250 --backlog 8
swc_listen "$ns" m4 --bind 127.0.0.2 --count 1250 --backlog 8
cat "$SW_TMP"/m[1-4].out | awk '{ print $2, $3, $4, $5 }' | sort >"$SW_TMP/want"
sw_assert_eq $total "$(wc -l <"$SW_TMP/want")" "listeners made by qfill"
sw_assert_eq $total "$(ip netns exec "$ns" ss -ltnH | wc -l)" "listeners seen by ss"

check_dump() {  # FILE WHAT
	swc_fields "$1" L addr port inode cookie | sort >"$1.have"
	sw_assert_eq $total "$(wc -l <"$1.have")" "$2: listeners"
	sw_assert_eq "" "$(uniq -d "$1.have" | head -n 3)" "$2: listeners seen twice"
	sw_assert_eq "" "$(awk '{ print $4 }' "$1.have" | sort | uniq -d | head -n 3)" \
		"$2: cookies seen twice"
	sw_assert_eq "" "$(diff "$SW_TMP/want" "$1.have" | head -n 5)" \
		"$2: difference from qfill's listeners"
	swc_lines "$1" X >"$1.x"
	sw_assert_eq $total "$(swc_get listeners <"$1.x")" "$2: X listeners"
	sw_assert_eq 0 "$(swc_get skipped_msgs <"$1.x")" "$2: X skipped_msgs"
	sw_assert_eq 0 "$(swc_get skipped_attrs <"$1.x")" "$2: X skipped_attrs"
}

swc_dump "$ns" "$SW_TMP/d1" --no-syn
check_dump "$SW_TMP/d1" "listener dump"
# Every listener's own group: all ports differ within an address.
sw_assert_eq $total "$(grep -c '^G ' "$SW_TMP/d1")" "SYN groups"

# With the SYN scan: nothing queued, nothing unmatched.
swc_dump "$ns" "$SW_TMP/d2"
check_dump "$SW_TMP/d2" "dump with SYN scan"
sw_assert_eq 0 "$(swc_get requests <"$SW_TMP/d2.x")" "X requests"
sw_assert_eq "" "$(awk '$1 == "L"' "$SW_TMP/d2" | grep -v ' syn_depth=0 ' | head -n 3)" \
	"listeners with a non-empty SYN queue"
echo "PASS: $total listeners over 4 processes, each found exactly once"
