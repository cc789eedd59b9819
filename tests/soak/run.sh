#!/bin/bash
# The soak (make soak DURATION=...; issue 8): sockwatchd in a test namespace
# with a private journald, for the given time, under
#   - listener churn: groups of listeners on random ports come and go;
#   - queue fills: one listener at a time, on a port of its own, has its
#     accept queue filled past its backlog, then drained and closed;
#   - control-socket traffic: swabuse's idle, slow and garbage clients and
#     status queries, all the time.
# Every SAMPLE seconds it records the daemon's RSS, fds, polls, late polls,
# poll lateness and wall time, and the alerts so far (samples.tsv). It fails
# on growth (RSS in the last quarter above the first quarter's by more than
# 10% + 2 MiB; fds after the clients are gone above those before they came),
# on a fill without its accept-queue journal entry, on a late poll or a poll
# error. Figures in $BUILD/soak/summary.txt.
#
# Polls every --interval (1s; also while a listener is in alert): late means
# more than half an interval late (sockwatchd's daemon.late_polls). The load
# average of the host is recorded with each sample, to tell a daemon held
# up by its own work from one a busy host did not schedule.
#
#   tests/soak/run.sh [--duration 10min] [--listeners 1000] [--sample 10]
#                     [--interval 1s]
set -u
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"

duration=10min listeners=1000 sample=10 interval=1s
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--listeners) listeners=$2; shift 2 ;;
	--sample) sample=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	*) sw_fail "usage: run.sh [--duration D] [--listeners N] [--sample S]" ;;
	esac
done
case $duration in
*min) secs=$((${duration%min} * 60)) ;;
*h)   secs=$((${duration%h} * 3600)) ;;
*s)   secs=${duration%s} ;;
*)    secs=$duration ;;
esac
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -ge 20 ] || sw_fail "duration '$duration': at least 20s"

sw_require_root
swc_require_tools
swd_require
ABUSE=$SW_BUILD/tests/soak/swabuse
[ -x "$ABUSE" ] || sw_fail "$ABUSE not built"
OUT=$SW_BUILD/soak
mkdir -p "$OUT" || sw_fail "mkdir $OUT"
rm -f "$OUT/samples.tsv" "$OUT/summary.txt" "$OUT/fills.txt"
sw_journald_start

sw_netns_new ns
conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = $interval
fast_interval = $interval
log_target = journal
[alerts]
realert = 0
CONF

# The standing population, in the background of everything.
swc_listen "$ns" base --bind 127.0.0.1 --port 0 --count "$listeners" --backlog 64
swd_start "$ns" "$conf"
pid=$SWD_PID
ctl() { "$SWD_CTL" --socket "$SWD_SOCK" "$@"; }

# status_json: the status document; the daemon may be at its client cap
# (swabuse), so a "busy" answer is tried again (bounded).
status_json() {
	local i out
	for ((i = 0; i < 50; i++)); do
		out=$(ctl status --json 2>/dev/null) && { printf '%s\n' "$out"; return 0; }
		sleep 0.1
	done
	return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
nfds() { ls "/proc/$pid/fd" | wc -l; }

start=$(date +%s)
end=$((start + secs))
printf 't_s\trss_kb\tfds\tpolls\tlate_polls\tmax_late_us\tlast_late_us\tmax_wall_us\tpoll_errors\tentries\tfills\tload1\n' \
	>"$OUT/samples.tsv"
fills=0 missed=0 next_sample=$start
take_sample() {
	local doc n
	doc=$(status_json) || sw_fail "no status from the daemon"
	n=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd)
	printf '%s\t%s\t%s\t%s\t%s\n' "$(($(date +%s) - start))" "$(rss_kb)" "$(nfds)" \
		"$(jq -r --arg n "$n" --arg f "$fills" '.daemon | [.polls, .late_polls,
			.max_poll_lateness_us, .last_poll_lateness_us, .max_poll_wall_us,
			.poll_errors, ($n | tonumber), ($f | tonumber)] | map(tostring) | join("\t")' <<<"$doc")" \
		"$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/samples.tsv"
}

fds_before=$(nfds)
sw_log "daemon pid $pid: $listeners listeners, $fds_before fds; soak for ${secs}s"
"$ABUSE" --socket "$SWD_SOCK" --idle 8 --slow 4 --garbage 4 --queries-per-sec 4 \
	--duration "$secs" >"$SW_TMP/abuse.out" 2>&1 &
abuse_pid=$!
SW_PIDS+=("$abuse_pid")

cycle=0
churn=()
while [ "$(date +%s)" -lt "$end" ]; do
	cycle=$((cycle + 1))
	# --- churn: a new group of listeners, the one before last goes.
	swc_listen "$ns" "churn$cycle" --bind 127.0.0.2 --port 0 --count 100 --backlog 16
	churn+=("$SW_LAST_PID")
	if [ ${#churn[@]} -gt 2 ]; then
		kill -TERM "${churn[0]}" 2>/dev/null
		wait "${churn[0]}" 2>/dev/null
		churn=("${churn[@]:1}")
	fi
	# --- a fill on a port of its own: listen(8) holds 9; 20 connects.
	port=$((20000 + cycle % 20000))
	swc_listen "$ns" "fill$cycle" --bind 127.0.0.1 --port $port --backlog 8
	srv=$SW_LAST_PID
	swc_connect "$ns" "cli$cycle" --to 127.0.0.1 --port $port --count 20
	cli=$SW_LAST_PID
	fills=$((fills + 1))
	if sw_journal_wait 15 SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=accept-queue \
		SOCKWATCH_PORT=$port; then
		echo "$port ok" >>"$OUT/fills.txt"
	else
		missed=$((missed + 1))
		echo "$port MISSED" >>"$OUT/fills.txt"
		sw_log "fill on port $port: no accept-queue entry within 15 s"
	fi
	kill -TERM "$cli" 2>/dev/null; wait "$cli" 2>/dev/null
	kill -USR1 "$srv" 2>/dev/null
	sleep 0.5
	kill -TERM "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
	rm -f "$SW_TMP"/*"$cycle".ready "$SW_TMP"/*"$cycle".out "$SW_TMP"/*"$cycle".err
	# Each qfill registered itself for cleanup; forget the finished ones.
	live=()
	for p in "${SW_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
	SW_PIDS=("${live[@]}")
	kill -0 "$pid" || sw_fail "the daemon died"
	if [ "$(date +%s)" -ge "$next_sample" ]; then
		take_sample
		next_sample=$((next_sample + sample))
	fi
done

# --- the end: clients gone, then the figures.
wait "$abuse_pid"
abuse=$(cat "$SW_TMP/abuse.out")
for p in "${churn[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
# The daemon drops clients after 5 s at the latest; then only its own fds remain.
fds_back() { [ "$(nfds)" -le "$fds_before" ]; }
sw_wait_for 15 fds_back
take_sample
fds_after=$(nfds)
doc=$(status_json) || sw_fail "no status at the end"
late=$(jq .daemon.late_polls <<<"$doc")
errors=$(jq .daemon.poll_errors <<<"$doc")
entries=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd)
alerts=$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_EVENT=accept-queue)

# RSS: the largest sample of the first quarter against that of the last.
read -r rss_first rss_last rss_min rss_max <<<"$(awk -F'\t' -v q=$((secs / 4)) -v e=$((secs - secs / 4)) '
	NR > 1 { if ($1 <= q && $2 > f) f = $2; if ($1 >= e && $2 > l) l = $2
		 if (!mn || $2 < mn) mn = $2; if ($2 > mx) mx = $2 }
	END { print f + 0, l + 0, mn + 0, mx + 0 }' "$OUT/samples.tsv")"
rss_limit=$((rss_first + rss_first / 10 + 2048))

{
	echo "soak: ${secs}s, $listeners standing listeners, $cycle cycles (100 listeners churned each)"
	echo "fills: $fills, accept-queue entries: $alerts, fills without an entry: $missed"
	echo "journal entries in all: $entries"
	echo "RSS kB: min $rss_min, max $rss_max; first quarter max $rss_first, last quarter max $rss_last (limit $rss_limit)"
	echo "fds: $fds_before before the clients, $fds_after after them"
	awk -F'\t' 'NR > 1 { if ($12 > mx) mx = $12; s += $12; n++ }
		END { printf "host load average (1 min): mean %.2f, max %.2f\n", s / n, mx }' "$OUT/samples.tsv"
	jq -r '.daemon | "polls: \(.polls), poll errors: \(.poll_errors), late polls: \(.late_polls) (threshold \(.late_threshold_us) us)",
		"poll lateness us: max \(.max_poll_lateness_us); poll wall time us: max \(.max_poll_wall_us)",
		"journal: \(.journal)"' <<<"$doc"
	echo "control-socket traffic: $abuse"
} | tee "$OUT/summary.txt"

fail=()
[ "$missed" -eq 0 ] || fail+=("$missed fills without their journal entry")
[ "$late" -eq 0 ] || fail+=("$late late polls")
[ "$errors" -eq 0 ] || fail+=("$errors poll errors")
[ "$rss_last" -le "$rss_limit" ] || fail+=("RSS grew: $rss_first kB -> $rss_last kB")
[ "$fds_after" -le "$fds_before" ] || fail+=("fds grew: $fds_before -> $fds_after")
grep -q '^connects=' <<<"$abuse" || fail+=("swabuse failed: $abuse")
if [ ${#fail[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${fail[@]}" | tee -a "$OUT/summary.txt" >&2
	exit 1
fi
echo "PASS: soak of ${secs}s" | tee -a "$OUT/summary.txt"
