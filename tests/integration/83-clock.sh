#!/bin/bash
# Issue 8: clock changes. Every interval sockwatchd keeps (polls, SYN-scan
# spacing, client deadlines, journal retries) runs on CLOCK_MONOTONIC, so
# setting the wall clock cannot stall or hurry it. The wall clock of a host
# cannot be jumped under a running test suite without disturbing everything
# else on it, so this is shown two ways instead:
#  - strace: every timer the daemon arms (timerfd) is CLOCK_MONOTONIC, none
#    is CLOCK_REALTIME, and it never sleeps on a clock of its own;
#  - a time namespace whose CLOCK_MONOTONIC and CLOCK_BOOTTIME are a year
#    ahead of the host's: the daemon polls at its interval, reports its
#    uptime and lateness right and raises alerts, so no figure mixes the
#    monotonic clock with another.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
command -v strace >/dev/null || sw_fail "strace not installed (make deps)"
command -v unshare >/dev/null || sw_fail "unshare not installed"

sw_netns_new ns
conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 200ms
syn_scan = auto
log_target = stderr
CONF
sock=$SW_TMP/control
ctl() { "$SWD_CTL" --socket "$sock" "$@"; }
up() { ctl status >/dev/null 2>&1; }
swc_listen "$ns" srv --bind 127.0.0.1 --port 8080 --backlog 4

# --- the timers it arms
trace=$SW_TMP/strace.out
# LeakSanitizer (a SANITIZE=1 build) cannot run under ptrace.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
sw_bg "$ns" strace -f -qq -o "$trace" \
	-e trace=timerfd_create,timerfd_settime,clock_nanosleep,nanosleep,alarm,setitimer,timer_create \
	"$SWD_BIN" -c "$conf" --control-socket "$sock" 2>>"$SW_TMP/daemon.err"
pid=$SW_LAST_PID
sw_wait_for 10 up || sw_fail "daemon not answering: $(cat "$SW_TMP/daemon.err")"
# A client that says nothing arms a client deadline timer too.
"$SW_BUILD/tests/soak/swabuse" --socket "$sock" --idle 2 --queries-per-sec 5 --duration 2 >/dev/null ||
	sw_fail "swabuse"
# The daemon itself stops (strace then exits with it).
kill -TERM "$(ctl status --json | jq .daemon.pid)"
wait "$pid"
sw_log "timer calls: $(grep -c . "$trace")"
grep -E 'timerfd_create|timer_create|nanosleep|alarm|setitimer' "$trace" | sed 's/^/#   /' | sort | uniq -c
creates=$(grep -c 'timerfd_create(CLOCK_MONOTONIC' "$trace")
[ "$creates" -ge 1 ] || sw_fail "no CLOCK_MONOTONIC timer: $(cat "$trace")"
others=$(grep -E 'timerfd_create|timer_create' "$trace" | grep -vc 'timerfd_create(CLOCK_MONOTONIC')
sw_assert_eq 0 "$others" "timers on another clock than CLOCK_MONOTONIC"
sw_assert_eq 0 "$(grep -cE 'nanosleep|alarm|setitimer' "$trace")" "sleeps and alarms"
settimes=$(grep -c 'timerfd_settime' "$trace")
[ "$settimes" -ge 2 ] || sw_fail "only $settimes timer settings: polls did not run?"

# --- a year ahead on the monotonic and boot clocks
rm -f "$sock"
year=31536000
sw_bg "$ns" unshare --time --fork --kill-child --monotonic $year --boottime $year \
	"$SWD_BIN" -c "$conf" --control-socket "$sock" 2>>"$SW_TMP/daemon2.err"
pid=$SW_LAST_PID
# unshare --fork waits for the daemon and passes its exit status on.
t0=$(date +%s%N)
sw_wait_for 10 up || sw_fail "daemon not answering: $(cat "$SW_TMP/daemon2.err")"
offset=$(ip netns exec "$ns" unshare --time --fork --monotonic $year --boottime $year cat /proc/uptime | cut -d. -f1)
[ "$offset" -gt $year ] || sw_fail "the time namespace is not ahead: uptime $offset"
swc_connect "$ns" cli --to 127.0.0.1 --port 8080 --count 12
sw_wait_for 10 grep -q "critical: accept-queue: .*127.0.0.1:8080" "$SW_TMP/daemon2.err" ||
	sw_fail "no alert a year ahead: $(cat "$SW_TMP/daemon2.err")"
sleep 2
doc=$(ctl status --json)
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
sw_log "a year ahead, after ${elapsed_ms} ms: $(jq -c '.daemon | {uptime_ms, polls, late_polls, max_poll_lateness_us}' <<<"$doc")"
uptime=$(jq .daemon.uptime_ms <<<"$doc")
[ "$uptime" -le $((elapsed_ms + 2000)) ] && [ "$uptime" -ge $((elapsed_ms - 2000)) ] ||
	sw_fail "uptime ${uptime} ms after ${elapsed_ms} ms"
polls=$(jq .daemon.polls <<<"$doc")
[ "$polls" -ge $((elapsed_ms / 200 / 2)) ] && [ "$polls" -le $((elapsed_ms / 200 + 5)) ] ||
	sw_fail "$polls polls in ${elapsed_ms} ms at 200 ms"
# A monotonic deadline compared with another clock would be off by a year.
[ "$(jq .daemon.max_poll_lateness_us <<<"$doc")" -lt 1000000 ] ||
	sw_fail "a poll more than 1 s late a year ahead"
kill -TERM "$(jq .daemon.pid <<<"$doc")"
wait "$pid"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: monotonic timers only; a year's offset on the monotonic clock changes nothing"
