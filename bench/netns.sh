#!/bin/bash
# make bench-netns: sockwatchd watching every network namespace (issue 13)
# against the kernel's own cost, on N namespaces of K listeners each plus
# C established connections. See bench/README.md ("Every network
# namespace") for what each figure means and how it is measured.
#
#   BUILD=build ./bench/netns.sh [N=200] [K=50] [C=50000] [CONN_NS=10]
#       [PROCS=1000] [RUNS=21] [ROUNDS=3] [SAMPLE_SECS=10] [WARM_SECS=20]
#       [DAEMON_SECS=60] [TRIALS=5] [OUT=bench/RESULTS-netns.md]
#       [ONLY=poll] [KV_OUT=FILE]
#
# ONLY=poll runs the population and figures 2-4 only (the floor and the
# daemon's listener poll, their ratio) and writes no report: make bench
# (bench/run.sh) runs it so to put the ratio in its own table. KV_OUT: a
# copy of every raw figure ("key value" lines) goes there too.
#
# Needs root (namespaces, setns). Never part of `make check`. Everything it
# makes (the swb-* namespaces, every process, a temporary directory) is
# removed on every exit path. A daemon without namespace support (no
# "daemon.namespaces" in its status) still runs: its figures read "n/a".
# Writes OUT, and beside the binaries $BUILD/bench/results-netns.md and
# results-netns.kv (every raw figure, one "key value" a line).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
B=$BUILD/bench
SWD=${SWD:-$BUILD/sockwatchd}
SWCTL=${SWCTL:-$BUILD/sockwatchctl}

N=200 K=50 C=50000 CONN_NS=10 PROCS=1000 RUNS=21 ROUNDS=3 SAMPLE_SECS=10 WARM_SECS=20
DAEMON_SECS=60 TRIALS=5 OUT=$TOP/bench/RESULTS-netns.md ONLY= KV_OUT=
usage="usage: netns.sh [N=200] [K=50] [C=50000] [CONN_NS=10] [PROCS=1000] [RUNS=21] [ROUNDS=3] [SAMPLE_SECS=10] [WARM_SECS=20] [DAEMON_SECS=60] [TRIALS=5] [OUT=FILE] [ONLY=poll] [KV_OUT=FILE]"
for arg in "$@"; do
	case $arg in
	N=*|K=*|C=*|CONN_NS=*|PROCS=*|RUNS=*|ROUNDS=*|SAMPLE_SECS=*|WARM_SECS=*|DAEMON_SECS=*|TRIALS=*)
		v=${arg#*=}
		[[ $v =~ ^[0-9]+$ ]] || { echo "netns bench: $arg: not a number" >&2; exit 2; }
		printf -v "${arg%%=*}" '%s' "$((10#$v))" ;;
	OUT=*) OUT=${arg#OUT=} ;;
	KV_OUT=*) KV_OUT=${arg#KV_OUT=} ;;
	ONLY=poll) ONLY=poll ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
((N >= 1 && N <= 4000 && K >= 1 && K <= 5000)) || { echo "netns bench: N 1..4000, K 1..5000" >&2; exit 2; }
((C == 0 || (CONN_NS >= 1 && CONN_NS <= N))) || { echo "netns bench: CONN_NS must be 1..N" >&2; exit 2; }
# Without connections CONN_NS means nothing; keep it a namespace there is.
((C == 0 && (CONN_NS < 1 || CONN_NS > N))) && CONN_NS=1
# A holder process keeps K listeners and 2 C/CONN_NS connection sockets:
# a process may hold 20000 fds here.
(( K + 2 * ((C + CONN_NS - 1) / CONN_NS) + 100 <= 19000 )) ||
	{ echo "netns bench: K + 2 C/CONN_NS must stay below 19000 (raise CONN_NS)" >&2; exit 2; }
((RUNS >= 1 && ROUNDS >= 1 && SAMPLE_SECS >= 3 && DAEMON_SECS >= 10 && TRIALS >= 1 && TRIALS <= 20)) ||
	{ echo "netns bench: RUNS, ROUNDS >= 1, SAMPLE_SECS >= 3, DAEMON_SECS >= 10, TRIALS 1..20" >&2; exit 2; }

PREFIX=swb-
LISTEN_PORT=10000 CONN_PORT=9000 LAT_PORT=30000
CHILL_MIB=64
# How long a namespace may take to show up in status (namespace_scan is
# 5 s by default, then a poll) and to be released once it is gone.
LAT_TIMEOUT=30

[ "$(id -u)" = 0 ] || { echo "netns bench: needs root (network namespaces, setns)" >&2; exit 1; }
for t in ip jq awk ss; do
	command -v $t >/dev/null || { echo "netns bench: $t not installed (make deps)" >&2; exit 1; }
done
for f in $SWD $SWCTL $B/nspop $B/nsfloor $B/procwatch; do
	[ -x "$f" ] || { echo "netns bench: $f not built (make bench-netns builds it)" >&2; exit 1; }
done
if compgen -G "/run/netns/$PREFIX*" >/dev/null; then
	echo "netns bench: /run/netns/$PREFIX* exist (an earlier run killed hard?); remove them:" >&2
	echo "  for f in /run/netns/$PREFIX*; do ip netns del \"\${f##*/}\"; done" >&2
	exit 1
fi

TMP=$(mktemp -d /tmp/swnetns.XXXXXX)
KV=$TMP/results.kv
PIDS=()
NS_MADE=

log() { printf '%s netns bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

stop_pid() { # PID: TERM, up to 5 s, then KILL; reaped
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	local rc=$? p f
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	if [ -n "$NS_MADE" ]; then
		for f in /run/netns/$PREFIX*; do
			[ -e "$f" ] || continue
			echo "netns del ${f##*/}"
		done | ip -force -batch - 2>/dev/null
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg CMD...: in the background, pid in BG_PID, stopped by cleanup.
bg() {
	"$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}
forget() { # PID: no longer cleanup's to stop
	local i
	for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'; done
}

wait_for() { # SECS CMD...: CMD every 0.1 s
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

kv() { echo "$1 ${2:-NA}" >>"$KV"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { if (v == "") print "NA"; else print v }' "$KV"; }
# median (or p=quantile) of the values of every key matching the regex
kv_median() {
	awk -v re="$1" '$1 ~ re && $2 != "NA" { print $2 }' "$KV" | sort -g |
		awk -v q="${2:-0.5}" '{ v[++n] = $1 } END {
			if (!n) { print "NA"; exit }
			if (q != 0.5) { i = int(q * (n - 1) + 0.5) + 1; print v[i]; exit }
			if (n % 2) print v[(n + 1) / 2]
			else print (v[n / 2] + v[n / 2 + 1]) / 2
		}'
}
kv_count() { awk -v re="$1" '$1 ~ re && $2 != "NA" { n++ } END { print n + 0 }' "$KV"; }
kv_max() { awk -v re="$1" '$1 ~ re && $2 != "NA" && (m == "" || $2 > m) { m = $2 } END { print (m == "" ? "NA" : m) }' "$KV"; }
# calc EXPR [DECIMALS]: "NA" in, "NA" out
calc() {
	case $1 in *NA*) echo NA; return ;; esac
	awk "BEGIN { printf \"%.${2:-2}f\", $1 }"
}
ms() { calc "$1 / 1000" "${2:-2}"; }
na() { [ "$1" = NA ] && echo n/a || echo "$1"; }

proc_sched_us() { awk '{ print int($1 / 1000) }' "/proc/$1/schedstat" 2>/dev/null || echo NA; }
proc_status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo NA; }
proc_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
n_pids() { ls -d /proc/[0-9]* | wc -l; }
# The daemon's helper: its child (DESIGN.md "Process model").
child_of() { cat /proc/"$1"/task/*/children 2>/dev/null | awk '{ print $1; exit }'; }

# status SOCKET [ARGS...] > json; "{}" when it fails
status_json() {
	local sock=$1
	shift
	"$SWCTL" --socket "$sock" status --json "$@" 2>/dev/null || echo '{}'
}
# jq with a fallback: NA where a key is missing
jqv() { jq -r "($1) // \"NA\" | tostring" 2>/dev/null || echo NA; }

start_daemon() { # CONF SOCKET ERRFILE: pid in D, helper in H
	bg "$SWD" -c "$1" --control-socket "$2" --log-target stderr 2>"$3"
	D=$BG_PID
	wait_for 120 grep -q "started" "$3" || die "sockwatchd did not start: $(tail -n 5 "$3")"
	H=
	wait_for 5 test -n "$(child_of $D)" && H=$(child_of $D)
}
# Waits until the daemon watches every namespace there is (at most 60 s);
# NS_SUPPORT is set when its status has the fields at all.
wait_watching() { # SOCKET WANT
	local i w
	NS_SUPPORT=
	for ((i = 0; i < 600; i++)); do
		w=$(status_json "$1" | jqv '.daemon.namespaces.watched')
		[ "$w" = NA ] && return 1
		NS_SUPPORT=1
		((w >= $2)) && return 0
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------------------
log "N=$N namespaces x K=$K listeners, C=$C connections over $CONN_NS of them, $PROCS processes; $RUNS runs x $ROUNDS rounds"
: >"$KV"
kv N "$N"; kv K "$K"; kv C "$C"; kv conn_ns "$CONN_NS"; kv runs "$RUNS"; kv rounds "$ROUNDS"

log "making $N namespaces"
NS_MADE=1
t0=$(date +%s%N)
seq 0 $((N - 1)) | sed "s/^/netns add $PREFIX/" | ip -batch - || die "ip netns add"
kv pop.netns_add_ms "$(calc "($(date +%s%N) - $t0) / 1e6" 0)"
# Processes up to PROCS (discovery reads every pid's namespace): the
# holders, nspop, the daemon and its helper count.
pad=$((PROCS - $(n_pids) - N - 3))
((pad < 0)) && pad=0
log "building the population (and $pad idle processes)"
bg "$B/nspop" pop --prefix "/run/netns/$PREFIX" -N "$N" -K "$K" -C "$C" --conn-ns "$CONN_NS" \
	--listen-port $LISTEN_PORT --conn-port $CONN_PORT --pad "$pad" --timeout 300 \
	--ready-file "$TMP/pop.ready" >/dev/null
POP_PID=$BG_PID
wait_for 300 test -e "$TMP/pop.ready" || die "population not ready in 300 s"
kill -0 "$POP_PID" 2>/dev/null || die "nspop exited"
kv pop.build_ms "$(awk '$1 == "build_ms" { print $2 }' "$TMP/pop.ready")"
kv pop.processes "$(awk '$1 == "processes" { print $2 }' "$TMP/pop.ready")"
kv pop.host_pids "$(n_pids)"
# What the kernel holds, by ss inside three namespaces (first, last, one of
# the connection ones) and by the floor's own dumps of all of them below.
for i in 0 $((N - 1)) $((CONN_NS > 0 ? CONN_NS - 1 : 0)); do
	l=$(ss -N "$PREFIX$i" -Htln | wc -l)
	want=$((K + (C > 0 && i < CONN_NS ? 1 : 0)))
	[ "$l" -eq "$want" ] || die "$PREFIX$i holds $l listeners, not $want"
done
n_estab=0
for ((i = 0; i < (C > 0 ? CONN_NS : 0); i++)); do
	n_estab=$((n_estab + $(ss -N "$PREFIX$i" -Htn state established | wc -l)))
done
kv pop.established "$n_estab"
[ "$n_estab" -ge $((2 * C)) ] || die "only $n_estab established sockets, not $((2 * C))"
kv pop.host_listeners "$(ss -Htln | wc -l)"
log "population: $N namespaces, $n_estab established sockets, $(get pop.host_pids) processes on the host, built in $(ms "$(get pop.build_ms)" 1) s"

# ------------------------------------------------------------------------
# 2-4: the floor and the daemon's listener poll (syn_scan = off, so that
# nothing else runs in its polls), in alternating rounds.
log "figures 2-4: floor and the daemon's listener poll, $ROUNDS rounds"
printf '[daemon]\nsyn_scan = off\n' >"$TMP/nosyn.conf"
start_daemon "$TMP/nosyn.conf" "$TMP/control-a" "$TMP/a.err"
DA=$D
t0=$(date +%s%N)
if wait_watching "$TMP/control-a" $((N + 1)); then
	kv a.watch_all_ms "$(calc "($(date +%s%N) - $t0) / 1e6" 0)"
elif [ -n "$NS_SUPPORT" ]; then
	log "the daemon watches only $(status_json "$TMP/control-a" | jqv '.daemon.namespaces.watched') namespaces after 60 s"
else
	log "this daemon has no daemon.namespaces in its status: its namespace figures are n/a"
fi
kv daemon.ns_support "${NS_SUPPORT:-0}"
sleep "$WARM_SECS"

# sample_daemon ROUND: status every second for SAMPLE_SECS; each new poll's
# last_poll_us, each new discovery pass's cost.
sample_daemon() {
	local r=$1 i line polls pus pwall disc dcpu dwall watched seen_p=
	for ((i = 0; i < SAMPLE_SECS; i++)); do
		sleep 1
		line=$(status_json "$TMP/control-a" | jq -r '[.daemon.polls, .daemon.last_poll_us,
			.daemon.last_poll_wall_us, .daemon.namespaces.discoveries,
			.daemon.namespaces.last_discovery_cpu_us, .daemon.namespaces.last_discovery_wall_us,
			.daemon.namespaces.watched] | map(. // "NA" | tostring) | @tsv' 2>/dev/null) || continue
		read -r polls pus pwall disc dcpu dwall watched <<<"$line"
		if [ "$polls" != NA ] && [ "$polls" != "$seen_p" ]; then
			kv "dpoll.$r.$polls.cpu_us" "$pus"
			kv "dpoll.$r.$polls.wall_us" "$pwall"
			seen_p=$polls
		fi
		if [ "$disc" != NA ] && [ "$disc" != 0 ] && [ "$disc" != "$SEEN_DISC" ]; then
			kv "disc.$disc.cpu_us" "$dcpu"
			kv "disc.$disc.wall_us" "$dwall"
			SEEN_DISC=$disc
		fi
		kv "dpoll.$r.watched" "$watched"
	done
}
SEEN_DISC=
for ((r = 1; r <= ROUNDS; r++)); do
	for w in $( ((r % 2)) && echo "floor daemon" || echo "daemon floor"); do
		if [ "$w" = floor ]; then
			# -a: every namespace the daemon can see, the host's own
			# and any other on the machine, as the daemon watches them.
			# -x: each namespace's UNIX listener dump too, as the
			# daemon's poll (unix = yes by default) issues it.
			"$B/nsfloor" -a -x -n "$RUNS" -c $CHILL_MIB -P -D -u -p "nsfloor.c$r" >>"$KV" ||
				die "nsfloor"
			"$B/nsfloor" -a -x -n "$RUNS" -c 0 -p "nsfloor.w$r" >>"$KV" || die "nsfloor (warm)"
		else
			sample_daemon "$r"
		fi
	done
	kv "daemon.poll.$r.cpu_us" "$(kv_median "^dpoll\\.$r\\.[0-9]+\\.cpu_us\$")"
	# A daemon that watches its own namespace only has no ratio to the
	# floor of them all.
	dp=$([ -n "$NS_SUPPORT" ] && get "daemon.poll.$r.cpu_us" || echo NA)
	kv "ratio.c.$r" "$(calc "$dp / $(get "nsfloor.c$r.listen.cpu_us")" 3)"
	kv "ratio.w.$r" "$(calc "$dp / $(get "nsfloor.w$r.listen.cpu_us")" 3)"
	log "round $r: daemon poll $(ms "$(get "daemon.poll.$r.cpu_us")") ms, floor $(ms "$(get "nsfloor.c$r.listen.cpu_us")") ms cold, $(ms "$(get "nsfloor.w$r.listen.cpu_us")") ms warm"
done
for t in c w; do
	for f in listen.cpu_us listen.sweep_cpu_us listen.sweep_wall_us listen.per_ns_us listen.max_ns_us \
		namespaces listeners bytes; do
		kv "nsfloor.$t.$f" "$(kv_median "^nsfloor\\.$t[0-9]+\\.${f//./\\.}\$")"
	done
	kv "ratio.$t" "$(kv_median "^ratio\\.$t\\.[0-9]+\$")"
done
for f in compat.listen.cpu_us compat.listen.per_ns_us proc.cpu_us proc.per_ns_us discovery.cpu_us discovery.wall_us discovery.pids discovery.mounts; do
	kv "nsfloor.c.$f" "$(kv_median "^nsfloor\\.c[0-9]+\\.${f//./\\.}\$")"
done
kv nsfloor.mode "$(get nsfloor.c1.listen.mode)"
kv daemon.poll.cpu_us "$(kv_median '^dpoll\.[0-9]+\.[0-9]+\.cpu_us$')"
kv daemon.poll.p90_us "$(kv_median '^dpoll\.[0-9]+\.[0-9]+\.cpu_us$' 0.9)"
kv daemon.poll.max_us "$(kv_max '^dpoll\.[0-9]+\.[0-9]+\.cpu_us$')"
kv daemon.poll.wall_us "$(kv_median '^dpoll\.[0-9]+\.[0-9]+\.wall_us$')"
kv daemon.poll.samples "$(kv_count '^dpoll\.[0-9]+\.[0-9]+\.cpu_us$')"
kv daemon.poll.watched "$(kv_median '^dpoll\.[0-9]+\.watched$')"
kv disc.cpu_us "$(kv_median '^disc\.[0-9]+\.cpu_us$')"
kv disc.max_us "$(kv_max '^disc\.[0-9]+\.cpu_us$')"
kv disc.wall_us "$(kv_median '^disc\.[0-9]+\.wall_us$')"
kv disc.samples "$(kv_count '^disc\.[0-9]+\.cpu_us$')"
stop_pid "$DA"
forget "$DA"
if [ "$ONLY" = poll ]; then
	[ -z "$KV_OUT" ] || cp "$KV" "$KV_OUT" || die "cannot write $KV_OUT"
	log "ONLY=poll: listener poll $(ms "$(get daemon.poll.cpu_us)") ms, floor $(ms "$(get nsfloor.c.listen.cpu_us)") ms, ratio $(get ratio.c)"
	exit 0
fi

# ------------------------------------------------------------------------
# 5: the daemon at its default config, monitor and helper.
log "figure 5: the daemon at defaults, ${WARM_SECS}s start-up then ${DAEMON_SECS}s"
: >"$TMP/default.conf"
start_daemon "$TMP/default.conf" "$TMP/control" "$TMP/d.err"
[ -n "$H" ] || log "no helper (no child of the daemon): the helper's figures are n/a"
kv daemon.pid "$D"; kv helper.pid "${H:-NA}"
pwatch() { # PID PREFIX
	"$B/procwatch" -p "$1" -i 100 -P "$2" >"$TMP/watch.$2" &
	PIDS+=($!)
	eval "WATCH_$2=$!"
}
pwatch "$D" monitor
[ -n "$H" ] && pwatch "$H" helper
t0=$(date +%s%N)
wait_watching "$TMP/control" $((N + 1)) && kv d.watch_all_ms "$(calc "($(date +%s%N) - $t0) / 1e6" 0)"
sleep "$WARM_SECS"
kv daemon.startup_cpu_us "$(proc_sched_us $D)"
kv helper.startup_cpu_us "$( [ -n "$H" ] && proc_sched_us $H || echo NA)"
hs() { [ -n "$H" ] && proc_sched_us "$H" || echo NA; }
m0=$(proc_sched_us $D); h0=$(hs); t0=$(date +%s%N)
sleep $((DAEMON_SECS / 2))
mh=$(proc_sched_us $D); hh=$(hs); th=$(date +%s%N)
sleep $((DAEMON_SECS - DAEMON_SECS / 2))
m1=$(proc_sched_us $D); h1=$(hs); t1=$(date +%s%N)
kill -0 $D 2>/dev/null || die "sockwatchd died: $(tail -n 5 "$TMP/d.err")"
kv daemon.secs "$(calc "($t1 - $t0) / 1e9" 1)"
kv monitor.pct "$(calc "100 * ($m1 - $m0) * 1000 / ($t1 - $t0)" 3)"
kv helper.pct "$(calc "100 * ($h1 - $h0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.pct "$(calc "100 * ($m1 - $m0 + $h1 - $h0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.half1_pct "$(calc "100 * ($mh - $m0 + $hh - $h0) * 1000 / ($th - $t0)" 3)"
kv daemon.half2_pct "$(calc "100 * ($m1 - $mh + $h1 - $hh) * 1000 / ($t1 - $th)" 3)"
kv monitor.hwm_kb "$(proc_status_kb $D VmHWM)"
kv helper.hwm_kb "$( [ -n "$H" ] && proc_status_kb $H VmHWM || echo NA)"
kv monitor.rss_kb "$(proc_status_kb $D VmRSS)"
kv helper.rss_kb "$( [ -n "$H" ] && proc_status_kb $H VmRSS || echo NA)"
kv monitor.fds "$(proc_fds $D)"
kv helper.fds "$( [ -n "$H" ] && proc_fds $H || echo NA)"
for p in monitor helper; do
	w=WATCH_$p
	[ -n "${!w:-}" ] || continue
	kill -TERM "${!w}"; wait "${!w}" 2>/dev/null
	cat "$TMP/watch.$p" >>"$KV"
done
kv daemon.peak_rss_kb "$(calc "$(get monitor.peak_rss_kb) + $(get helper.peak_rss_kb)" 0)"
status_json "$TMP/control" >"$TMP/status.json"
for k in polls last_poll_us syn_scan.interval_ms syn_scan.last_cost_us syn_scan.scans \
	namespaces.watched namespaces.found namespaces.released namespaces.discoveries \
	namespaces.last_discovery_cpu_us helper_pid; do
	kv "status.$k" "$(jqv ".daemon.$k" <"$TMP/status.json")"
done
kv status.namespaces_listed "$(jqv '.namespaces | length' <"$TMP/status.json")"
kv status.ns_listeners "$(jqv '[.namespaces[]? | .listeners | if type == "array" then length elif type == "number" then . else 0 end] | add' <"$TMP/status.json")"

# ------------------------------------------------------------------------
# 6: a new namespace with a listener already in it, until its listener is
# in status (asked every 100 ms); then it is let go, until released.
SEEN_JQ='
	([.namespaces[]? | select((.id | tostring) == $id or .name == $name) |
	  (.listeners | if type == "array" then length elif type == "number" then . else 0 end)] | add // 0) as $a |
	([.listeners[]? | select(.netns == $name or ((.netns_id // "") | tostring) == $id)] | length) as $b |
	if $a > 0 or $b > 0 then "yes" else "no" end'
GONE_JQ='[.namespaces[]? | select((.id | tostring) == $id or .name == $name)] | length == 0'
if [ -n "${NS_SUPPORT:-}" ]; then
	log "figure 6: creation to status, $TRIALS namespaces"
	for ((j = 0; j < TRIALS; j++)); do
		sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
		port=$((LAT_PORT + j))
		bg "$B/nspop" hold --port $port --ready-file "$TMP/hold.$j"
		hp=$BG_PID
		wait_for 10 test -e "$TMP/hold.$j" || die "nspop hold not ready"
		c0=$(awk '$1 == "created_ns" { print $2 }' "$TMP/hold.$j")
		id=$(awk '$1 == "netns_id" { print $2 }' "$TMP/hold.$j")
		got=
		for ((w = 0; w < LAT_TIMEOUT * 10; w++)); do
			s=$("$SWCTL" --socket "$TMP/control" status --json "127.0.0.1:$port" 2>/dev/null) ||
				s=$(status_json "$TMP/control")
			if [ "$(jq -r --arg id "$id" --arg name "pid:$hp" "$SEEN_JQ" <<<"$s" 2>/dev/null)" = yes ]; then
				got=$(date +%s%N)
				break
			fi
			sleep 0.1
		done
		if [ -z "$got" ]; then
			log "namespace $id (pid $hp) not in status within $LAT_TIMEOUT s"
			kv "lat.$j.ms" NA
		else
			kv "lat.$j.ms" "$(calc "($got - $c0) / 1e6" 0)"
		fi
		# Released: gone from status once the holder has exited.
		g0=$(date +%s%N)
		stop_pid "$hp"
		forget "$hp"
		got=
		for ((w = 0; w < LAT_TIMEOUT * 10; w++)); do
			if [ "$(status_json "$TMP/control" | jq -r --arg id "$id" --arg name "pid:$hp" "$GONE_JQ" 2>/dev/null)" = true ]; then
				got=$(date +%s%N)
				break
			fi
			sleep 0.1
		done
		kv "rel.$j.ms" "$( [ -n "$got" ] && calc "($got - $g0) / 1e6" 0 || echo NA)"
		log "trial $j: in status after $(na "$(get "lat.$j.ms")") ms, released after $(na "$(get "rel.$j.ms")") ms"
		[ "$(get "lat.$j.ms")" = NA ] && { log "skipping the other trials"; break; }
	done
else
	log "figure 6 skipped: the daemon does not report namespaces"
fi
kv lat.median_ms "$(kv_median '^lat\.[0-9]+\.ms$')"
kv lat.max_ms "$(kv_max '^lat\.[0-9]+\.ms$')"
kv rel.median_ms "$(kv_median '^rel\.[0-9]+\.ms$')"
status_json "$TMP/control" >"$TMP/status2.json"
kv status.released_after "$(jqv '.daemon.namespaces.released' <"$TMP/status2.json")"
kv monitor.fds_after "$(proc_fds $D)"
stop_pid "$D"
forget "$D"

# ------------------------------------------------------------------------
# The report.
verdict() { # VALUE OP LIMIT
	case $1 in NA) echo "not measured"; return ;; esac
	if awk "BEGIN { exit !($1 $2 $3) }"; then echo met; else echo "**missed**"; fi
}
mib() { calc "$1 / 1024" 1; }
g() { na "$(get "$1")"; }
gms() { na "$(ms "$(get "$1")" "${2:-2}")"; }
rounds() { # REGEX [IF-NONE]
	awk -v re="$1" -v none="${2:-}" '$1 ~ re { n++; printf "%s ", ($2 == "NA" ? "n/a" : $2) }
		END { if (!n) printf "%s", none }' "$KV"
}
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$TOP" --no-optional-locks status --porcelain -- src bench 2>/dev/null)" ] ||
	commit="$commit + uncommitted changes"
[ -n "${SWD_NOTE:-}" ] && commit="$commit ($SWD_NOTE)"
floor_ms=$(ms "$(get nsfloor.c.listen.cpu_us)")
own_only=$([ "$(get daemon.ns_support)" = 1 ] || echo " for its own namespace only")
nsupport=$([ "$(get daemon.ns_support)" = 1 ] && echo yes || echo "**no**: its status has no daemon.namespaces, so every daemon figure that needs it is n/a")

report() {
	cat <<EOF
# sockwatchd benchmark: every network namespace (issue 13)

Made by \`make bench-netns\` (bench/netns.sh; bench/README.md, "Every
network namespace", explains every figure). Population: **N=$N network
namespaces** (\`ip netns add $PREFIX<i>\`, each with a member process) **x
K=$K TCP listeners**, plus **C=$C established connections** (both ends, on
loopback) in the first $CONN_NS of them; made in $(ms "$(get pop.netns_add_ms)" 1) s +
$(ms "$(get pop.build_ms)" 1) s by $(g pop.processes) processes; $(g pop.host_pids) processes on the host
(PROCS=$PROCS). The floor saw $(g nsfloor.c.namespaces) namespaces and $(g nsfloor.c.listeners) listeners.

Machine: $(nproc) CPUs ($cpu_model), $mem_total; kernel $(uname -r);
$(date -u '+%Y-%m-%d %H:%M UTC'); sockwatchd $commit. Daemon watches every
namespace: $nsupport.

## Targets

| target | measured | verdict |
|---|---|---|
| listener poll CPU over every namespace <= 1.3 x the sum of the per-namespace listener-dump floors | $(g ratio.c) x ($(gms daemon.poll.cpu_us) ms$own_only against $(na "$floor_ms") ms, caches cold; warm floor: $(g ratio.w) x) | $(verdict "$(get ratio.c)" '<=' 1.3) |
| discovery <= 20 ms of CPU a pass at 1000 processes | $(gms disc.cpu_us) ms (the daemon's figure, median of $(g disc.samples) passes; $(g pop.host_pids) processes) | $(verdict "$(get disc.cpu_us)" '<=' 20000) |
| daemon at defaults: CPU share of one core (monitor + helper) | $(g daemon.pct)% over $DAEMON_SECS s (monitor $(g monitor.pct)%, helper $(g helper.pct)%) | (no target in issue 13; make bench: <= 1%) $(verdict "$(get daemon.pct)" '<=' 1) |
| peak RSS (monitor + helper) | $(na "$(mib "$(get daemon.peak_rss_kb)")") MiB | (no target in issue 13; make bench: <= 16 MiB) $(verdict "$(get daemon.peak_rss_kb)" '<=' 16384) |
| a new namespace's listeners in status | median $(g lat.median_ms) ms, max $(g lat.max_ms) ms ($TRIALS namespaces) | (namespace_scan 5 s + one poll: <= 6100 ms) $(verdict "$(get lat.max_ms)" '<=' 6100) |

## Figures

### 2-3. Listener poll against its floor ($ROUNDS rounds, alternating)

Floor: \`bench/nsfloor -a\`, every namespace the daemon can see (its own,
every pid's, every nsfs mount), a sock_diag socket made inside each (setns)
and kept; per namespace the two TCP_LISTEN dumps with INET_DIAG_SKMEMINFO
(AF_INET, AF_INET6), each namespace timed on its own; the floor is the
sum over namespaces of each one's median of $RUNS sweeps (mode: $(g nsfloor.mode)).
Cold: 64 MiB written and read before every sweep. Daemon: \`daemon.last_poll_us\`
of every poll seen in $SAMPLE_SECS s of status requests a second apart, per
round, with \`syn_scan = off\`; the median over rounds.

| | CPU ms |
|---|---|
| daemon: listener poll (\`last_poll_us\`), median of $(g daemon.poll.samples) polls; p90, max | $(gms daemon.poll.cpu_us), $(gms daemon.poll.p90_us), $(gms daemon.poll.max_us) |
| daemon: its wall time (\`last_poll_wall_us\`) | $(gms daemon.poll.wall_us) |
| daemon: namespaces watched; poll CPU per namespace | $(g daemon.poll.watched); $(na "$(calc "$(get daemon.poll.cpu_us) / $(get daemon.poll.watched)" 1)") us |
| floor, cold: sum of per-namespace medians ($(g nsfloor.c.namespaces) namespaces, $(g nsfloor.c.listeners) listeners, $(calc "$(get nsfloor.c.bytes) / 1048576" 2) MiB) | $(na "$floor_ms") |
| floor, cold: median whole sweep (one clock read; wall) | $(gms nsfloor.c.listen.sweep_cpu_us) ($(gms nsfloor.c.listen.sweep_wall_us)) |
| floor, cold: median namespace, costliest namespace | $(gms nsfloor.c.listen.per_ns_us 3), $(gms nsfloor.c.listen.max_ns_us 3) |
| floor, warm (sweeps back to back): sum of medians; median namespace | $(gms nsfloor.w.listen.cpu_us), $(gms nsfloor.w.listen.per_ns_us 3) |
| not the floor (not what sockwatchd issues): one AF_UNSPEC walk per namespace (TCPDIAG_GETSOCK) instead of one per family, cold: sum; median namespace | $(gms nsfloor.c.compat.listen.cpu_us), $(gms nsfloor.c.compat.listen.per_ns_us 3) |
| not in the floor: the /proc reads of a poll, every namespace (3 sysctls, TcpExt), cold | $(gms nsfloor.c.proc.cpu_us) ($(gms nsfloor.c.proc.per_ns_us 3) a namespace) |

Ratios by round, cold: $(rounds '^ratio\.c\.[0-9]+$'); warm: $(rounds '^ratio\.w\.[0-9]+$').

### 4. Discovery

| | |
|---|---|
| \`daemon.namespaces.last_discovery_cpu_us\`, median of $(g disc.samples) passes (max) | $(gms disc.cpu_us) ms ($(gms disc.max_us) ms) |
| ... its wall time (\`last_discovery_wall_us\`, where reported) | $(gms disc.wall_us) ms |
| the bare walk, no daemon (\`nsfloor -D\`: readlink of $(g nsfloor.c.discovery.pids) /proc/PID/ns/net, mountinfo with $(g nsfloor.c.discovery.mounts) netns mounts), CPU (wall) | $(gms nsfloor.c.discovery.cpu_us) ms ($(gms nsfloor.c.discovery.wall_us) ms) |
| time from start to every namespace watched (syn_scan = off; defaults) | $(g a.watch_all_ms) ms; $(g d.watch_all_ms) ms |

### 5. The daemon at its default config, ${DAEMON_SECS} s after a ${WARM_SECS} s start-up

| | |
|---|---|
| CPU share of one core, monitor + helper (scheduler run time) | $(g daemon.pct)% (halves $(g daemon.half1_pct)%, $(g daemon.half2_pct)%) |
| ... monitor; helper (pid $(g helper.pid), the daemon's child) | $(g monitor.pct)%; $(g helper.pct)% |
| CPU to the end of the start-up: monitor, helper | $(gms daemon.startup_cpu_us 0) ms, $(gms helper.startup_cpu_us 0) ms |
| peak RSS, monitor + helper (sampled every 100 ms, and VmHWM) | $(na "$(mib "$(get daemon.peak_rss_kb)")") MiB ($(na "$(mib "$(get monitor.peak_rss_kb)")") + $(na "$(mib "$(get helper.peak_rss_kb)")")) |
| VmHWM: monitor, helper | $(na "$(mib "$(get monitor.hwm_kb)")") MiB, $(na "$(mib "$(get helper.hwm_kb)")") MiB |
| open fds: monitor, helper (monitor after figure 6) | $(g monitor.fds), $(g helper.fds) ($(g monitor.fds_after)) |
| namespaces watched, found, released, discoveries (status after the window) | $(g status.namespaces.watched), $(g status.namespaces.found), $(g status.namespaces.released), $(g status.namespaces.discoveries) |
| status "namespaces": entries, listeners in them | $(g status.namespaces_listed), $(g status.ns_listeners) |
| polls; last poll's CPU; last discovery's CPU | $(g status.polls); $(gms status.last_poll_us) ms; $(gms status.namespaces.last_discovery_cpu_us) ms |
| SYN scans: cadence chosen, cost of the last, scans | $(gms status.syn_scan.interval_ms 1) s, $(gms status.syn_scan.last_cost_us) ms, $(g status.syn_scan.scans) |

### 6. A new namespace (its listener already there) to its listener in status

\`nspop hold\`: unshare(CLONE_NEWNET), loopback up, a listener, then the
clock starts; \`sockwatchctl status --json 127.0.0.1:PORT\` every 100 ms
until the namespace (by id or its name \`pid:<pid>\`) shows the listener.
Then the holder exits and the namespace is timed until it leaves status.

| | ms |
|---|---|
| creation to status, by namespace | $(rounds '^lat\.[0-9]+\.ms$' n/a) |
| median, max | $(g lat.median_ms), $(g lat.max_ms) |
| holder gone to released, by namespace | $(rounds '^rel\.[0-9]+\.ms$' n/a) |
EOF
}

mkdir -p "$B"
cp "$KV" "$B/results-netns.kv"
[ -z "$KV_OUT" ] || cp "$KV" "$KV_OUT" || die "cannot write $KV_OUT"
report >"$B/results-netns.md"
marker='<!-- notes: kept by bench/netns.sh -->'
{
	cat "$B/results-netns.md"
	echo
	if [ -f "$OUT" ] && grep -qF "$marker" "$OUT"; then
		awk -v m="$marker" 'f || $0 == m { f = 1; print }' "$OUT"
	else
		echo "$marker"
	fi
} >"$TMP/out.md"
cp "$TMP/out.md" "$OUT" || die "cannot write $OUT"
cat "$B/results-netns.md"
log "written: $OUT, $B/results-netns.md, $B/results-netns.kv"
