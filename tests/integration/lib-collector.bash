# Helpers shared by the collector tests (1x-*.sh): run qfill and swdump in a
# test's namespace and read ss/nstat there for comparison. Source it after
# tests/lib.sh. Named .bash, not .sh, so that the runner's
# tests/integration/*.sh glob does not take it for a test.

SWC_QFILL=$SW_BUILD/tests/tools/qfill
SWC_SWDUMP=$SW_BUILD/tests/tools/swdump
SWC_UFILL=$SW_BUILD/tests/tools/ufill
# nstat keeps a history file per user; a test must neither read nor leave one.
export NSTAT_HISTORY=$SW_TMP/nstat.history

# A missing tool means the build failed: that is a failure, never a skip.
swc_require_tools() {
	local t
	for t in "$SWC_QFILL" "$SWC_SWDUMP" "$SWC_UFILL"; do
		[ -x "$t" ] || sw_fail "$t not built (make BUILD=${BUILD:-build} tests)"
	done
}

# swc_wait_ready NAME PID: waits for qfill's ready file; fails early with
# qfill's own message if it exits first.
swc_wait_ready() {
	local name=$1 pid=$2 i
	for ((i = 0; i < 300; i++)); do
		[ -e "$SW_TMP/$name.ready" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			sw_fail "qfill $name exited before ready: $(cat "$SW_TMP/$name.err")"
		fi
		sleep 0.1
	done
	sw_fail "qfill $name not ready after 30 s"
}

# swc_listen NS NAME ARGS...: qfill listen ARGS in NS, in the background;
# returns once every listener exists. Its LISTEN lines are in $SW_TMP/NAME.out.
swc_listen() {
	local ns=$1 name=$2
	shift 2
	sw_bg "$ns" "$SWC_QFILL" listen "$@" --ready-file "$SW_TMP/$name.ready" \
		>"$SW_TMP/$name.out" 2>"$SW_TMP/$name.err"
	swc_wait_ready "$name" "$SW_LAST_PID"
}

# swc_connect NS NAME ARGS...: qfill connect ARGS in NS, in the background;
# returns once every connect() has been issued.
swc_connect() {
	local ns=$1 name=$2
	shift 2
	sw_bg "$ns" "$SWC_QFILL" connect "$@" --ready-file "$SW_TMP/$name.ready" \
		>"$SW_TMP/$name.out" 2>"$SW_TMP/$name.err"
	swc_wait_ready "$name" "$SW_LAST_PID"
}

# swc_dump NS FILE [swdump args]: one swdump run in NS into FILE.
swc_dump() {
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" "$SWC_SWDUMP" "$@" >"$file" 2>"$file.err" ||
		sw_fail "swdump in $ns failed: $(cat "$file.err")"
	[ -s "$file.err" ] && sw_log "swdump stderr: $(cat "$file.err")"
	return 0
}

# swc_get KEY: the value of KEY=... on the line read from stdin ("" if none).
swc_get() {
	awk -v k="$1=" '{ for (i = 2; i <= NF; i++)
		if (substr($i, 1, length(k)) == k) { print substr($i, length(k) + 1); exit } }'
}

# swc_lines FILE TYPE KEY=VALUE...: the lines of TYPE (L, G, S) in a swdump
# output whose fields include every KEY=VALUE given.
swc_lines() {
	local file=$1 type=$2
	shift 2
	awk -v t="$type" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		$1 == t {
			delete have
			for (i = 2; i <= NF; i++) have[$i] = 1
			for (j = 1; j <= n; j++) if (!(w[j] in have)) next
			print
		}' "$file"
}

# swc_fields FILE TYPE KEY...: for each line of TYPE, the values of KEY...
# separated by spaces (one awk for thousands of lines).
swc_fields() {
	local file=$1 type=$2
	shift 2
	awk -v t="$type" -v keys="$*" '
		BEGIN { n = split(keys, k, " ") }
		$1 == t {
			delete v
			for (i = 2; i <= NF; i++) {
				e = index($i, "=")
				if (e) v[substr($i, 1, e - 1)] = substr($i, e + 1)
			}
			out = ""
			for (j = 1; j <= n; j++) out = out (j > 1 ? " " : "") v[k[j]]
			print out
		}' "$file"
}

# swc_listener VAR FILE KEY=VALUE...: puts in VAR the one L line matching;
# fails unless exactly one does.
swc_listener() {
	local var=$1 file=$2 out n
	shift 2
	out=$(swc_lines "$file" L "$@")
	n=$(printf '%s' "$out" | grep -c '^L ')
	[ "$n" = 1 ] || sw_fail "swdump: expected exactly 1 listener with $*, found $n:
$(cat "$file")"
	printf -v "$var" '%s' "$out"
}

# swc_lfield VAR FILE KEY MATCH...: puts in VAR the KEY of the one listener
# matching MATCH...
swc_lfield() {
	local var=$1 file=$2 key=$3 line
	shift 3
	swc_listener line "$file" "$@"
	printf -v "$var" '%s' "$(swc_get "$key" <<<"$line")"
}

# swc_check_listener FILE "MATCH..." KEY=EXPECTED...: asserts each field of
# the one listener matching MATCH (a space-separated list of KEY=VALUE).
swc_check_listener() {
	local file=$1 match=$2 line kv
	shift 2
	# shellcheck disable=SC2086 # MATCH is a list of words on purpose
	swc_listener line "$file" $match
	for kv in "$@"; do
		sw_assert_eq "${kv#*=}" "$(swc_get "${kv%%=*}" <<<"$line")" "[$match] ${kv%%=*}"
	done
}

# swc_ss_listen NS PORT: "recvq sendq drops" of each listener on PORT, one
# line each, from ss -ltnmH (drops is skmem's d<N>), sorted.
swc_ss_listen() {
	ip netns exec "$1" ss -ltnmH "sport = :$2" | awk '
		$1 == "LISTEN" { q = $2 " " $3; next }
		/skmem:/ { if (match($0, /,d[0-9]+\)/)) print q, substr($0, RSTART + 2, RLENGTH - 3) }' |
		sort
}

# swc_ss_synrecv_count NS PORT [LOCAL]: request sockets on local PORT (and
# local address LOCAL as ss prints it, brackets for IPv6) by ss.
swc_ss_synrecv_count() {
	ip netns exec "$1" ss -tnH state syn-recv "sport = :$2" |
		awk -v l="${3:-}" '{
			a = $3; sub(/:[0-9]+$/, "", a)
			if (l == "" || a == l) n++ }
			END { print n + 0 }'
}

# swc_addr_norm: v4-mapped IPv6 addresses as plain IPv4, so that ss's
# "[::ffff:127.0.0.1]" and a collector's choice of rendering compare equal.
swc_addr_norm() { sed -e 's/^::ffff:\([0-9.]*\)/\1/'; }

# swc_ss_peers NS PORT [LOCAL]: "addr count" per remote address of the
# request sockets on local PORT (and address LOCAL as ss prints it), sorted.
swc_ss_peers() {
	ip netns exec "$1" ss -tnH state syn-recv "sport = :$2" |
		awk -v l="${3:-}" '{
			a = $3; sub(/:[0-9]+$/, "", a)
			if (l != "" && a != l) next
			p = $4; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p); print p }' |
		swc_addr_norm | sort | uniq -c | awk '{ print $2, $1 }' | sort
}

# swc_dump_peers FILE GROUP: "addr count" of swdump's S lines for GROUP
# ("127.0.0.1:8080", "[::]:8080"), sorted.
swc_dump_peers() {
	swc_lines "$1" S "group=$2" >"$SW_TMP/peers"
	swc_fields "$SW_TMP/peers" S source count | swc_addr_norm | sort
}

# swc_nstat NS COUNTER: absolute value of TcpExt COUNTER in NS.
swc_nstat() {
	ip netns exec "$1" nstat -asz "TcpExt$2" | awk -v c="TcpExt$2" '$1 == c { print $2 }'
}

# swc_dump_settled NS FILE PORT COUNTER...: runs swdump in NS into FILE
# between two identical readings of ss's listener line(s) on PORT ("-" for
# none) and of nstat's COUNTERs. Clients retransmit their SYNs (1 s, 3 s,
# 7 s ...) and every retransmit to a full queue moves the drop counters, so
# only a dump taken inside a quiet window can be compared with ss and nstat.
# Sets SWC_SS (ss's lines) and SWC_NSTAT[COUNTER].
declare -gA SWC_NSTAT
swc_settle_reading() {  # NS PORT COUNTER...
	local ns=$1 port=$2 c
	shift 2
	[ "$port" = - ] || swc_ss_listen "$ns" "$port"
	for c in "$@"; do echo "nstat $c $(swc_nstat "$ns" "$c")"; done
}
swc_dump_settled() {
	local ns=$1 file=$2 port=$3 try c before after
	shift 3
	for ((try = 0; try < 30; try++)); do
		before=$(swc_settle_reading "$ns" "$port" "$@")
		swc_dump "$ns" "$file"
		after=$(swc_settle_reading "$ns" "$port" "$@")
		if [ "$before" = "$after" ]; then
			SWC_SS=$(printf '%s\n' "$before" | grep -v '^nstat ')
			for c in "$@"; do
				SWC_NSTAT[$c]=$(printf '%s\n' "$before" |
					awk -v c="$c" '$1 == "nstat" && $2 == c { print $3 }')
			done
			return 0
		fi
		sleep 0.2
	done
	sw_fail "ss/nstat never stood still around a swdump run in $ns"
}

# ufill_bg NS NAME listen|connect ARGS...: tests/tools/ufill (UNIX
# listeners and clients) in NS in the background; returns once every socket
# exists. Its output is in $SW_TMP/NAME.out.
ufill_bg() {
	local ns=$1 name=$2
	shift 2
	sw_bg "$ns" "$SWC_UFILL" "$@" --ready-file "$SW_TMP/$name.ready" \
		>"$SW_TMP/$name.out" 2>"$SW_TMP/$name.err"
	swc_wait_ready "$name" "$SW_LAST_PID"
}
# ufill_count NAME WORD: the number on ufill's "WORD <n>" line.
ufill_count() { awk -v w="$2" '$1 == w { print $2 }' "$SW_TMP/$1.out"; }
