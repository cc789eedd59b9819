#!/bin/bash
# Issue 15: bad input on the metrics endpoint. sockwatchd serves [metrics]
# listen in a namespace of the test's own (8 connections in all, 4 per
# address, 2 s idle timeout, allow 127.0.0.0/8) while clients misbehave:
#  - a request line of garbage, of 100 KiB, with a NUL byte; a flood of
#    5000 header lines, one header of 1 MiB: each gets a 4xx or a close
#    within the idle timeout (+1 s), and a GET /metrics after them is whole;
#  - a client from 10.77.0.1 (outside allow): closed with no answer, and
#    daemon.metrics.refused counts it;
#  - POST 405 with Allow: GET, HEAD; a body 413; /nope 404; HEAD 200 with a
#    Content-Length and no body; the 0.0.4 Content-Type whatever Accept says;
#  - slowloris: 4 clients trickling a header byte every 0.5 s from one
#    address hold that address's 4 slots (a 5th from it is closed at once)
#    and nobody else's: scrapes from another address go on answering. A
#    request has the timeout to come whole however it trickles (the
#    daemon's deadline: libmicrohttpd's own timeout counts idle time only,
#    and every byte restarts it): the tricklers are closed at 2 s and
#    counted in daemon.metrics.expired, and so is one trickling 2 KiB every
#    0.5 s, before its 32 KiB would be full;
#  - 100 idle connections from 25 addresses at once: the daemon holds at
#    most 8 (the rest wait in the kernel's accept queue, or their SYNs are
#    dropped once it is full: libmicrohttpd stops accepting at its limit),
#    closes those after the timeout, and once the clients are gone a scrape
#    is answered again.
# Throughout: every poll on time (daemon.late_polls 0), polls counted at
# the configured rate, the daemon alive; 2000 listeners make each scrape
# about 1 MiB, and every one is whole within 2 s.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
HA=$SW_BUILD/tests/tools/httpabuse
[ -x "$HA" ] || sw_fail "$HA not built (make BUILD=${BUILD:-build} tests)"
command -v curl >/dev/null || sw_fail "curl not installed (make deps)"

sw_netns_new ns
ip -n "$ns" addr add 10.77.0.1/24 dev lo || sw_fail "adding 10.77.0.1 in $ns"
port=9189 timeout_s=2 max_conn=8 per_ip=4
conf=$SW_TMP/sw.conf
cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 200ms
log_target = stderr
[metrics]
listen = 127.0.0.1:$port
allow = 127.0.0.0/8
max_connections = $max_conn
max_connections_per_ip = $per_ip
timeout = ${timeout_s}s
CONF
# A body of about 1 MiB: a scrape that crawls shows.
swc_listen "$ns" many --bind 127.0.0.1 --port 0 --count 2000 --backlog 16
sock=$SW_TMP/control
ctl() { "$SWD_CTL" --socket "$sock" "$@"; }
up() { ctl status >/dev/null 2>&1; }
sw_bg "$ns" "$SWD_BIN" -c "$conf" --control-socket "$sock" 2>>"$SW_TMP/daemon.err"
pid=$SW_LAST_PID
sw_wait_for 10 up || sw_fail "daemon not answering: $(cat "$SW_TMP/daemon.err")"
sw_assert_eq "$pid" "$(ctl status --json | jq .daemon.pid)" "daemon pid"
alive() { kill -0 "$pid" 2>/dev/null || sw_fail "the daemon died: $(tail -n 20 "$SW_TMP/daemon.err")"; }
status() { ctl status --json >"$SW_TMP/status.json" || sw_fail "status --json failed"; }
st() { jq -r "$1" "$SW_TMP/status.json"; }
fds() { ls "/proc/$pid/fd" | wc -l; }

# curl in the namespace: HTTP_CODE, headers in $SW_TMP/h.hdr, body in h.body.
http() {
	HTTP_CODE=$(ip netns exec "$ns" curl -sS --noproxy '*' -m 5 -D "$SW_TMP/h.hdr" \
		-o "$SW_TMP/h.body" -w '%{http_code} %{time_total}' "$@" 2>"$SW_TMP/curl.err")
	HTTP_SECS=${HTTP_CODE#* }
	HTTP_CODE=${HTTP_CODE%% *}
}
header() {  # NAME: its value in the last answer (empty when absent)
	tr -d '\r' <"$SW_TMP/h.hdr" | awk -v n="$1" 'index(tolower($0), tolower(n) ": ") == 1 {
		print substr($0, length(n) + 3) }'
}
url=http://127.0.0.1:$port
# Once a poll has seen them all: 2000 and the endpoint's own.
expect_listeners() {
	http -m 10 "$url/metrics" && [ "$(grep -c '^sockwatch_listener_info{' "$SW_TMP/h.body")" = 2001 ]
}
ctype='text/plain; version=0.0.4; charset=utf-8'
# A whole exposition: 200, the 0.0.4 type, as long as it says, every
# family the daemon writes about itself, ending in a newline.
expect_metrics() {  # WHAT [CURL ARGS...]
	local what=$1
	shift
	http "$@" "$url/metrics"
	[ "$HTTP_CODE" = 200 ] ||
		sw_fail "$what: GET /metrics $HTTP_CODE after $HTTP_SECS s: $(cat "$SW_TMP/curl.err")"
	awk -v t="$HTTP_SECS" 'BEGIN { exit !(t < 2) }' ||
		sw_fail "$what: $(wc -c <"$SW_TMP/h.body") bytes took $HTTP_SECS s"
	[ "$(header Content-Type)" = "$ctype" ] ||
		sw_fail "$what: Content-Type '$(header Content-Type)'"
	[ "$(header Content-Length)" = "$(wc -c <"$SW_TMP/h.body")" ] ||
		sw_fail "$what: Content-Length $(header Content-Length), body $(wc -c <"$SW_TMP/h.body") bytes"
	grep -q '^sockwatch_polls_total [0-9]' "$SW_TMP/h.body" &&
		grep -q '^process_open_fds [0-9]' "$SW_TMP/h.body" &&
		[ "$(tail -c 1 "$SW_TMP/h.body" | od -An -c | tr -d ' ')" = '\n' ] ||
		sw_fail "$what: not a whole exposition: $(head -c 300 "$SW_TMP/h.body")"
}
sw_wait_for 10 expect_listeners || sw_fail "the scrape does not show 2001 listeners: $(tail -n 40 "$SW_TMP/daemon.err")"
expect_metrics "first scrape"
sw_log "a scrape: $(wc -c <"$SW_TMP/h.body") bytes in $HTTP_SECS s"
status
polls0=$(st .daemon.polls) t0=$(date +%s%N) fds0=$(fds)
sw_assert_eq 0 "$(st .daemon.late_polls)" "late polls at the start"
sw_assert_eq "127.0.0.1:$port" "$(st .daemon.metrics.listen)" "daemon.metrics.listen"
sw_log "start: polls $polls0, $fds0 fds"

# --- methods, paths, bodies, Accept
http -X POST "$url/metrics"
sw_assert_eq 405 "$HTTP_CODE" "POST /metrics"
sw_assert_eq "GET, HEAD" "$(header Allow)" "Allow of the 405"
http --data-binary 0123456789 -X GET "$url/metrics"
sw_assert_eq 413 "$HTTP_CODE" "GET /metrics with a 10-byte body"
http "$url/nope"
sw_assert_eq 404 "$HTTP_CODE" "GET /nope"
for accept in 'application/openmetrics-text; version=1.0.0' application/json '*/*'; do
	expect_metrics "Accept: $accept" -H "Accept: $accept"
done
get_len=$(header Content-Length)
# HEAD by hand (curl would wait for the body it announces): the headers,
# a blank line and nothing after it.
printf 'HEAD /metrics HTTP/1.1\r\nHost: sockwatchd\r\nAccept: application/openmetrics-text\r\n\r\n' |
	ip netns exec "$ns" "$HA" request 127.0.0.1 $port >"$SW_TMP/head.out" 2>"$SW_TMP/head.err" ||
	sw_fail "HEAD: $(cat "$SW_TMP/head.err")"
tr -d '\r' <"$SW_TMP/head.out" | sed '/^$/q' >"$SW_TMP/h.hdr"
head_len=$(header Content-Length)
sw_assert_eq "HTTP/1.1 200 OK" "$(head -n 1 "$SW_TMP/h.hdr")" "HEAD /metrics status line"
sw_assert_eq "$ctype" "$(header Content-Type)" "HEAD Content-Type"
after=$(awk 'BEGIN { RS = "\r\n\r\n" } NR > 1 { n += length($0) } END { print n + 0 }' "$SW_TMP/head.out")
sw_assert_eq 0 "$after" "bytes after the HEAD's headers"
# The process families at the end are written per answer (fds, RSS and
# CPU digits may differ between two answers); the exposition is the same.
[ -n "$head_len" ] && [ $((head_len - get_len)) -le 64 ] && [ $((get_len - head_len)) -le 64 ] ||
	sw_fail "HEAD Content-Length '$head_len', GET's $get_len"
sw_log "ok: HEAD Content-Length $head_len, a GET's just before $get_len"
alive

# --- malformed requests: a 4xx or a close, within the idle timeout + 1 s
# (the server has all the bytes at once: it needs no more time than that)
bad() {  # WHAT: stdin is the request
	local what=$1 line ms code
	ip netns exec "$ns" "$HA" request --timeout 15000 127.0.0.1 $port >"$SW_TMP/bad.out" \
		2>"$SW_TMP/bad.err" || sw_fail "$what: no answer and no close: $(cat "$SW_TMP/bad.err")"
	line=$(tail -n 1 "$SW_TMP/bad.err")
	ms=$(sed -E 's/.* after ([0-9]+) ms$/\1/' <<<"$line")
	code=$(head -n 1 "$SW_TMP/bad.out" | awk '{ print $2 }')
	case ${code:-closed} in
	4[0-9][0-9] | closed) ;;
	*) sw_fail "$what: answered '$(head -n 1 "$SW_TMP/bad.out")'" ;;
	esac
	# The server has every byte at once: an answer or a close within the
	# idle timeout + 1 s. (With the endpoint's timer at sd-event's default
	# accuracy, 250 ms, libmicrohttpd read 128 bytes a turn and the 414
	# came after 7 s.)
	[ "$ms" -le $(((timeout_s + 1) * 1000)) ] || sw_fail "$what: ${code:-closed} only after $ms ms ($line)"
	sw_log "ok: $what: ${code:-closed, no answer} after $ms ms"
	alive
	expect_metrics "scrape after $what"
}
# (Each request from a file: bad must run in this shell, not a pipeline's.)
req=$SW_TMP/req
printf 'GARBAGE\r\n\r\n' >"$req"
bad "garbage request line" <"$req"
{ printf 'GET /'; head -c $((100 * 1024)) /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$req"
bad "100 KiB request line" <"$req"
printf '\0GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >"$req"
bad "NUL byte first" <"$req"
printf 'GET /metr\0ics HTTP/1.1\r\nHost: x\r\n\r\n' >"$req"
bad "NUL byte in the path" <"$req"
{ printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 5000); do printf 'X-%d: y\r\n' "$i"; done; printf '\r\n'; } >"$req"
bad "5000 header lines" <"$req"
{ printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c $((1 << 20)) /dev/zero | tr '\0' b; printf '\r\n\r\n'; } >"$req"
bad "one 1 MiB header" <"$req"

# --- a client outside allow
status
refused0=$(st .daemon.metrics.refused)
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' |
	ip netns exec "$ns" "$HA" request --from 10.77.0.1 --timeout 5000 127.0.0.1 $port \
		>"$SW_TMP/deny.out" 2>"$SW_TMP/deny.err" || sw_fail "from 10.77.0.1: $(cat "$SW_TMP/deny.err")"
sw_log "from 10.77.0.1: $(cat "$SW_TMP/deny.err")"
sw_assert_eq 0 "$(wc -c <"$SW_TMP/deny.out")" "bytes answered to 10.77.0.1"
status
sw_assert_eq $((refused0 + 1)) "$(st .daemon.metrics.refused)" "daemon.metrics.refused after 10.77.0.1"
alive

# --- slowloris
held_from() {  # ADDR: connections from ADDR the daemon has accepted
	ip netns exec "$ns" ss -tnpH state established "( sport = :$port and dst $1 )" | grep -c "pid=$pid,"
}
for i in $(seq $per_ip); do
	ip netns exec "$ns" "$HA" slow --from 127.0.0.2 --interval 500 --chunk 1 --max-secs 10 \
		127.0.0.1 $port >"$SW_TMP/slow$i.out" 2>&1 &
	SW_PIDS+=("$!")
	slow_pids+=("$!")
done
ip netns exec "$ns" "$HA" slow --from 127.0.0.3 --interval 500 --chunk 2048 --max-secs 20 \
	127.0.0.1 $port >"$SW_TMP/slowbig.out" 2>&1 &
slowbig=$!
SW_PIDS+=("$slowbig")
slow_full() { [ "$(held_from 127.0.0.2)" = $per_ip ]; }
sw_wait_for 3 slow_full || sw_fail "the tricklers were not all accepted: $(held_from 127.0.0.2)"
# A 5th connection from their address is closed at once.
ip netns exec "$ns" "$HA" idle --from 127.0.0.2 --count 2 --hold-secs 1 127.0.0.1 $port >"$SW_TMP/fifth.out" ||
	sw_fail "httpabuse idle"
sw_log "2 more from 127.0.0.2: $(cat "$SW_TMP/fifth.out")"
grep -q ', 2 closed within 500 ms,' "$SW_TMP/fifth.out" || sw_fail "over the per-address limit, not closed at once"
# Everyone else is served while they trickle.
slow_scrapes=0 slow_t0=$SECONDS
while [ $((SECONDS - slow_t0)) -lt 6 ]; do
	expect_metrics "scrape beside the tricklers"
	slow_scrapes=$((slow_scrapes + 1))
	sleep 0.5
done
sw_log "ok: $slow_scrapes scrapes from 127.0.0.1 answered while 127.0.0.2 trickled"
# A request has the timeout to come whole, however it trickles (the
# daemon's own deadline: libmicrohttpd's timeout counts idle time only).
sw_assert_eq 0 "$(held_from 127.0.0.2)" "tricklers still held after 6 s (timeout ${timeout_s} s)"
for p in "${slow_pids[@]}"; do wait "$p" || sw_fail "httpabuse slow failed"; done
for i in $(seq $per_ip); do
	sw_log "slowloris at 1 byte / 0.5 s, timeout ${timeout_s} s: $(cat "$SW_TMP/slow$i.out")"
	grep -qE '^slow: (closed|reset) ' "$SW_TMP/slow$i.out" ||
		sw_fail "trickler $i not closed: $(cat "$SW_TMP/slow$i.out")"
	ms=$(sed -E 's/^slow: [a-z]+ after ([0-9]+) ms.*/\1/' "$SW_TMP/slow$i.out")
	[ "$ms" -ge $((timeout_s * 1000 - 300)) ] && [ "$ms" -le $(((timeout_s + 1) * 1000)) ] ||
		sw_fail "trickler $i closed after $ms ms (timeout ${timeout_s} s)"
done
status
[ "$(st .daemon.metrics.expired)" -ge $per_ip ] ||
	sw_fail "daemon.metrics.expired $(st .daemon.metrics.expired), $per_ip tricklers closed"
wait "$slowbig" || sw_fail "httpabuse slow (2 KiB) failed"
sw_log "slowloris at 2 KiB / 0.5 s: $(cat "$SW_TMP/slowbig.out")"
grep -qE '^slow: (answered .*status 4[0-9][0-9]$|closed |reset )' "$SW_TMP/slowbig.out" ||
	sw_fail "a trickler past 32 KiB is not refused: $(cat "$SW_TMP/slowbig.out")"
# At the deadline (2 s), or at the latest when its 32 KiB are full (8 s at
# 4 KiB a second), give or take a second.
big_ms=$(sed -E 's/^slow: [a-z]+ after ([0-9]+) ms.*/\1/' "$SW_TMP/slowbig.out")
[ "$big_ms" -le 9000 ] || sw_fail "the 2 KiB trickler refused only after $big_ms ms (its 32 KiB were in by 8 s)"
alive
expect_metrics "scrape after the slowloris clients"
held_all() { ip netns exec "$ns" ss -tnpH state established "( sport = :$port )" | grep -c "pid=$pid,"; }
none_held() { [ "$(held_all)" = 0 ]; }
sw_wait_for 3 none_held || sw_fail "$(held_all) connections still held after the tricklers left"

# --- 100 idle connections at once, from 25 addresses (4 each: the
# per-address limit does not cut them, the total one does), held for two
# timeouts and a second
rm -f "$SW_TMP/idle.ready"
ip netns exec "$ns" "$HA" idle --from 127.0.1.1 --spread 25 --count 100 --hold-secs $((timeout_s * 2 + 1)) \
	--ready "$SW_TMP/idle.ready" 127.0.0.1 $port >"$SW_TMP/idle.out" 2>&1 &
idle=$!
SW_PIDS+=("$idle")
sw_wait_for 5 test -e "$SW_TMP/idle.ready" || sw_fail "httpabuse idle: $(cat "$SW_TMP/idle.out")"
# ESTABLISHED on the server side counts the connections still waiting in
# the accept queue too (the kernel completed their handshake; nobody took
# them): the daemon's own are those ss names its pid for.
max_held=0 max_est=0 max_fds=0
while kill -0 "$idle" 2>/dev/null; do
	ip netns exec "$ns" ss -tnpH state established "( sport = :$port )" >"$SW_TMP/ss.out"
	est=$(wc -l <"$SW_TMP/ss.out") held=$(grep -c "pid=$pid," "$SW_TMP/ss.out") f=$(fds)
	[ "$held" -gt "$max_held" ] && max_held=$held
	[ "$est" -gt "$max_est" ] && max_est=$est
	[ "$f" -gt "$max_fds" ] && max_fds=$f
	sleep 0.2
done
wait "$idle" || sw_fail "httpabuse idle: $(cat "$SW_TMP/idle.out")"
sw_log "100 idle: $(cat "$SW_TMP/idle.out")"
sw_log "server side: at most $max_held held by the daemon, $max_est ESTABLISHED in all" \
	"(accept queue included); daemon fds at most $max_fds ($fds0 before)"
[ "$max_held" -le $max_conn ] || sw_fail "the daemon held $max_held connections (max_connections $max_conn)"
[ "$max_held" -ge $max_conn ] || sw_fail "the daemon held only $max_held of 100 idle connections"
[ "$max_fds" -le $((fds0 + max_conn)) ] || sw_fail "daemon fds $max_fds, $fds0 before"
first=$(sed -E 's/.*first close at (-?[0-9]+) ms.*/\1/' "$SW_TMP/idle.out")
closed=$(sed -E 's/.* ([0-9]+) closed in all.*/\1/' "$SW_TMP/idle.out")
[ "$closed" -ge $max_conn ] || sw_fail "only $closed idle connections closed by the server"
[ "$first" -ge $((timeout_s * 1000 - 300)) ] && [ "$first" -le $(((timeout_s + 1) * 1000 + 500)) ] ||
	sw_fail "the first idle connection closed at $first ms (timeout ${timeout_s} s)"
sw_log "ok: the held ones closed from $first ms on (timeout ${timeout_s} s)"
# The clients are gone: the daemon takes new ones again.
sw_wait_for $((timeout_s + 3)) none_held || sw_fail "$(held_all) connections still held after the clients left"
scrape_ok() { http "$url/metrics" && [ "$HTTP_CODE" = 200 ]; }
sw_wait_for 5 scrape_ok ||
	sw_fail "no scrape answered after the idle connections left: '$HTTP_CODE' $(cat "$SW_TMP/curl.err");" \
		"$(ip netns exec "$ns" ss -tlnH "( sport = :$port )")"
expect_metrics "scrape after 100 idle connections"
alive

# --- the polls kept their time throughout
status
secs_x10=$((($(date +%s%N) - t0) / 100000000))
polls=$(($(st .daemon.polls) - polls0))
sw_log "daemon: $(jq -c '.daemon | {polls, poll_errors, late_polls, max_poll_lateness_us, metrics}' "$SW_TMP/status.json")"
sw_assert_eq 0 "$(st .daemon.late_polls)" "late polls"
sw_assert_eq 0 "$(st .daemon.poll_errors)" "poll errors"
# One poll every 200 ms: at least 3/4 of them.
[ "$polls" -ge $((secs_x10 * 5 / 10 * 3 / 4)) ] || sw_fail "$polls polls in $((secs_x10 / 10)).$((secs_x10 % 10)) s"
sw_log "ok: $polls polls in $((secs_x10 / 10)).$((secs_x10 % 10)) s"
# errors counts the 4xx the daemon answers itself (405, 413 and the two
# 404s above); the 400, 414 and 431 libmicrohttpd sends on its own are not
# seen by it.
[ "$(st .daemon.metrics.errors)" -ge 4 ] || sw_fail "daemon.metrics.errors $(st .daemon.metrics.errors)"
alive
kill -TERM "$pid"
wait "$pid"
sw_assert_eq 0 $? "exit status after SIGTERM"
echo "PASS: malformed requests, a header flood, slowloris, 100 idle connections and a client outside allow refused within the limits; polls on time"
