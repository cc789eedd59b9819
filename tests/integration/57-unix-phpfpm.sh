#!/bin/bash
# Issue 14 with a real pair: nginx proxying over a UNIX socket to Debian's
# php-fpm in a test namespace. The pool has one child and listen.backlog = 4,
# the script sleeps 400 ms; parallel clients keep more requests coming than
# the child serves, so the socket's accept queue runs over its limit (ss -xl:
# Recv-Q 5 > Send-Q 4) and nginx logs "connect() to unix:... failed (11:
# Resource temporarily unavailable)" and answers 502. sockwatchd's journal
# then has a critical accept-queue entry for the socket's path naming
# php-fpm (SOCKWATCH_PID: php-fpm's master, which holds the socket with its
# child; the child's pid is accepted too); once the load stops and the queue
# drains, a cleared entry. Needs nothing beyond make deps: the clients are
# bash's /dev/tcp, not curl.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swd_require
NGINX=$(command -v nginx) || sw_fail "nginx not installed (make deps installs nginx-light)"
FPM=$(command -v php-fpm8.2 || command -v php-fpm) ||
	sw_fail "php-fpm not installed (make deps installs php-fpm)"
sw_journald_start

backlog=4
port=8080
clients=10
fpm=$SW_TMP/fpm
web=$SW_TMP/nginx
sock=$fpm/php-fpm.sock
mkdir -p "$fpm/www" "$web" || sw_fail "mkdir in $SW_TMP"

# The one child serves a request in 400 ms; the load keeps ~10 coming.
cat >"$fpm/www/sleep.php" <<'PHP'
<?php
usleep(400000);
echo "slept\n";
PHP

# Everything php-fpm writes stays below $fpm: no /run/php, no system pool,
# no php.ini (-n). Root workers need -R; they read the root-only $SW_TMP.
cat >"$fpm/php-fpm.conf" <<FPM
[global]
pid = $fpm/php-fpm.pid
error_log = $fpm/php-fpm.log
daemonize = no
[sw]
user = root
group = root
listen = $sock
listen.backlog = $backlog
pm = static
pm.max_children = 1
FPM

# nginx as in sw_nginx_conf, plus a location passed to php-fpm's socket;
# its workers run as root to reach the socket below the root-only $SW_TMP.
cat >"$web/nginx.conf" <<NGINX
user root root;
worker_processes 2;
daemon off;
master_process on;
pid $web/nginx.pid;
error_log $web/error.log info;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $web/body;
	proxy_temp_path $web/proxy;
	fastcgi_temp_path $web/fastcgi;
	uwsgi_temp_path $web/uwsgi;
	scgi_temp_path $web/scgi;
	server {
		listen 127.0.0.1:$port backlog=64;
		location = /sleep.php {
			fastcgi_pass unix:$sock;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param SCRIPT_FILENAME $fpm/www/sleep.php;
			fastcgi_param SCRIPT_NAME /sleep.php;
			fastcgi_read_timeout 20s;
		}
	}
}
NGINX

# One client per background loop: HTTP/1.0 over bash's /dev/tcp (no curl
# needed), the status code of each answer a line in $out. Each loop ends at
# the stop file, after SECS seconds or after 500 requests.
cat >"$SW_TMP/load.sh" <<'LOAD'
port=$1 n=$2 stop=$3 out=$4 secs=$5
one() {
	local end=$((SECONDS + secs)) i code
	for ((i = 0; i < 500; i++)); do
		[ ! -e "$stop" ] && [ "$SECONDS" -lt "$end" ] || break
		code=none
		if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
			printf 'GET /sleep.php HTTP/1.0\r\nHost: sw\r\n\r\n' >&3
			read -r -t 25 _ code _ <&3 || code=timeout
			exec 3>&- 3<&-
		fi
		echo "$code" >>"$out"
		# A 502 comes back at once: do not spin on it.
		[ "$code" = 200 ] || sleep 0.02
	done
}
for ((c = 0; c < n; c++)); do one & done
wait
LOAD

sw_netns_new ns
# -F foreground, -n no php.ini, -R root workers allowed, -y this config.
sw_bg "$ns" "$FPM" -F -n -R -y "$fpm/php-fpm.conf"
fpm_master=$SW_LAST_PID
fpm_listening() { ip netns exec "$ns" ss -Hxl "src $sock" | grep -q .; }
sw_wait_for 10 fpm_listening ||
	sw_fail "php-fpm not listening on $sock: $(cat "$fpm/php-fpm.log" 2>/dev/null)"
one_child() { [ "$(pgrep -P "$fpm_master" | wc -l)" -eq 1 ]; }
sw_wait_for 10 one_child || sw_fail "php-fpm did not start its one child"
fpm_child=$(pgrep -P "$fpm_master")
sw_log "php-fpm master $fpm_master ($(cat "/proc/$fpm_master/comm")), child $fpm_child"

sw_bg "$ns" "$NGINX" -p "$web" -c "$web/nginx.conf" -e "$web/error.log"
nginx_master=$SW_LAST_PID
listening() { ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; }
sw_wait_for 10 listening || sw_fail "nginx not listening: $(cat "$web/error.log")"

# The pair works before any load: one request, one 200.
# shellcheck disable=SC2016 # $1 is for the inner bash
code=$(ip netns exec "$ns" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf "GET /sleep.php HTTP/1.0\r\n\r\n" >&3; read -r -t 10 _ c _ <&3; echo "$c"' _ $port)
sw_assert_eq 200 "$code" "one request through nginx to php-fpm"

# ss -xl in the namespace: "Recv-Q Send-Q" of the socket.
ss_unix() { ip netns exec "$ns" ss -Hxl "src $sock" | awk '{ print $3, $4; exit }'; }
read -r recvq sendq <<<"$(ss_unix)"
sw_assert_eq "$backlog" "$sendq" "ss -xl Send-Q (listen.backlog)"

# --- the load, until nginx logs EAGAIN and ss shows the queue over its limit
stop=$SW_TMP/load.stop
codes=$SW_TMP/load.codes
sw_bg "$ns" bash "$SW_TMP/load.sh" $port $clients "$stop" "$codes" 40
load_pid=$SW_LAST_PID
eagain() { grep -q "connect() to unix:$sock failed (11: Resource temporarily unavailable)" "$web/error.log"; }
sw_wait_for 15 eagain || sw_fail "no EAGAIN in nginx's error log after 15 s: $(tail -n 5 "$web/error.log")"
sw_log "nginx: $(grep -m 1 'Resource temporarily unavailable' "$web/error.log")"
over() { read -r recvq sendq <<<"$(ss_unix)"; [ "$recvq" -gt "$sendq" ]; }
sw_wait_for 10 over || sw_fail "ss -xl never showed Recv-Q > Send-Q (last $recvq/$sendq)"
sw_log "ss -xl: $(ip netns exec "$ns" ss -xl "src $sock" | tr -s ' ' | tr '\n' '|')"
sw_assert_eq $((backlog + 1)) "$recvq" "ss -xl Recv-Q while full (limit + 1)"

# --- sockwatchd, started on the full queue: its first poll sees 5/4, not
# the ramp through 4/4 (100%: critical too, but not yet full). realert =
# 1s repeats the alert, so a poll that falls in the moment between the
# child's accept() and nginx's next connect() cannot hide the full queue.
# The paths filter keeps the daemon's own control socket out.
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
log_target = journal
[alerts]
realert = 1s
[filter]
paths = $fpm/*
CONF
swd_start "$ns" "$SW_TMP/sw.conf"

# --- the critical entry for the full queue, while the load goes on
full_entry() {
	e=$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e \
		SOCKWATCH_PATH="$sock" SOCKWATCH_LEVEL=critical 2>/dev/null |
		jq -c 'select((.SOCKWATCH_DEPTH | tonumber) > (.SOCKWATCH_LIMIT | tonumber))' | head -n 1)
	[ -n "$e" ]
}
sw_wait_for 15 full_entry || sw_fail "no critical entry for $sock over its limit after 15 s; journal:
$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd | jq -r .MESSAGE)
stderr: $(cat "$SW_TMP/daemon.err")"
sw_log "critical entries for $sock before the full one: $(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd \
	SOCKWATCH_PATH="$sock" SOCKWATCH_LEVEL=critical | jq -s --argjson e "$e" \
	'[.[] | select(.__REALTIME_TIMESTAMP < $e.__REALTIME_TIMESTAMP)] | length')"
swd_expect "$e" php-fpm SOCKWATCH_EVENT=accept-queue SOCKWATCH_FAMILY=unix \
	SOCKWATCH_PATH="$sock" SOCKWATCH_LISTENER="$sock" SOCKWATCH_QUEUE=accept \
	SOCKWATCH_LEVEL=critical SOCKWATCH_LIMIT="$sendq" SOCKWATCH_LIMIT="$backlog" \
	SOCKWATCH_LIMIT_SOURCE=listen-backlog SOCKWATCH_SOCKET_TYPE=stream \
	SOCKWATCH_NETNS=host SOCKWATCH_HOLDERS=2 SOCKWATCH_PORT="<absent>" \
	SOCKWATCH_ADDRESS="<absent>" SOCKWATCH_DROPS="<absent>"
msg=$(swd_field "$e" MESSAGE)
sw_log "MESSAGE: $msg"
comm=$(swd_field "$e" SOCKWATCH_COMM)
case $comm in php-fpm*) sw_log "ok: SOCKWATCH_COMM = $comm" ;; *) sw_fail "SOCKWATCH_COMM '$comm', not php-fpm" ;; esac
pid=$(swd_field "$e" SOCKWATCH_PID)
case $pid in
"$fpm_master") sw_log "ok: SOCKWATCH_PID = $pid, php-fpm's master" ;;
"$fpm_child") sw_log "ok: SOCKWATCH_PID = $pid, php-fpm's child" ;;
*) sw_fail "SOCKWATCH_PID '$pid' is neither php-fpm's master ($fpm_master) nor its child ($fpm_child)" ;;
esac
depth=$(swd_field "$e" SOCKWATCH_DEPTH)
[ "$depth" -gt "$sendq" ] 2>/dev/null || sw_fail "SOCKWATCH_DEPTH '$depth' not over the limit $sendq"
sw_log "ok: SOCKWATCH_DEPTH = $depth > $sendq"
polls=$(swd_field "$e" SOCKWATCH_FULL_POLLS)
[ "$polls" -ge 1 ] 2>/dev/null || sw_fail "SOCKWATCH_FULL_POLLS '$polls' on a full queue"
sw_log "ok: SOCKWATCH_FULL_POLLS = $polls, SOCKWATCH_FULL_MS = $(swd_field "$e" SOCKWATCH_FULL_MS)"
for want in "$sock" "php-fpm" "EAGAIN"; do
	grep -qF -- "$want" <<<"$msg" || sw_fail "MESSAGE lacks '$want': $msg"
done

# The same listener in status: family unix, no port, no SYN queue, the
# figures ss gives, php-fpm as its owner (master and child hold it).
"$SWD_CTL" --socket "$SWD_SOCK" status --json >"$SW_TMP/status.json" || sw_fail "sockwatchctl status --json"
l=$(jq -c --arg p "$sock" '.listeners[] | select(.path == $p)' "$SW_TMP/status.json")
[ -n "$l" ] || sw_fail "status --json lacks $sock: $(cat "$SW_TMP/status.json")"
sw_assert_eq "unix $sock null null stream false $backlog listen-backlog $((backlog + 1)) $comm 2" \
	"$(jq -r '[.family, .listener, .port, .syn, .type, .abstract, .accept.limit,
		.accept.limit_source, .accept.peak, .process.comm, .process.holders] | map(tostring) | join(" ")' <<<"$l")" \
	"status: family listener port syn type abstract limit limit_source peak comm holders"

# --- load stopped: the child serves what is queued, then a cleared entry
touch "$stop"
load_gone() { ! kill -0 "$load_pid" 2>/dev/null; }
sw_wait_for 20 load_gone || sw_fail "the load did not stop within 20 s"
drained() { read -r recvq _ <<<"$(ss_unix)"; [ "$recvq" = 0 ]; }
sw_wait_for 10 drained || sw_fail "the queue did not drain (Recv-Q $recvq)"
swd_entry c 15 MESSAGE_ID=8f671c50c535449aae17a9d8d19c161f SOCKWATCH_PATH="$sock"
swd_expect "$c" cleared SOCKWATCH_EVENT=cleared SOCKWATCH_LEVEL=cleared \
	SOCKWATCH_FAMILY=unix SOCKWATCH_LISTENER="$sock" SOCKWATCH_PORT="<absent>"
sw_log "cleared: $(swd_field "$c" MESSAGE)"
sw_log "answers: $(sort "$codes" | uniq -c | tr -s ' \n' ' ')"
grep -qx 502 "$codes" || sw_fail "no client saw a 502"
grep -qx 200 "$codes" || sw_fail "no client saw a 200"
kill -0 "$nginx_master" 2>/dev/null || sw_fail "nginx died"
echo "PASS: php-fpm's full UNIX socket behind nginx alerts critical and clears"
