#!/bin/bash
# Issue 15: where the metrics endpoint's socket comes from. Under systemd
# it is the one sockwatchd-metrics.socket passes, named "metrics"; here
# systemd-socket-activate passes it the same way (LISTEN_FDS,
# LISTEN_FDNAMES), and the daemon starts on the first connection, which
# waits in the socket's queue until it is served. Then: a passed socket
# named otherwise is closed with a warning and [metrics] listen serves;
# a listen address already taken stops the start with the address and
# the reason (exit 1); a config error in [metrics] is FILE:LINE (exit 78).
. "$(dirname "$0")/../lib.sh"
sw_require_root
for c in curl jq systemd-socket-activate; do
	command -v "$c" >/dev/null || sw_skip "$c not installed (make deps)"
done
SWD=$SW_BUILD/sockwatchd CTL=$SW_BUILD/sockwatchctl
[ -x "$SWD" ] && [ -x "$CTL" ] || sw_fail "$SWD or $CTL not built"

sw_netns_new ns
CT='text/plain; version=0.0.4; charset=utf-8'
conf=$SW_TMP/sockwatchd.conf
cat >"$conf" <<EOF
[daemon]
interval = 500ms
[metrics]
listen = 127.0.0.1:9101
EOF

# scrape PORT: the body of GET /metrics in $SW_TMP/body, its headers in
# $SW_TMP/headers; fails on anything but a 200 with the exact type.
scrape() {
	ip netns exec "$ns" curl -sS --max-time 10 -D "$SW_TMP/headers" -o "$SW_TMP/body" \
		"http://127.0.0.1:$1/metrics" || sw_fail "GET /metrics on port $1 failed"
	head -n 1 "$SW_TMP/headers" | grep -q '^HTTP/1.1 200' ||
		sw_fail "GET /metrics on port $1: $(head -n 1 "$SW_TMP/headers")"
	sw_assert_eq "$CT" "$(sed -n 's/^Content-Type: //Ip' "$SW_TMP/headers" | tr -d '\r')" \
		"Content-Type on port $1"
}

status() {
	ip netns exec "$ns" "$CTL" --socket "$SW_TMP/$1" status --json
}

listening() {  # PORT: whether something in ns listens on it
	[ -n "$(ip netns exec "$ns" ss -Htln "sport = :$1")" ]
}

sw_log "socket activation: the passed socket named metrics, the daemon started by the first connection"
sw_bg "$ns" systemd-socket-activate -l 127.0.0.1:9100 --fdname=metrics \
	"$SWD" -c "$conf" --control-socket "$SW_TMP/ctl1" --log-target stderr 2>"$SW_TMP/err1"
sw_wait_for 5 listening 9100 || sw_fail "systemd-socket-activate not listening"
! listening 9101 || sw_fail "something listens on 9101 before the daemon started"
scrape 9100
grep -q '^sockwatch_polls_total [1-9]' "$SW_TMP/body" ||
	sw_fail "the first answer is not of a completed poll: $(grep polls_total "$SW_TMP/body")"
grep -q '^process_open_fds ' "$SW_TMP/body" || sw_fail "no process metrics over HTTP"
sw_wait_for 10 test -S "$SW_TMP/ctl1" || sw_fail "no control socket: $(cat "$SW_TMP/err1")"
doc=$(status ctl1) || sw_fail "status failed"
sw_assert_eq "socket activation" "$(jq -r .daemon.metrics.listen <<<"$doc")" "metrics.listen"
sw_assert_eq 1 "$(jq -r .daemon.metrics.scrapes <<<"$doc")" "scrapes counted"
! listening 9101 || sw_fail "[metrics] listen opened as well as the passed socket"
grep -q 'Serving metrics on the socket the service manager passed; \[metrics\] listen = 127.0.0.1:9101 is not used' \
	"$SW_TMP/err1" || sw_fail "no word that listen is not used: $(cat "$SW_TMP/err1")"
# The passed socket is the daemon's: the service's own address families
# are never needed for it.
pid=$(ip netns exec "$ns" ss -Htlnp "sport = :9100" | grep -o 'pid=[0-9]*' | head -n 1)
pid=${pid#pid=}
[ -n "$pid" ] && grep -q '^sockwatchd$' "/proc/$pid/comm" ||
	sw_fail "port 9100 is not held by sockwatchd (pid '$pid')"
sw_log "ok: served on the passed socket, counted, listen not opened"
kill -TERM "$SW_LAST_PID"
wait "$SW_LAST_PID" 2>/dev/null

sw_log "a passed socket of another name: closed with a warning; listen serves"
sw_bg "$ns" systemd-socket-activate -l 127.0.0.1:9102 --fdname=other \
	"$SWD" -c "$conf" --control-socket "$SW_TMP/ctl2" --log-target stderr 2>"$SW_TMP/err2"
sw_wait_for 5 listening 9102 || sw_fail "systemd-socket-activate not listening"
# Its first connection starts the daemon; that connection itself is never
# answered (the socket it waits on is closed).
ip netns exec "$ns" curl -s --max-time 5 -o /dev/null http://127.0.0.1:9102/metrics && \
	sw_fail "the socket named 'other' was served"
sw_wait_for 10 listening 9101 || sw_fail "[metrics] listen not opened: $(cat "$SW_TMP/err2")"
scrape 9101
grep -q "Closing file descriptor 3 passed as 'other'" "$SW_TMP/err2" ||
	sw_fail "no warning about the other socket: $(cat "$SW_TMP/err2")"
doc=$(status ctl2) || sw_fail "status failed"
sw_assert_eq "127.0.0.1:9101" "$(jq -r .daemon.metrics.listen <<<"$doc")" "metrics.listen"

sw_log "listen on a port already taken: the start fails, naming it"
rc=0
ip netns exec "$ns" "$SWD" -c "$conf" --control-socket "$SW_TMP/ctl3" --log-target stderr \
	2>"$SW_TMP/err3" || rc=$?
sw_assert_eq 1 "$rc" "exit status with the port taken"
grep -q 'Failed to open the metrics endpoint 127.0.0.1:9101: Address already in use' "$SW_TMP/err3" ||
	sw_fail "no clear error: $(cat "$SW_TMP/err3")"
kill -TERM "$SW_LAST_PID"
wait "$SW_LAST_PID" 2>/dev/null

sw_log "a bad [metrics] value: FILE:LINE, exit 78"
printf '[metrics]\nlisten = 127.0.0.1\nallow = 10.0.0.1/8\n' >"$SW_TMP/bad.conf"
rc=0
out=$("$SWD" --check-config -c "$SW_TMP/bad.conf" 2>&1) || rc=$?
sw_assert_eq 1 "$rc" "--check-config exit status"
grep -q "bad.conf:2: listen: invalid address '127.0.0.1'" <<<"$out" || sw_fail "no listen error: $out"
grep -q "bad.conf:3: allow: '10.0.0.1/8' has host bits set" <<<"$out" || sw_fail "no allow error: $out"
rc=0
"$SWD" --once -c "$SW_TMP/bad.conf" >/dev/null 2>&1 || rc=$?
sw_assert_eq 78 "$rc" "--once exit status on a bad config"
echo "PASS: socket activation, the fallback to listen, a taken port, config errors"
