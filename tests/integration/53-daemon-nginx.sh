#!/bin/bash
# Issues 3 and 5 with a real server: nginx from Debian listening on loopback
# with `backlog=16` in a test namespace, its workers paused (SIGSTOP) so no
# connection is accepted. The accept queue fills and sockwatchd's journal
# entry names nginx: SOCKWATCH_COMM=nginx, SOCKWATCH_PID the master (it and
# its workers hold the socket), the listen() backlog binding.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
NGINX=$(command -v nginx) || sw_fail "nginx not installed (make deps installs nginx-light)"
sw_journald_start

port=8080
conf=$SW_TMP/nginx
sw_nginx_conf "$conf" $port

sw_netns_new ns
sw_bg "$ns" "$NGINX" -p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log"
master=$SW_LAST_PID
listening() { ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; }
sw_wait_for 10 listening || sw_fail "nginx not listening: $(cat "$conf/error.log")"
two_workers() { [ "$(pgrep -P "$master" | wc -l)" -eq 2 ]; }
sw_wait_for 10 two_workers || sw_fail "nginx did not start 2 workers"
workers=$(pgrep -P "$master" | tr '\n' ' ')
# Stopped workers accept nothing: the kernel still completes handshakes into
# the accept queue. They are continued before cleanup stops nginx.
# shellcheck disable=SC2086
kill -STOP $workers
# The exit status is kept for sw_cleanup: kill would reset $? to its own.
trap 'rc=$?; kill -CONT $workers 2>/dev/null; (exit $rc); sw_cleanup' EXIT

cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
log_target = journal
CONF
swd_start "$ns" "$SW_TMP/sw.conf"

swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 30
swd_entry e 10 MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e SOCKWATCH_PORT=$port
read -r recvq sendq _ <<<"$(swc_ss_listen "$ns" $port)"
swd_expect "$e" nginx SOCKWATCH_COMM=nginx SOCKWATCH_PID="$master" \
	SOCKWATCH_DEPTH="$recvq" SOCKWATCH_LIMIT="$sendq" SOCKWATCH_LIMIT=16 \
	SOCKWATCH_LIMIT_SOURCE=listen-backlog SOCKWATCH_LEVEL=critical
msg=$(swd_field "$e" MESSAGE)
sw_log "MESSAGE: $msg"
grep -qF "nginx (pid $master" <<<"$msg" || sw_fail "MESSAGE does not name nginx and its master"
"$SWD_CTL" --socket "$SWD_SOCK" status >"$SW_TMP/status.txt" || sw_fail "sockwatchctl status"
cat "$SW_TMP/status.txt"
grep -q "nginx" "$SW_TMP/status.txt" || sw_fail "status does not name nginx"
sw_assert_eq 3 "$("$SWD_CTL" --socket "$SWD_SOCK" status --json |
	jq ".listeners[] | select(.port == $port) | .process.holders")" "holders (master + 2 workers)"
echo "PASS: nginx's overflowing accept queue alerts with SOCKWATCH_COMM=nginx"
