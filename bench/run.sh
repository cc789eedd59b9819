#!/bin/bash
# make bench: sockwatchd's cost against the kernel's and against ss, on one
# socket population, in one run. See bench/README.md for what each figure
# means and how it is measured.
#
#   BUILD=build ./bench/run.sh [L=10000] [C=100000] [S=2000] [RUNS=21]
#       [ROUNDS=3] [DAEMON_SECS=60] [CHURN=100000] [CHURN_BATCH=5000]
#       [TRIALS=5] [BUDGET=PCT] [NETNS=1] [NS_N=200] [NS_K=50]
#       [NS_ARGS="SAMPLE_SECS=3 ..."] [SCRAPE_ROUNDS=5] [OUT=bench/RESULTS.md]
#
# NETNS=1 first runs bench/netns.sh ONLY=poll (NS_N namespaces x NS_K
# listeners: the listener poll over every namespace against its floor),
# before this run's own namespace exists; NETNS=0 skips it.
# BUDGET runs figures 5, 6 and the alert trials with [daemon] cpu_budget =
# PCT% instead of the default config (to see what a smaller SYN-scan budget
# buys); the report says so.
# Needs root (a network namespace, nftables). Everything it makes (the
# namespace, its processes, a temporary directory) is removed on every exit
# path. Writes OUT (the markdown table, ratios first; hand-written notes
# below the "notes" marker of an existing OUT are kept), and beside the
# binaries $BUILD/bench/results.md and results.kv (every raw figure).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
B=$BUILD/bench
SWD=$BUILD/sockwatchd
SWCTL=$BUILD/sockwatchctl

L=10000 C=100000 S=2000 RUNS=21 ROUNDS=3 DAEMON_SECS=60
CHURN=100000 CHURN_BATCH=5000 TRIALS=5 OUT=$TOP/bench/RESULTS.md BUDGET=
NETNS=1 NS_N=200 NS_K=50 SCRAPE_ROUNDS=5 NS_ARGS=
for arg in "$@"; do
	case $arg in
	L=*|C=*|S=*|RUNS=*|ROUNDS=*|DAEMON_SECS=*|CHURN=*|CHURN_BATCH=*|TRIALS=*|NETNS=*|NS_N=*|NS_K=*|SCRAPE_ROUNDS=*)
		v=${arg#*=}
		[[ $v =~ ^[0-9]+$ ]] || { echo "bench: $arg: not a number" >&2; exit 2; }
		printf -v "${arg%%=*}" '%s' "$v" ;;
	OUT=*) OUT=${arg#OUT=} ;;
	NS_ARGS=*) NS_ARGS=${arg#NS_ARGS=} ;;
	BUDGET=*)
		BUDGET=${arg#BUDGET=}
		[[ $BUDGET =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "bench: $arg: not a percentage" >&2; exit 2; } ;;
	*) echo "usage: run.sh [L=N] [C=N] [S=N] [RUNS=N] [ROUNDS=N] [DAEMON_SECS=N] [CHURN=N] [CHURN_BATCH=N] [TRIALS=N] [BUDGET=PCT] [NETNS=0|1] [NS_N=N] [NS_K=N] [NS_ARGS="ARG..."] [SCRAPE_ROUNDS=N] [OUT=FILE]" >&2
	   exit 2 ;;
	esac
done
((L >= 1 && L <= 50000)) || { echo "bench: L must be 1..50000" >&2; exit 2; }
((S <= 30000 && RUNS >= 1 && ROUNDS >= 1 && DAEMON_SECS >= 10 && TRIALS >= 1 && TRIALS <= 20)) ||
	{ echo "bench: S <= 30000, RUNS, ROUNDS >= 1, DAEMON_SECS >= 10, TRIALS 1..20" >&2; exit 2; }
((CHURN_BATCH >= 1 && CHURN_BATCH <= 19000)) || { echo "bench: CHURN_BATCH must be 1..19000" >&2; exit 2; }
((NETNS <= 1 && NS_N >= 1 && NS_N <= 4000 && NS_K >= 1 && NS_K <= 5000 && SCRAPE_ROUNDS >= 1)) ||
	{ echo "bench: NETNS 0 or 1, NS_N 1..4000, NS_K 1..5000, SCRAPE_ROUNDS >= 1" >&2; exit 2; }

# Ports: listeners from 10000, the established connections' listener, the
# half-open one, the alert probes (TRIALS SYN-queue probes, whose SYN-ACKs
# are dropped, then TRIALS accept-queue probes, whose are not); churn on
# its own address.
CONN_PORT=9000 SYN_PORT=9001 PROBE_PORT=9002 LISTEN_PORT=10000 CHURN_PORT=20000
ACCEPT_PORT=$((PROBE_PORT + TRIALS))
# Interval of the default config; polls are timed against it.
INTERVAL_MS=1000
# The daemon's start-up (owner attribution), before figure 5's window.
WARM_SECS=30

[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespace, nftables)" >&2; exit 1; }
for t in ip nft ss jq awk; do
	command -v $t >/dev/null || { echo "bench: $t not installed (make deps)" >&2; exit 1; }
done
for f in $SWD $SWCTL $B/popgen $B/floor $B/poll $B/cmdtime $B/nsfloor $B/scrape $B/procwatch; do
	[ -x "$f" ] || { echo "bench: $f not built (make bench builds it)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/swbench.XXXXXX)
NS=swbench-$$
KV=$TMP/results.kv
PIDS=()
NS_MADE=
NETNS_PID=
NAP_PID=

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	# bench/netns.sh stops its own processes and removes its namespaces
	# (which can take a while): TERM, and wait for it; whatever namespace
	# it left is removed after.
	if [ -n "$NETNS_PID" ]; then
		kill -TERM "$NETNS_PID" 2>/dev/null
		wait "$NETNS_PID" 2>/dev/null
		for p in /run/netns/swb-*; do
			[ -e "$p" ] && ip netns del "${p##*/}" 2>/dev/null
		done
	fi
	[ -z "$NAP_PID" ] || kill -TERM "$NAP_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$NS_MADE" ]; then
		ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bg CMD...: CMD in the namespace, in the background; pid in BG_PID.
# (ip netns exec execs the command: the pid is the command's own.)
bg() {
	ip netns exec "$NS" "$@" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}
in_ns() { ip netns exec "$NS" "$@"; }
# nap SECS: a sleep a signal interrupts (bash runs a trap only once its
# foreground command is done, but at once in a wait).
nap() { sleep "$1" & NAP_PID=$!; wait $NAP_PID; NAP_PID=; }

# wait_for SECS CMD...: polls CMD every 0.1 s.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

kv() { echo "$1 $2" >>"$KV"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { if (v == "") print "NA"; else print v }' "$KV"; }
# median of the values of every key matching the regex
kv_median() {
	awk -v re="$1" '$1 ~ re && $2 != "NA" { print $2 }' "$KV" | sort -g |
		awk '{ v[++n] = $1 } END {
			if (!n) print "NA"
			else if (n % 2) print v[(n + 1) / 2]
			else print (v[n / 2] + v[n / 2 + 1]) / 2
		}'
}
# calc EXPR: floating point, "NA" in, "NA" out
calc() {
	case $1 in *NA*) echo NA; return ;; esac
	awk "BEGIN { printf \"%.${2:-2}f\", $1 }"
}
ms() { calc "$1 / 1000" "${2:-2}"; }

ticks_per_sec=$(getconf CLK_TCK)
# CPU of a process in microseconds: utime + stime from /proc/PID/stat.
proc_cpu_us() {
	awk -v hz="$ticks_per_sec" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000000 / hz) }' "/proc/$1/stat"
}
# On-CPU time in microseconds, from the scheduler (finer than ticks).
proc_sched_us() { awk '{ print int($1 / 1000) }' "/proc/$1/schedstat"; }
proc_status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
proc_fds() { ls "/proc/$1/fd" | wc -l; }

# ------------------------------------------------------------------------
log "L=$L C=$C S=$S, $RUNS runs x $ROUNDS rounds; daemon ${DAEMON_SECS}s; churn $CHURN by $CHURN_BATCH"
: >"$KV"
kv L "$L"; kv C "$C"; kv S "$S"; kv runs "$RUNS"; kv rounds "$ROUNDS"

# ------------------------------------------------------------------------
# 0: every network namespace (bench/netns.sh, figures 2-4 only), before
# this run's namespace exists: its 10k listeners would be in every
# namespace's dump (the listening hash is shared) and in the daemon's set.
if [ "$NETNS" = 1 ]; then
	log "figure 0: $NS_N namespaces x $NS_K listeners (bench/netns.sh ONLY=poll)"
	# In the background, so that a signal reaches cleanup at once;
	# cleanup lets it remove its own namespaces (NETNS_PID).
	BUILD=$BUILD "$TOP/bench/netns.sh" ONLY=poll N="$NS_N" K="$NS_K" C=0 PROCS=0 \
		RUNS="$RUNS" ROUNDS="$ROUNDS" $NS_ARGS KV_OUT="$TMP/netns.kv" >&2 &
	NETNS_PID=$!
	wait $NETNS_PID || die "bench/netns.sh ONLY=poll failed"
	NETNS_PID=
	awk '{ print "netns." $0 }' "$TMP/netns.kv" >>"$KV"
fi

# 7: one metrics scrape at L listeners against one listener poll, on the
# real daemon (bench/scrape: a namespace of its own, [metrics] listen on
# loopback, syn_scan = off, namespaces = own), also before this run's
# namespace exists, for the same reason.
log "figure 7: a metrics scrape at $L listeners (bench/scrape)"
# (Its holders and daemon die with it: PR_SET_PDEATHSIG.)
"$B/scrape" --listeners "$L" --rounds "$SCRAPE_ROUNDS" --crowds 1 --kv scrape \
	--daemon "$SWD" --ctl "$SWCTL" >"$TMP/scrape.out" 2>&1 &
SCRAPE_PID=$!
PIDS+=("$SCRAPE_PID")
wait $SCRAPE_PID || die "bench/scrape: $(tail -n 3 "$TMP/scrape.out")"
grep '^scrape\.' "$TMP/scrape.out" >>"$KV"

ip netns add "$NS" || die "ip netns add"
NS_MADE=1
ip -n "$NS" link set lo up || die "lo up"
# somaxconn: the listeners for established and half-open connections take
# backlogs above the default 4096 (connects outrunning accept(), and a SYN
# queue kept under half full so the kernel does not cut its retries).
# synack/syn retries at their maximum: half-open connections live for the
# whole run instead of ~1 min.
in_ns sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_synack_retries=255 \
	net.ipv4.tcp_syn_retries=127 || die "sysctl in $NS"
# SYN-ACKs of the half-open and probe ports are dropped as they come in,
# not as they go out: a SYN-ACK whose retransmission the output hook
# refuses makes the kernel drop the request socket at its first timer
# (about 1 s), and the SYN queue would empty itself.
in_ns nft -f - <<NFT || die "nft in $NS"
table inet swbench {
	chain in {
		type filter hook input priority 0;
		tcp sport { $SYN_PORT, $PROBE_PORT-$((ACCEPT_PORT - 1)) } tcp flags & (syn | ack) == syn | ack drop
	}
}
NFT

log "building the population"
bg "$B/popgen" pop -L "$L" -C "$C" -S "$S" --listen-port $LISTEN_PORT --conn-port $CONN_PORT \
	--syn-port $SYN_PORT --probe-port $PROBE_PORT --probes $((2 * TRIALS)) --timeout 600 \
	--ready-file "$TMP/pop.ready" >/dev/null
POP_PID=$BG_PID
wait_for 600 test -e "$TMP/pop.ready" || die "population not ready in 600 s"
kill -0 "$POP_PID" 2>/dev/null || die "popgen exited"
kv pop.build_ms "$(awk '$1 == "build_ms" { print $2 }' "$TMP/pop.ready")"
kv pop.processes "$(awk '$1 == "processes" { print $2 }' "$TMP/pop.ready")"
# What the kernel holds, by ss: the population is what was asked for.
n_listen=$(in_ns ss -Htln | wc -l)
n_estab=$(in_ns ss -Htn state established | wc -l)
wait_for 10 test "$(in_ns ss -Htn state syn-recv | wc -l)" -ge "$S"
n_synrecv=$(in_ns ss -Htn state syn-recv | wc -l)
kv pop.listeners "$n_listen"; kv pop.established "$n_estab"; kv pop.synrecv "$n_synrecv"
log "population: $n_listen listeners, $n_estab established sockets, $n_synrecv SYN_RECV"
[ "$n_listen" -ge "$L" ] || die "only $n_listen listeners"
[ "$n_estab" -ge $((2 * C)) ] || die "only $n_estab established sockets"
[ "$n_synrecv" -ge "$S" ] || die "only $n_synrecv SYN_RECV"

# ------------------------------------------------------------------------
# 1-3: the in-process poll and the floor, in alternating rounds so that a
# busy moment of the machine does not fall on one side only. Cold rounds
# (c1, c2...) evict the caches before every run (-c: 2 x the L3 of most
# servers), as a second of other work does between two polls of a daemon:
# these are the headline figures. Warm rounds (w1...) run back to back, the
# kernel's socket structures still cached: a lower floor that no daemon
# polling once a second gets, kept for comparison.
log "figures 1-3: in-process poll, SYN scan and their floor ($ROUNDS cold + $ROUNDS warm rounds)"
CHILL_MIB=64
for ((r = 1; r <= ROUNDS; r++)); do
	for t in c w; do
		chill=$([ $t = c ] && echo "-c $CHILL_MIB" || echo "-c 0")
		# -x: the listener floor is the TCP listener dumps and the UNIX
		# listener dump, as the poll (unix = yes by default) issues them.
		# -u: the one-walk request (TCPDIAG_GETSOCK, AF_UNSPEC): the
		# SYN scan's floor, as the collector asks that way.
		for w in $( ((r % 2)) && echo "floor poll" || echo "poll floor"); do
			if [ "$w" = floor ]; then
				in_ns "$B/floor" -n "$RUNS" -m both -u -x $chill -p "floor.$t$r" >>"$KV" || die "floor"
			else
				in_ns "$B/poll" -n "$RUNS" $chill -p "inproc.$t$r" >>"$KV" || die "poll"
			fi
		done
		kv "ratio.$t.poll.$r" "$(calc "$(get "inproc.$t$r.poll.cpu_us") / $(get "floor.$t$r.listen.cpu_us")" 3)"
		kv "ratio.$t.syn.$r" "$(calc "$(get "inproc.$t$r.syn.cpu_us") / $(get "floor.$t$r.walk1.syn.cpu_us")" 3)"
		kv "ratio.$t.syn_pf.$r" "$(calc "$(get "inproc.$t$r.syn.cpu_us") / $(get "floor.$t$r.syn.cpu_us")" 3)"
	done
done
for t in c w; do
	for k in poll syn owners; do
		for f in cpu_us user_us sys_us wall_us; do
			kv "inproc.$t.$k.$f" "$(kv_median "^inproc\\.$t[0-9]+\\.$k\\.$f\$")"
		done
	done
	for k in dump proc index unix track; do
		kv "inproc.$t.phase.$k.cpu_us" "$(kv_median "^inproc\\.$t[0-9]+\\.phase\\.$k\\.cpu_us\$")"
	done
	for k in listen syn walk1.listen walk1.syn; do
		for f in cpu_us user_us sys_us wall_us bytes msgs; do
			kv "floor.$t.$k.$f" "$(kv_median "^floor\\.$t[0-9]+\\.${k//./\\.}\\.$f\$")"
		done
	done
	for f in tcp_cpu_us unix_cpu_us; do
		kv "floor.$t.listen.$f" "$(kv_median "^floor\\.$t[0-9]+\\.listen\\.$f\$")"
	done
	for k in poll syn syn_pf; do
		kv "ratio.$t.$k" "$(kv_median "^ratio\\.$t\\.$k\\.[0-9]+\$")"
	done
done
[ "$(get inproc.c1.listeners)" -ge "$L" ] || die "the collector saw $(get inproc.c1.listeners) listeners"
[ "$(get inproc.c1.syn_requests)" -ge "$S" ] || die "the SYN scan saw $(get inproc.c1.syn_requests) requests"

# 1b: sockwatchd --once with syn_scan = off: a whole process, start to exit.
log "figure 1b: sockwatchd --once, syn_scan = off"
printf '[daemon]\nsyn_scan = off\n' >"$TMP/nosyn.conf"
in_ns "$B/cmdtime" -n "$RUNS" -w 2 -o "$TMP/once.json" -p once -- \
	"$SWD" -c "$TMP/nosyn.conf" --once --log-target stderr >>"$KV" 2>"$TMP/once.err" ||
	die "sockwatchd --once: $(tail -n 3 "$TMP/once.err")"
kv once.listeners "$(jq '.listeners | length' "$TMP/once.json")"
kv once.json_bytes "$(stat -c %s "$TMP/once.json")"
kv once.poll_us "$(jq '.daemon.last_poll_us // empty' "$TMP/once.json")"
# If --once scanned anyway, say so and how much of it that was.
kv once.syn_scans "$(jq '.daemon.syn_scan.scans // 0' "$TMP/once.json")"
kv once.syn_cost_us "$(jq '.daemon.syn_scan.last_cost_us // 0' "$TMP/once.json")"

# 1c: sockwatchd --once at its defaults (an empty config: the SYN scan,
# owners, every namespace): what replaces `ss -tlnmp` + `ss -tn state
# syn-recv` in a script.
log "figure 1c: sockwatchd --once at defaults"
: >"$TMP/once_def.conf"
in_ns "$B/cmdtime" -n "$RUNS" -w 2 -o "$TMP/once_def.json" -p once_def -- \
	"$SWD" -c "$TMP/once_def.conf" --once --log-target stderr >>"$KV" 2>"$TMP/once_def.err" ||
	die "sockwatchd --once (defaults): $(tail -n 3 "$TMP/once_def.err")"
kv once_def.listeners "$(jq '.listeners | length' "$TMP/once_def.json")"
kv once_def.json_bytes "$(stat -c %s "$TMP/once_def.json")"
kv once_def.syn_scans "$(jq '.daemon.syn_scan.scans // 0' "$TMP/once_def.json")"
kv once_def.namespaces "$(jq '.daemon.namespaces.watched // 1' "$TMP/once_def.json")"
# And with namespaces = own, all else at defaults: the population ss sees
# (at defaults it also dumps every other namespace on the machine, each
# dump walking the shared listening hash).
printf '[daemon]\nnamespaces = own\n' >"$TMP/once_own.conf"
in_ns "$B/cmdtime" -n "$RUNS" -w 2 -o "$TMP/once_own.json" -p once_own -- \
	"$SWD" -c "$TMP/once_own.conf" --once --log-target stderr >>"$KV" 2>"$TMP/once_own.err" ||
	die "sockwatchd --once (namespaces = own): $(tail -n 3 "$TMP/once_own.err")"
kv once_own.listeners "$(jq '.listeners | length' "$TMP/once_own.json")"
kv once_own.syn_scans "$(jq '.daemon.syn_scan.scans // 0' "$TMP/once_own.json")"

# 4: ss on the same population.
log "figure 4: ss"
in_ns "$B/cmdtime" -n "$RUNS" -p ss_listen -- ss -tlnm >>"$KV" || die "ss -tlnm"
in_ns "$B/cmdtime" -n "$RUNS" -p ss_listen_p -- ss -tlnmp >>"$KV" || die "ss -tlnmp"
in_ns "$B/cmdtime" -n "$RUNS" -p ss_syn -- ss -tn state syn-recv >>"$KV" || die "ss syn-recv"
kv ss_pair.cpu_us "$(calc "$(get ss_listen_p.cpu_us) + $(get ss_syn.cpu_us)" 0)"
# --once at defaults watches every namespace it finds (the host's, at
# least, beside the population's): its "same population" is the ss pair in
# each of them. A namespace's SYN_RECV dump walks the hash it shares with
# the others (README, "Namespaces share the hash tables"), in ss as in
# sockwatchd.
other_ss=0 other_names=
# Its own namespace (the population's) is named "host" in its document;
# the others by kind: an ip netns name, or pid:N (entered through that
# process, as nsenter does).
while read -r name kind own; do
	[ "$own" = true ] && continue
	case $kind in
	netns) run=(ip netns exec "$name") ;;
	pid) run=(nsenter -t "${name#pid:}" -n) ;;
	*) other_names+=",$name(not measured)"; continue ;;
	esac
	"${run[@]}" "$B/cmdtime" -n "$RUNS" -p ss_o_l -- ss -tlnmp >"$TMP/ss_o.kv" || die "ss -tlnmp in $name"
	"${run[@]}" "$B/cmdtime" -n "$RUNS" -p ss_o_s -- ss -tn state syn-recv >>"$TMP/ss_o.kv" ||
		die "ss syn-recv in $name"
	o=$(awk '$1 == "ss_o_l.cpu_us" || $1 == "ss_o_s.cpu_us" { n += $2 } END { print n + 0 }' "$TMP/ss_o.kv")
	other_ss=$(calc "$other_ss + $o" 0)
	other_names+=",$name"
done < <(jq -r '.namespaces[] | "\(.name) \(.kind) \(.own)"' "$TMP/once_def.json")
kv ss_pair_all.cpu_us "$(calc "$(get ss_pair.cpu_us) + $other_ss" 0)"
kv ss_pair_all.others_us "$other_ss"
kv ss_pair_all.others "${other_names#,}"
kv ratio.once_def_ss "$(calc "$(get once_def.cpu_us) / $(get ss_pair_all.cpu_us)" 3)"
kv ratio.once_own_ss "$(calc "$(get once_own.cpu_us) / $(get ss_pair.cpu_us)" 3)"
kv ratio.ss_poll "$(calc "$(get ss_listen.cpu_us) / $(get inproc.c.poll.cpu_us)" 1)"
kv ratio.ss_once "$(calc "$(get ss_listen.cpu_us) / $(get once.cpu_us)" 2)"
kv ratio.sssyn_syn "$(calc "$(get ss_syn.cpu_us) / $(get inproc.c.syn.cpu_us)" 2)"

# ------------------------------------------------------------------------
# 5: the daemon at its default config.
log "figure 5: the daemon at ${BUDGET:+cpu_budget = $BUDGET%, otherwise at }defaults for ${DAEMON_SECS}s"
if [ -n "$BUDGET" ]; then
	printf '[daemon]\ncpu_budget = %s%%\n' "$BUDGET" >"$TMP/default.conf"
else
	: >"$TMP/default.conf"
fi
bg "$SWD" -c "$TMP/default.conf" --control-socket "$TMP/control" --log-target stderr \
	2>"$TMP/daemon.err"
D=$BG_PID
# watch PREFIX: samples the daemon's RSS and fds until unwatch.
watch_start() {
	# VmHWM from this moment on (clear_refs 5 resets it), so that a
	# figure's peak is its own and not the churn's before it.
	echo 5 >"/proc/$D/clear_refs" 2>/dev/null || true
	"$B/procwatch" -p $D -i 20 -P "$1" >"$TMP/watch.$1" &
	WATCH_PID=$!
	PIDS+=("$WATCH_PID")
}
watch_stop() {
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" 2>/dev/null
	cat "$TMP/watch.$1" >>"$KV"
}
watch_start daemon
wait_for 120 grep -q "started" "$TMP/daemon.err" || die "sockwatchd did not start: $(cat "$TMP/daemon.err")"
# The first seconds attribute every listener to its owner through /proc
# (a full scan of every fd on the host, spread over polls by its budget):
# start-up, counted apart. The share is measured on the daemon as it runs
# from then on, which is what it costs a server that runs it forever.
kv daemon.startup_cpu_us "$(proc_sched_us $D)"
nap $WARM_SECS
# The helper (privileges, namespaces, owner attribution): the daemon's
# child (DESIGN.md "Process model"); its CPU counts in the daemon's share.
H=$(cat /proc/$D/task/*/children 2>/dev/null | awk '{ print $1; exit }')
hs() { [ -n "$H" ] && proc_sched_us "$H" 2>/dev/null || echo 0; }
c0=$(proc_cpu_us $D); s0=$(proc_sched_us $D); h0=$(hs); t0=$(date +%s%N)
kv daemon.warmup_cpu_us "$s0"
nap $((DAEMON_SECS / 2))
sh=$(proc_sched_us $D); th=$(date +%s%N)
nap $((DAEMON_SECS - DAEMON_SECS / 2))
c1=$(proc_cpu_us $D); s1=$(proc_sched_us $D); h1=$(hs); t1=$(date +%s%N)
kill -0 $D 2>/dev/null || die "sockwatchd died: $(tail -n 5 "$TMP/daemon.err")"
kv daemon.helper "$([ -n "$H" ] && echo 1 || echo 0)"
kv daemon.helper_pct "$(calc "100 * ($h1 - $h0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.total_pct "$(calc "100 * ($s1 - $s0 + $h1 - $h0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.helper_rss_kb "$([ -n "$H" ] && proc_status_kb "$H" VmHWM || echo NA)"
# The floor of that window: the listener dumps (TCP and UNIX) of every
# namespace the daemon can see, as it watches them at defaults
# (namespaces = all), cold, summed over namespaces (bench/nsfloor -a -x;
# right after the window, the daemon still running as it did in it).
log "figure 5b: the listener floor of every namespace the daemon watches"
"$B/nsfloor" -a -x -n "$RUNS" -c $CHILL_MIB -p nsfloor.d >>"$KV" || die "nsfloor -a"
# ... and at the daemon's cadence: a sweep an interval, the CPU idle in
# between, as the daemon's own dumps are; the floor's share is the larger.
"$B/nsfloor" -a -x -n 11 -w 1 -c $CHILL_MIB -i "$INTERVAL_MS" -p nsfloor.i >>"$KV" || die "nsfloor -i"
kv nsfloor.share.listen.cpu_us "$(awk -v a="$(get nsfloor.d.listen.cpu_us)" -v b="$(get nsfloor.i.listen.cpu_us)" \
	'BEGIN { print (b > a ? b : a) }')"
watch_stop daemon
# Share of one core: CPU time over wall time, in the whole window and in
# its two halves (their difference says how steady it is).
kv daemon.secs "$(calc "($t1 - $t0) / 1e9" 1)"
kv daemon.cpu_pct "$(calc "100 * ($c1 - $c0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.sched_pct "$(calc "100 * ($s1 - $s0) * 1000 / ($t1 - $t0)" 3)"
kv daemon.half1_pct "$(calc "100 * ($sh - $s0) * 1000 / ($th - $t0)" 3)"
kv daemon.half2_pct "$(calc "100 * ($s1 - $sh) * 1000 / ($t1 - $th)" 3)"
kv daemon.hwm_kb "$(proc_status_kb $D VmHWM)"
kv daemon.rss_kb "$(proc_status_kb $D VmRSS)"
kv daemon.fds "$(proc_fds $D)"

# 6: CHURN listeners created and closed while it runs, CHURN_BATCH at a
# time, each batch held 1.5 poll intervals so that a poll sees it.
log "figure 6: churn of $CHURN listeners"
kv churn.rss_before_kb "$(proc_status_kb $D VmRSS)"
fds0=$(proc_fds $D)
kv churn.fds_before "$fds0"
watch_start churn
cc0=$(proc_sched_us $D); ct0=$(date +%s%N)
# In two halves: RSS that grows in the second half too would be a leak,
# not memory kept at its high-water mark.
half=$(((CHURN + 1) / 2))
in_ns "$B/popgen" churn --addr 127.0.0.3 --port $CHURN_PORT --total "$half" \
	--batch "$CHURN_BATCH" --hold-ms $((INTERVAL_MS * 3 / 2)) >"$TMP/churn.out" ||
	die "popgen churn: $(tail -n 3 "$TMP/churn.out")"
sleep $((3 * INTERVAL_MS / 1000))
kv churn.rss_half_kb "$(proc_status_kb $D VmRSS)"
in_ns "$B/popgen" churn --addr 127.0.0.3 --port $CHURN_PORT --total $((CHURN - half)) \
	--batch "$CHURN_BATCH" --hold-ms $((INTERVAL_MS * 3 / 2)) >>"$TMP/churn.out" ||
	die "popgen churn: $(tail -n 3 "$TMP/churn.out")"
cc1=$(proc_sched_us $D); ct1=$(date +%s%N)
# Three polls for the last batch to be forgotten; then up to 60 s for the
# fd count to come back (a /proc scan for the owners of new listeners
# holds a directory open from one poll to the next while it runs).
sleep $((3 * INTERVAL_MS / 1000))
settle=0
while [ "$(proc_fds $D)" -gt "$fds0" ] && ((settle < 60)); do
	sleep 1
	settle=$((settle + 1))
done
watch_stop churn
kill -0 $D 2>/dev/null || die "sockwatchd died during the churn: $(tail -n 5 "$TMP/daemon.err")"
kv churn.secs "$(calc "($ct1 - $ct0) / 1e9" 1)"
kv churn.cpu_pct "$(calc "100 * ($cc1 - $cc0) * 1000 / ($ct1 - $ct0)" 2)"
kv churn.settle_s "$settle"
kv churn.rss_settled_kb "$(proc_status_kb $D VmRSS)"
# The daemon hands freed heap back to the kernel every 10 s (manager.c's
# heap_trim, when 1 MiB or more is free): "after" is read once one such
# period has passed, as memory given back within it is flat for a user;
# the reading before it is reported beside.
nap 11
kv churn.rss_after_kb "$(proc_status_kb $D VmRSS)"
kv churn.fds_after "$(proc_fds $D)"

# What the SYN scheduler chose, from the status document. Asked only now:
# building the document for every listener costs memory of its own,
# measured here too.
watch_start status
"$SWCTL" --socket "$TMP/control" status --json >"$TMP/status.json" 2>>"$TMP/daemon.err" ||
	die "sockwatchctl status"
sleep 0.2
watch_stop status
kv daemon.polls "$(jq '.daemon.polls' "$TMP/status.json")"
kv daemon.poll_us "$(jq '.daemon.last_poll_us' "$TMP/status.json")"
kv daemon.syn_interval_ms "$(jq '.daemon.syn_scan.interval_ms' "$TMP/status.json")"
kv daemon.syn_cost_us "$(jq '.daemon.syn_scan.last_cost_us' "$TMP/status.json")"
kv daemon.syn_scans "$(jq '.daemon.syn_scan.scans' "$TMP/status.json")"
kv daemon.watched "$(jq '.daemon.namespaces.watched // 1' "$TMP/status.json")"
kv daemon.rss_after_status_kb "$(proc_status_kb $D VmRSS)"
# The whole document (--all: every listener, idle ones included), and then
# 32 clients that ask for it and never read, each reconnecting when the
# daemon drops it, for 8 s: what replies waiting to be read can cost.
watch_start status_all
"$SWCTL" --socket "$TMP/control" status --json --all >"$TMP/status_all.json" 2>>"$TMP/daemon.err" ||
	die "sockwatchctl status --all"
sleep 0.2
watch_stop status_all
kv status_all.bytes "$(wc -c <"$TMP/status_all.json")"
watch_start slow_readers
"$BUILD/tests/soak/swabuse" --socket "$TMP/control" --slow 32 --duration 8 >"$TMP/slow.out" 2>&1 ||
	die "swabuse: $(cat "$TMP/slow.out")"
watch_stop slow_readers
kv slow_readers.connects "$(sed -E 's/.*connects=([0-9]+).*/\1/' "$TMP/slow.out")"
kv daemon.rss_after_slow_kb "$(proc_status_kb $D VmRSS)"

# alert_trial KIND PORT KEY: a random part of a second, so the bursts fall
# at different points of the poll cycle; then a burst of 64 connects at
# PORT, timed to the daemon's first KIND line (syn-queue, accept-queue)
# for it, in ms, as KEY. Leaves n0 (the daemon's stderr lines before it).
alert_trial() {
	local kind=$1 port=$2 key=$3 b0 bpid got= w
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	n0=$(wc -l <"$TMP/daemon.err")
	b0=$(date +%s%N)
	bg "$B/popgen" burst --to 127.0.0.1 --port "$port" --count 64
	bpid=$BG_PID
	for ((w = 0; w < 1000; w++)); do
		if tail -n +$((n0 + 1)) "$TMP/daemon.err" | grep -q "$kind: .*127\.0\.0\.1:$port\b"; then
			got=$(date +%s%N)
			break
		fi
		sleep 0.01
	done
	[ -n "$got" ] || die "no $kind alert for port $port within 10 s: $(tail -n 5 "$TMP/daemon.err")"
	kv "$key" "$(calc "($got - $b0) / 1e6" 0)"
	kill -TERM $bpid
	wait $bpid 2>/dev/null
}
# alert_summary PREFIX KIND: median, max and level of the trials.
alert_summary() {
	kv "$1.median_ms" "$(kv_median "^$1[.][0-9]+[.]ms\$")"
	kv "$1.max_ms" "$(awk -v re="^$1[.][0-9]+[.]ms\$" '$1 ~ re && $2 > m { m = $2 } END { print m + 0 }' "$KV")"
	kv "$1.level" "$(grep -m1 -o "[a-z]*: $2" "$TMP/daemon.err" | cut -d: -f1)"
}

# SYN-queue alert latency: the burst at a probe listener (backlog 16,
# SYN-ACKs dropped) overflows its SYN queue at once, so the SYN counters
# move at once. Each trial waits for the alert to clear before the next.
log "SYN-queue alert latency, $TRIALS trials"
for ((i = 0; i < TRIALS; i++)); do
	port=$((PROBE_PORT + i))
	alert_trial syn-queue $port "alert.$i.ms"
	# Requests expire ~3 s after the burst's last SYN; then it clears.
	wait_for 20 sh -c "tail -n +$((n0 + 1)) '$TMP/daemon.err' | grep -q 'cleared.*127\\.0\\.0\\.1:$port\\b'" ||
		log "alert for port $port did not clear within 20 s"
done
alert_summary alert syn-queue

# Accept-queue alert latency: the burst at a probe listener of backlog 16
# that never accepts (its SYN-ACKs go through): 17 handshakes complete
# into the accept queue at once, which is then full (and the rest of the
# SYNs are dropped, ListenOverflows). The queue stays full (nobody
# accepts), so each trial has a probe of its own.
log "accept-queue alert latency, $TRIALS trials"
for ((i = 0; i < TRIALS; i++)); do
	alert_trial accept-queue $((ACCEPT_PORT + i)) "aalert.$i.ms"
done
alert_summary aalert accept-queue

kill -TERM $D
wait $D 2>/dev/null
kv daemon.exit "$?"

# ------------------------------------------------------------------------
# The report.
verdict() { # VALUE OP LIMIT
	case $1 in NA) echo "not measured"; return ;; esac
	if awk "BEGIN { exit !($1 $2 $3) }"; then echo met; else echo "**missed**"; fi
}
mib() { calc "$1 / 1024" 1; }
r3() { calc "$1" 3; }   # a ratio (a median of an even count has more digits)

rss_delta_kb=$(calc "$(get churn.rss_after_kb) - $(get churn.rss_before_kb)" 0)
fd_delta=$(($(get churn.fds_after) - $(get churn.fds_before)))
# An alert is in time when the first poll after the burst raised it: one
# interval, plus that poll's own run (listener dump and SYN scan, some
# 50 ms), the 10 ms timer slack and our 10 ms sampling of its stderr.
ALERT_LIMIT_MS=$((INTERVAL_MS + 100))
# The floor's share of a core at the daemon's cadence: every watched
# namespace's listener dumps (TCP and UNIX) once an interval, plus one SYN
# floor (the one-walk dump) every syn_scan interval the daemon chose.
kv floor_share.pct "$(calc "100 * ($(get nsfloor.share.listen.cpu_us) / ($INTERVAL_MS * 1000) + $(get floor.c.walk1.syn.cpu_us) / ($(get daemon.syn_interval_ms) * 1000))" 3)"
kv ratio.daemon_floor "$(calc "$(get daemon.total_pct) / $(get floor_share.pct)" 3)"
if [ "$NETNS" = 1 ]; then
	netns_fig="$(ms "$(get netns.daemon.poll.cpu_us)") ms: the daemon's own last_poll_us over $(get netns.daemon.poll.watched) namespaces (syn_scan = off), median of $(get netns.daemon.poll.samples) polls"
	netns_floor="$(ms "$(get netns.nsfloor.c.listen.cpu_us)") ms: TCP + UNIX listener dumps of each of $(get netns.nsfloor.c.namespaces) namespaces, summed (bench/nsfloor -a -x)"
	netns_verdict=$(verdict "$(get netns.ratio.c)" '<=' 1.15)
else
	netns_fig="not measured (NETNS=0)" netns_floor= netns_verdict="not measured"
fi
once_note=
if [ "$(get once.syn_scans)" != 0 ]; then
	once_note="; it ran the SYN scan all the same ($(ms "$(get once.syn_cost_us)") ms): --once forces one"
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$TOP" --no-optional-locks status --porcelain -- src bench 2>/dev/null)" ] ||
	commit="$commit + uncommitted changes"

row() { # LABEL PREFIX: one table row from PREFIX.{cpu,user,sys,wall}_us
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$(ms "$(get "$2.cpu_us")")" \
		"$(ms "$(get "$2.user_us")")" "$(ms "$(get "$2.sys_us")")" "$(ms "$(get "$2.wall_us")")"
}
rounds() { awk -v re="$1" '$1 ~ re { printf "%s ", $2 }' "$KV"; }

report() {
	cat <<EOF
# sockwatchd benchmark results

Made by \`make bench\` (bench/run.sh; bench/README.md explains every figure).
Population: **L=$L listeners, C=$C established connections, S=$S half-open**
in a network namespace of its own, built by $(get pop.processes) processes in
$(ms "$(get pop.build_ms)" 1) s; the kernel held $(get pop.listeners) listeners,
$(get pop.established) established sockets and $(get pop.synrecv) SYN_RECV.
Figures 1-4 are medians of $RUNS runs; 1-3 the median of $ROUNDS rounds of
those, alternating with the floor.

Machine: $(nproc) CPUs ($cpu_model), $mem_total; kernel $(uname -r);
$(date -u '+%Y-%m-%d %H:%M UTC'); sockwatchd $commit.

## Targets

Issue 17's targets, every one from this run. CPU in ms (user + system);
"floor": the kernel's own cost of what the figure needs, or the limit or
the figure it is held against; ratio = figure / floor.

| target | figure | floor | ratio | verdict |
|---|---|---|---|---|
| listener poll <= 1.15 x its floor, L=$L in one namespace | $(ms "$(get inproc.c.poll.cpu_us)") ms in-process, cold (back to back: $(r3 "$(get ratio.w.poll)") x) | $(ms "$(get floor.c.listen.cpu_us)") ms: TCP listener dumps $(ms "$(get floor.c.listen.tcp_cpu_us)") + UNIX listener dump $(ms "$(get floor.c.listen.unix_cpu_us)") | $(r3 "$(get ratio.c.poll)") | $(verdict "$(get ratio.c.poll)" '<=' 1.15) |
| listener poll <= 1.15 x its floor, $NS_N namespaces x $NS_K listeners | $netns_fig | $netns_floor | $(r3 "$(get netns.ratio.c)") | $netns_verdict |
| SYN scan <= 1.05 x its floor | $(ms "$(get inproc.c.syn.cpu_us)") ms in-process, cold, $(get inproc.c1.syn_requests) requests | $(ms "$(get floor.c.walk1.syn.cpu_us)") ms: one AF_UNSPEC walk (TCPDIAG_GETSOCK) for both families; per family: $(ms "$(get floor.c.syn.cpu_us)") ms, ratio $(r3 "$(get ratio.c.syn_pf)") | $(r3 "$(get ratio.c.syn)") | $(verdict "$(get ratio.c.syn)" '<=' 1.05) |
| daemon at defaults${BUDGET:+ (**cpu_budget = $BUDGET%**)}: CPU share <= 1.25 x the floor's share at its cadence | $(get daemon.total_pct)% of a core over ${DAEMON_SECS} s (monitor $(get daemon.sched_pct)%, helper $(get daemon.helper_pct)%) | $(get floor_share.pct)%: listener floor of the $(get nsfloor.d.namespaces) namespaces it can see (it watched $(get daemon.watched)), $(ms "$(get nsfloor.share.listen.cpu_us)") ms (back to back, cold: $(ms "$(get nsfloor.d.listen.cpu_us)"); a sweep a second: $(ms "$(get nsfloor.i.listen.cpu_us)"); the larger) x $((1000 / INTERVAL_MS)) poll/s, + SYN floor $(ms "$(get floor.c.walk1.syn.cpu_us)") ms every $(ms "$(get daemon.syn_interval_ms)" 1) s | $(get ratio.daemon_floor) | $(verdict "$(get ratio.daemon_floor)" '<=' 1.25) |
| daemon at defaults <= 1% of one core | $(get daemon.total_pct)% (halves of the monitor: $(get daemon.half1_pct)%, $(get daemon.half2_pct)%) | 1% | $(calc "$(get daemon.total_pct) / 1" 2) | $(verdict "$(get daemon.total_pct)" '<=' 1) |
| daemon peak RSS <= 16 MiB | $(mib "$(get daemon.peak_rss_kb)") MiB (monitor; helper VmHWM $(mib "$(get daemon.helper_rss_kb)") MiB) | 16 MiB | $(calc "$(get daemon.peak_rss_kb) / 16384" 2) | $(verdict "$(get daemon.peak_rss_kb)" '<=' 16384) |
| RSS flat after churn of $CHURN listeners (within 1 MiB) | $(mib "$(get churn.rss_before_kb)") -> $(mib "$(get churn.rss_after_kb)") MiB, 11 s (one heap trim) after the fd count was back; $(mib "$(get churn.rss_settled_kb)") MiB before it; $(mib "$(get churn.rss_half_kb)") half way | 1 MiB | $(calc "$rss_delta_kb / 1024" 2) MiB | $(verdict "${rss_delta_kb#-}" '<=' 1024) |
| fd count flat after the churn | $(get churn.fds_before) -> $(get churn.fds_after) | 0 | $fd_delta | $(verdict "${fd_delta#-}" '==' 0) |
| metrics scrape at $(get scrape.listeners) listeners <= 0.5 x a listener poll | $(ms "$(get scrape.first_cpu_us)") ms: the daemon's CPU for the first GET /metrics after a poll (builds the body, $(mib "$(( $(get scrape.bytes) / 1024 ))") MiB), median of $(get scrape.first_n); reusing it: $(ms "$(get scrape.reuse_cpu_us)") ms | $(ms "$(get scrape.poll_us)") ms: one listener poll, the daemon's own last_poll_us | $(get scrape.ratio_first) | $(verdict "$(get scrape.ratio_first)" '<=' 0.5) |
| SYN-queue overflow alerted within one interval | max $(get alert.max_ms) ms, median $(get alert.median_ms) ms, $TRIALS bursts | ${ALERT_LIMIT_MS} ms: interval $INTERVAL_MS + 100 | $(calc "$(get alert.max_ms) / $ALERT_LIMIT_MS" 2) | $(verdict "$(get alert.max_ms)" '<=' $ALERT_LIMIT_MS) |
| accept-queue overflow alerted within one interval | max $(get aalert.max_ms) ms, median $(get aalert.median_ms) ms, $TRIALS bursts | ${ALERT_LIMIT_MS} ms | $(calc "$(get aalert.max_ms) / $ALERT_LIMIT_MS" 2) | $(verdict "$(get aalert.max_ms)" '<=' $ALERT_LIMIT_MS) |
| \`sockwatchd --once\` at defaults <= 0.25 x \`ss -tlnmp\` + \`ss -tn state syn-recv\` (CPU) | $(ms "$(get once_def.cpu_us)") ms, $(get once_def.listeners) listeners, $(get once_def.namespaces) namespaces, $(get once_def.syn_scans) SYN scan | $(ms "$(get ss_pair_all.cpu_us)") ms: $(ms "$(get ss_listen_p.cpu_us)") + $(ms "$(get ss_syn.cpu_us)") in the population's namespace, $(ms "$(get ss_pair_all.others_us)") in the others it watched ($(get ss_pair_all.others)) | $(get ratio.once_def_ss) | $(verdict "$(get ratio.once_def_ss)" '<=' 0.25) |
| ... the same with \`namespaces = own\` (all else at defaults): the population ss sees | $(ms "$(get once_own.cpu_us)") ms, $(get once_own.listeners) listeners, $(get once_own.syn_scans) SYN scan | $(ms "$(get ss_pair.cpu_us)") ms | $(get ratio.once_own_ss) | $(verdict "$(get ratio.once_own_ss)" '<=' 0.25) |
| \`sockwatchd --once\` at defaults: peak RSS <= 32 MiB | $(mib "$(get once_def.maxrss_kb)") MiB (ru_maxrss, median; with \`namespaces = own\`: $(mib "$(get once_own.maxrss_kb)") MiB) | 32 MiB | $(calc "$(get once_def.maxrss_kb) / 32768" 2) | $(verdict "$(get once_def.maxrss_kb)" '<=' 32768) |

## Figures

CPU is user + system time, of the measuring process for in-process figures
(CLOCK_PROCESS_CPUTIME_ID; the user/system split from getrusage, which
apportions by ticks) and of the command for external ones (wait4). "Cold":
the caches evicted before each run, as a second of other work does between
two polls; "warm": runs back to back.

| # | what | CPU ms | user ms | sys ms | wall ms |
|---|---|---|---|---|---|
$(row "1 | listener poll, in-process, cold: TCP dump and parse, counters, sysctls, index, UNIX dump and parse, tracker, rules" inproc.c.poll)
| 1 | ... of which TCP dump + parse, /proc reads, index, UNIX dump + parse, tracker + rules | $(ms "$(get inproc.c.phase.dump.cpu_us)"), $(ms "$(get inproc.c.phase.proc.cpu_us)"), $(ms "$(get inproc.c.phase.index.cpu_us)"), $(ms "$(get inproc.c.phase.unix.cpu_us)"), $(ms "$(get inproc.c.phase.track.cpu_us)") | | | |
$(row "1 | listener poll, in-process, warm" inproc.w.poll)
$(row "1 | owner refresh, steady state, cold (the rest of a daemon's poll)" inproc.c.owners)
$(row "1 | \`sockwatchd --once\` with syn_scan = off: the whole process, $(get once.listeners) listeners, $(calc "$(get once.json_bytes) / 1048576" 1) MiB of JSON; its poll (owner scan included) $(ms "$(get once.poll_us)") ms$once_note" once)
$(row "2 | SYN scan, in-process, cold: $(get inproc.c1.syn_requests) requests" inproc.c.syn)
$(row "2 | SYN scan, in-process, warm" inproc.w.syn)
$(row "3 | floor of 1, cold: TCP and UNIX listener dumps, $(get floor.c.listen.msgs) replies, $(calc "$(get floor.c.listen.bytes) / 1048576" 2) MiB" floor.c.listen)
$(row "3 | floor of 1, warm" floor.w.listen)
$(row "3 | floor of 2, cold: the SYN_RECV dump as one AF_UNSPEC walk (TCPDIAG_GETSOCK), $(get floor.c.walk1.syn.msgs) replies" floor.c.walk1.syn)
$(row "3 | floor of 2, warm" floor.w.walk1.syn)
$(row "3 | SYN_RECV dumps per family (AF_INET, AF_INET6), cold" floor.c.syn)
$(row "3 | not issued by sockwatchd: the TCP listener dumps as one walk, + UNIX, cold" floor.c.walk1.listen)
$(row "1c | \`sockwatchd --once\` at defaults (SYN scan, owners, every namespace), $(calc "$(get once_def.json_bytes) / 1048576" 1) MiB of JSON; peak RSS $(mib "$(get once_def.maxrss_kb)") MiB" once_def)
$(row "1c | \`sockwatchd --once\`, namespaces = own, else defaults; peak RSS $(mib "$(get once_own.maxrss_kb)") MiB" once_own)
$(row "4 | \`ss -tlnm\`" ss_listen)
$(row "4 | \`ss -tlnmp\`" ss_listen_p)
$(row "4 | \`ss -tn state syn-recv\`" ss_syn)

Ratios by round, listener poll / floor: cold $(rounds '^ratio\.c\.poll\.[0-9]+$'), warm $(rounds '^ratio\.w\.poll\.[0-9]+$');
SYN scan / one-walk floor: cold $(rounds '^ratio\.c\.syn\.[0-9]+$'), warm $(rounds '^ratio\.w\.syn\.[0-9]+$').
The in-process listener poll is $(get ratio.ss_poll) x cheaper than \`ss -tlnm\`; \`sockwatchd --once\`
with syn_scan = off $(get ratio.ss_once) x.
\`ss -tn state syn-recv\` costs $(get ratio.sssyn_syn) x the SYN scan.

### 5. The daemon at its default config${BUDGET:+ **but cpu_budget = $BUDGET%** (also for 6 and the alert trials)}, ${DAEMON_SECS} s

| | |
|---|---|
| CPU share of one core over ${DAEMON_SECS} s | $(get daemon.sched_pct)% (scheduler run time; $(get daemon.cpu_pct)% by utime + stime ticks); halves $(get daemon.half1_pct)%, $(get daemon.half2_pct)% |
| start-up: CPU to READY (first poll), and to READY + ${WARM_SECS} s (owners attributed) | $(ms "$(get daemon.startup_cpu_us)" 0) ms, $(ms "$(get daemon.warmup_cpu_us)" 0) ms |
| peak RSS (sampled every 20 ms, and VmHWM) | $(mib "$(get daemon.peak_rss_kb)") MiB; at the end $(mib "$(get daemon.rss_kb)") MiB |
| open fds (most seen) | $(get daemon.fds) ($(get daemon.max_fds)) |
| SYN scan cadence chosen (auto, cpu_budget ${BUDGET:-1}%) | every $(ms "$(get daemon.syn_interval_ms)" 1) s, $(ms "$(get daemon.syn_cost_us)") ms each |
| polls, last poll's CPU (at the status request, after the churn) | $(get daemon.polls), $(ms "$(get daemon.poll_us)") ms |
| peak RSS while answering one \`sockwatchctl status --json\` | $(mib "$(get status.peak_rss_kb)") MiB (RSS after: $(mib "$(get daemon.rss_after_status_kb)") MiB) |
| peak RSS while answering one \`status --json --all\` ($(mib "$(( $(get status_all.bytes) / 1024 ))") MiB of JSON) | $(mib "$(get status_all.peak_rss_kb)") MiB |
| peak RSS with 32 clients asking for \`--all\` and never reading, 8 s ($(get slow_readers.connects) requests) | $(mib "$(get slow_readers.peak_rss_kb)") MiB (RSS after: $(mib "$(get daemon.rss_after_slow_kb)") MiB) |

### 6. $CHURN listeners created and closed, $CHURN_BATCH at a time, while the daemon runs

| | before | half way | after | most seen |
|---|---|---|---|---|
| RSS MiB | $(mib "$(get churn.rss_before_kb)") | $(mib "$(get churn.rss_half_kb)") | $(mib "$(get churn.rss_after_kb)") | $(mib "$(get churn.peak_rss_kb)") |
| open fds | $(get churn.fds_before) | | $(get churn.fds_after) | $(get churn.max_fds) |

The churn took $(get churn.secs) s, the daemon using $(get churn.cpu_pct)% of a core
meanwhile; its fd count was back $(get churn.settle_s) s after the last batch
had been gone for 3 s.

SYN-queue alerts came at level $(get alert.level), after (ms): $(rounds '^alert\.[0-9]+\.ms$');
accept-queue alerts at level $(get aalert.level), after (ms): $(rounds '^aalert\.[0-9]+\.ms$').
EOF
}

mkdir -p "$B"
cp "$KV" "$B/results.kv"
report >"$B/results.md"
# Keep the notes of an existing OUT: everything from its marker line on.
marker='<!-- notes: kept by bench/run.sh -->'
{
	cat "$B/results.md"
	echo
	if [ -f "$OUT" ] && grep -qF "$marker" "$OUT"; then
		awk -v m="$marker" 'f || $0 == m { f = 1; print }' "$OUT"
	else
		echo "$marker"
	fi
} >"$TMP/out.md"
cp "$TMP/out.md" "$OUT" || die "cannot write $OUT"
cat "$B/results.md"
log "written: $OUT, $B/results.md, $B/results.kv"
