#!/bin/bash
# Issue 5, owners: a real nginx (Debian's nginx-light) in a namespace, one
# master and 2 workers sharing `listen 127.0.0.1:8080 backlog=16`. swowner
# (diag dump + owners_refresh) must name the master, comm nginx, 3 holders,
# agree with `ss -p`, and, with nginx started in a unit-like cgroup v2
# directory with an escaped name, report that unit from the listener's
# cgroup id. With a budget far too small for the whole /proc scan, a single
# refresh (what a daemon's first poll does) still names the master and all
# 3 holders: the scan reads the listener's cgroup first. Then the master is
# killed: the workers that keep the socket are reported, the lowest pid
# first, with 2 holders.
. "$(dirname "$0")/../lib.sh"
sw_require_root

SWOWNER=$SW_BUILD/tests/tools/swowner
[ -x "$SWOWNER" ] || sw_fail "$SWOWNER not built (make BUILD=${BUILD:-build} tests)"
NGINX=$(command -v nginx) || sw_skip "nginx not installed (apt-get install nginx-light)"

port=8080
conf=$SW_TMP/nginx
mkdir -p "$conf"
cgdir=
master=

# nginx and its cgroup go before lib.sh's cleanup (which kills what sw_bg
# registered and removes the namespace): a cgroup can only be removed once
# its processes are gone.
owner_cleanup() {
	local rc=$? p i
	if [ -n "$cgdir" ] && [ -d "$cgdir" ]; then
		for p in $(cat "$cgdir/cgroup.procs" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
		for ((i = 0; i < 50; i++)); do
			[ -z "$(cat "$cgdir/cgroup.procs" 2>/dev/null)" ] && break
			sleep 0.1
		done
		for p in $(cat "$cgdir/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		for ((i = 0; i < 50; i++)); do
			rmdir "$cgdir" 2>/dev/null && break
			sleep 0.1
		done
		rmdir "$(dirname "$cgdir")" 2>/dev/null
	fi
	return "$rc"
}
trap 'owner_cleanup; sw_cleanup' EXIT

sw_nginx_conf "$conf" $port
"$NGINX" -t -p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log" >"$conf/t.out" 2>&1 ||
	sw_fail "nginx -t: $(cat "$conf/t.out")"

sw_netns_new ns

# A cgroup v2 directory named like a service whose name needed escaping,
# inside a slice: "sw\x2dnginx-PID.service" is unit "sw-nginx-PID.service".
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
unit=
if [ -n "$cg2" ] && [ -w "$cg2" ]; then
	cgdir="$cg2/swtest-$$.slice/sw\\x2dnginx-$$.service"
	mkdir -p "$cgdir" || sw_fail "mkdir $cgdir"
	unit="sw-nginx-$$.service"
	cgid=$(stat -c %i "$cgdir")
elif [ "${CI:-}" = true ]; then
	sw_fail "no writable cgroup v2 mount: the unit and cgroup-first halves cannot run (CI=true)"
else
	sw_log "SKIP (half): no writable cgroup v2 mount: the unit and cgroup-first scan are not checked"
fi

# Enter the cgroup first: `ip netns exec` remounts /sys, hiding it. sh, ip
# and nginx exec one another, so $! is the master.
sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 1; shift; exec "$@"' sh "$cgdir" \
	ip netns exec "$ns" "$NGINX" -p "$conf" -c "$conf/nginx.conf" -e "$conf/error.log" &
SW_PIDS+=("$!")
launched=$!

listening() { ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; }
sw_wait_for 10 listening || sw_fail "nginx not listening: $(cat "$conf/error.log")"
sw_wait_for 10 test -s "$conf/nginx.pid" || sw_fail "no pid file"
master=$(cat "$conf/nginx.pid")
sw_assert_eq "$launched" "$master" "master pid (pid file) is the process we started"
two_workers() { [ "$(pgrep -P "$master" | wc -l)" -eq 2 ]; }
sw_wait_for 10 two_workers || sw_fail "nginx did not start 2 workers: $(pgrep -aP "$master")"
workers=$(pgrep -P "$master" | sort -n | tr '\n' ' ')
sw_log "master $master, workers $workers"

# ss -p in the same namespace lists every holder of the socket.
ss_holders() { ip netns exec "$ns" ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | sort -u | wc -l; }
sw_assert_eq 3 "$(ss_holders)" "ss -p: holders"
ip netns exec "$ns" ss -Hltnp "sport = :$port" | grep -q "pid=$master," ||
	sw_fail "ss -p does not list the master"

# field LINE KEY: the value of KEY=... on an swowner O line.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

"$SWOWNER" --netns "/run/netns/$ns" --port $port >"$SW_TMP/own1" 2>&1 || sw_fail "swowner: $(cat "$SW_TMP/own1")"
cat "$SW_TMP/own1"
line=$(grep "^O listener=127.0.0.1:$port " "$SW_TMP/own1") || sw_fail "swowner lists no 127.0.0.1:$port"
[ "$(grep -c '^O ' "$SW_TMP/own1")" = 1 ] || sw_fail "expected exactly one listener"
sw_assert_eq "$master" "$(field "$line" pid)" "owner pid"
sw_assert_eq nginx "$(field "$line" comm)" "owner comm"
sw_assert_eq 3 "$(field "$line" holders)" "holders"
inode=$(ip netns exec "$ns" ss -Hltne "sport = :$port" 2>/dev/null | grep -o 'ino:[0-9]*' | cut -d: -f2)
sw_assert_eq "$inode" "$(field "$line" inode)" "inode (ss -e)"
if [ -n "$unit" ]; then
	sw_assert_eq "$cgid" "$(field "$line" cgroup)" "cgroup id (inode of the cgroup directory)"
	sw_assert_eq "$unit" "$(field "$line" unit)" "unit"

	# One refresh of 200 fd entries: nowhere near all of /proc, but the
	# three nginx processes are read first.
	"$SWOWNER" --netns "/run/netns/$ns" --port $port --budget 200 --rounds 1 >"$SW_TMP/own0" 2>&1 ||
		sw_fail "swowner: $(cat "$SW_TMP/own0")"
	cat "$SW_TMP/own0"
	line=$(grep "^O listener=127.0.0.1:$port " "$SW_TMP/own0") || sw_fail "swowner lists no 127.0.0.1:$port"
	x=$(grep "^X " "$SW_TMP/own0")
	sw_assert_eq 1 "$(field "$x" scanning)" "scan still in progress after one small budget"
	sw_assert_eq 3 "$(field "$x" cgroup_first)" "pids read first (the listener's cgroup)"
	sw_assert_eq "$master" "$(field "$line" pid)" "owner pid after one refresh"
	sw_assert_eq 3 "$(field "$line" holders)" "holders after one refresh"
	sw_assert_eq "$unit" "$(field "$line" unit)" "unit after one refresh"
fi

# The master dies; its workers keep the socket (nginx workers do not
# follow a SIGKILLed master). No holder is an ancestor of the other: the
# lowest pid is reported.
kill -KILL "$master"
wait "$master" 2>/dev/null
gone() { ! kill -0 "$master" 2>/dev/null; }
sw_wait_for 5 gone || sw_fail "master $master still there"
sw_assert_eq 2 "$(ss_holders)" "ss -p: holders after the master died"
"$SWOWNER" --netns "/run/netns/$ns" --port $port >"$SW_TMP/own2" 2>&1 || sw_fail "swowner: $(cat "$SW_TMP/own2")"
cat "$SW_TMP/own2"
line=$(grep "^O listener=127.0.0.1:$port " "$SW_TMP/own2") || sw_fail "listener gone after the master died"
first=${workers%% *}
sw_assert_eq "$first" "$(field "$line" pid)" "owner after the master died (lowest worker)"
sw_assert_eq nginx "$(field "$line" comm)" "owner comm after the master died"
sw_assert_eq 2 "$(field "$line" holders)" "holders after the master died"
[ -z "$unit" ] || sw_assert_eq "$unit" "$(field "$line" unit)" "unit after the master died"
sw_log "ok: nginx attributed"
exit 0
