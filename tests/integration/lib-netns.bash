# Helpers shared by the namespace tests (64-67, issue 13): namespaces held
# only by a process (`unshare -n`), a cgroup named like a Docker scope, ss
# and nstat run inside any of them, the daemon's status read back by
# namespace name. Source it after tests/lib.sh, tests/journald.sh (and its
# sw_journald_reexec), lib-collector.bash and lib-daemon.bash. Named .bash,
# not .sh, so that the runner's tests/integration/*.sh glob does not take it
# for a test.
#
# A "target" below is where a command runs: an `ip netns` name (run with
# `ip netns exec`) or a pid (run with `nsenter -t PID -n`, in that pid's
# network namespace and nothing else of it).
#
# --selftest-setup as a test's first argument (NST_SELFTEST=1) runs its
# set-up, fills and ss/nstat measurements without sockwatchd, so that they
# can be proven on a machine whose daemon lacks the feature.

NST_NSID=$SW_BUILD/tests/tools/nsid
NST_SELFTEST=0
[ "${1:-}" = --selftest-setup ] && NST_SELFTEST=1
NST_CGROUPS=()      # made by nst_docker_cgroup, innermost first

nst_log_mode() {
	if [ "$NST_SELFTEST" = 1 ]; then
		sw_log "--selftest-setup: set-up, fills and ss/nstat only, no sockwatchd"
	fi
}

# nst_require: the commands and tools every namespace test needs. A missing
# tool is a failed build, never a skip.
nst_require() {
	local c
	for c in nsenter unshare jq; do
		command -v "$c" >/dev/null || sw_fail "$c not installed (make deps)"
	done
	[ -x "$NST_NSID" ] || sw_fail "$NST_NSID not built (make BUILD=${BUILD:-build} tests)"
	swc_require_tools
	[ "$NST_SELFTEST" = 1 ] || swd_require
}

# Everything the test made goes, on every exit path: processes first (a
# namespace with a member lives on; a cgroup with one cannot be removed),
# then the cgroups, then what lib.sh's sw_cleanup removes (namespaces,
# and with them their veths; the tmp dir), keeping the exit status.
nst_cleanup() {
	local rc=$? p d
	# A second signal (timeout(1) signals the whole group) must not cut
	# the cleanup short.
	trap '' INT TERM
	for p in "${SW_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${SW_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for d in "${NST_CGROUPS[@]}"; do
		[ -d "$d" ] || continue
		[ -e "$d/cgroup.procs" ] && xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
		for _ in $(seq 50); do [ -s "$d/cgroup.procs" ] || break; sleep 0.1; done
		rmdir "$d" 2>/dev/null
	done
	(exit "$rc")
	sw_cleanup
}
trap nst_cleanup EXIT

# nst_exec TARGET CMD...: CMD in TARGET's network namespace.
nst_exec() {
	local t=$1
	shift
	case $t in
	*[!0-9]*) ip netns exec "$t" "$@" ;;
	*) nsenter -t "$t" -n -- "$@" ;;
	esac
}

# nst_bg TARGET CMD...: nst_exec in the background, registered for cleanup;
# its pid (CMD's own: neither ip netns exec nor nsenter -n forks) is in
# SW_LAST_PID.
nst_bg() {
	local t=$1
	shift
	# Not through nst_exec: a backgrounded function is a subshell, whose
	# pid is not the command's.
	case $t in
	*[!0-9]*) ip netns exec "$t" "$@" & ;;
	*) nsenter -t "$t" -n -- "$@" & ;;
	esac
	SW_LAST_PID=$!
	SW_PIDS+=("$SW_LAST_PID")
}

# nst_holder VAR: a namespace held only by a process: `unshare -n sleep`,
# registered for cleanup, lo up; its pid goes in VAR. The pid is the
# namespace's oldest member, so the daemon names it pid:<pid>.
nst_holder() {
	local pid own
	own=$(readlink /proc/self/ns/net)
	unshare -n sleep 600 &
	pid=$!
	SW_PIDS+=("$pid")
	nst_unshared() {
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = sleep ] &&
			[ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$2" ]
	}
	sw_wait_for 5 nst_unshared "$pid" "$own" || sw_fail "unshare -n sleep ($pid) never in a namespace of its own"
	nst_exec "$pid" ip link set lo up || sw_fail "lo up in pid $pid's namespace"
	printf -v "$1" '%s' "$pid"
}

# nst_cgroup2: the cgroup2 mount point (/sys/fs/cgroup on a unified host,
# /sys/fs/cgroup/unified on a hybrid one), from /proc/mounts.
nst_cgroup2() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

# nst_docker_cgroup VAR_DIR VAR_ID: makes
# <cgroup2>/sockwatch-test.slice/docker-<64 hex>.scope, named the way the
# systemd cgroup driver names a Docker container, registered for cleanup;
# its path goes in VAR_DIR, the 64-hex id in VAR_ID. Skips without a
# writable cgroup2 mount.
nst_docker_cgroup() {
	local mnt id dir
	mnt=$(nst_cgroup2)
	[ -n "$mnt" ] || sw_skip "no cgroup2 mount in /proc/mounts"
	id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	[ "${#id}" = 64 ] || sw_fail "no 64-hex id from /dev/urandom: '$id'"
	dir=$mnt/sockwatch-test.slice/docker-$id.scope
	if [ ! -d "$mnt/sockwatch-test.slice" ]; then
		mkdir "$mnt/sockwatch-test.slice" || sw_skip "cannot make a cgroup under $mnt"
		NST_CGROUPS=("$mnt/sockwatch-test.slice" "${NST_CGROUPS[@]}")
	else
		# Another run's: removed by whichever run empties it last.
		NST_CGROUPS=("$mnt/sockwatch-test.slice" "${NST_CGROUPS[@]}")
	fi
	mkdir "$dir" || sw_fail "mkdir $dir"
	NST_CGROUPS=("$dir" "${NST_CGROUPS[@]}")
	printf -v "$1" '%s' "$dir"
	printf -v "$2" '%s' "$id"
}

# nst_cgroup_move DIR PID: PID into cgroup DIR; checks /proc/PID/cgroup.
nst_cgroup_move() {
	local dir=$1 pid=$2 mnt want
	echo "$pid" >"$dir/cgroup.procs" || sw_fail "moving $pid into $dir"
	mnt=$(nst_cgroup2)
	want="0::${dir#"$mnt"}"
	grep -qxF "$want" "/proc/$pid/cgroup" ||
		sw_fail "pid $pid not in $want: $(grep '^0::' "/proc/$pid/cgroup")"
}

# nst_id TARGET: the namespace's 64-bit id (NS_GET_ID), decimal.
nst_id() {
	local path
	case $1 in
	*[!0-9]*) path=/run/netns/$1 ;;
	*) path=/proc/$1/ns/net ;;
	esac
	"$NST_NSID" "$path" | awk '{ print $1 }'
}

# nst_sysctl TARGET KEY=VALUE...: sets sysctls in TARGET's namespace and
# reads each back.
nst_sysctl() {
	local t=$1 kv
	shift
	for kv in "$@"; do
		nst_exec "$t" sysctl -qw "$kv" || sw_fail "sysctl $kv in $t"
		[ "$(nst_exec "$t" sysctl -n "${kv%%=*}")" = "${kv#*=}" ] || sw_fail "$kv did not stick in $t"
	done
}

# nst_qfill TARGET MODE NAME ARGS...: qfill MODE (listen, connect) ARGS in
# TARGET, as swc_listen/swc_connect do for an ip netns name.
nst_qfill() {
	local t=$1 mode=$2 name=$3
	shift 3
	nst_bg "$t" "$SWC_QFILL" "$mode" "$@" --ready-file "$SW_TMP/$name.ready" \
		>"$SW_TMP/$name.out" 2>"$SW_TMP/$name.err"
	swc_wait_ready "$name" "$SW_LAST_PID"
}
nst_listen() { nst_qfill "$1" listen "${@:2}"; }
nst_connect() { nst_qfill "$1" connect "${@:2}"; }

# nst_ss_q TARGET PORT: "Recv-Q Send-Q" of the one listener on PORT in
# TARGET, by `ss -ltn` run there.
nst_ss_q() {
	nst_exec "$1" ss -ltnH "sport = :$2" | awk '$1 == "LISTEN" { print $2, $3 }'
}

# nst_ss_synrecv TARGET PORT: request sockets on local PORT in TARGET.
nst_ss_synrecv() {
	nst_exec "$1" ss -tnH state syn-recv "sport = :$2" | grep -c .
}

# nst_nstat TARGET COUNTER: absolute TcpExt COUNTER in TARGET.
nst_nstat() {
	nst_exec "$1" nstat -asz "TcpExt$2" | awk -v c="TcpExt$2" '$1 == c { print $2 }'
}

# nst_wait_q TARGET PORT "RECVQ SENDQ" SECS: until ss shows that.
nst_wait_q() {
	nst_q_is() { [ "$(nst_ss_q "$1" "$2")" = "$3" ]; }
	sw_wait_for "$4" nst_q_is "$1" "$2" "$3" ||
		sw_fail "ss in $1: listener :$2 never at '$3': '$(nst_ss_q "$1" "$2")'"
}

# --- the daemon's side

# nst_status FILE [ARGS...]: status --json --all (and ARGS) into FILE.
nst_status() {
	local f=$1
	shift
	"$SWD_CTL" --socket "$SWD_SOCK" status --json --all "$@" >"$f" 2>"$f.err" ||
		sw_fail "status --json failed: $(cat "$f.err")"
}

# nst_need_keys FILE: fails, naming them, when the status document lacks
# the keys of issue 13 (the daemon is older than the feature).
nst_need_keys() {
	local miss
	miss=$(jq -r '[
		(.daemon.namespaces | if type == "object" then
			("watched", "released", "found", "discoveries", "mode", "own_only_reason") as $k
			| if has($k) then empty else "daemon.namespaces.\($k)" end
			else "daemon.namespaces" end),
		(if (.namespaces | type) == "array" then empty else "namespaces[]" end),
		(.namespaces // [] | if length == 0 or (.[0] | has("name")) then empty
			else "namespaces[].name" end),
		(.listeners // [] | if length == 0 or (.[0] | has("netns_id")) then empty
			else "listeners[].netns_id" end)
		] | join(", ")' "$1")
	[ -z "$miss" ] || sw_fail "status --json lacks $miss (issue 13 not in this daemon)"
}

# nst_ns FILE NAME EXPR: EXPR of the namespace NAME in a status document
# (nothing when there is none).
nst_ns() {
	jq -r --arg n "$2" ".namespaces[] | select(.name == \$n) | $3" "$1"
}

# nst_ns_id FILE NAME: the 64-bit id of namespace NAME in a status document:
# its "netns_id", or its "id" when that is the number (the one of the two
# keys that is a number; "id" may be the name, as it was before namespaces
# had names).
nst_ns_id() {
	nst_ns "$1" "$2" '[.netns_id, .id] | map(select(type == "number")) | first // "none"'
}

# nst_l FILE NETNS PORT EXPR: EXPR of the listener on PORT in NETNS.
nst_l() {
	jq -r --arg n "$2" --argjson p "$3" \
		".listeners[] | select(.netns == \$n and .port == \$p) | $4" "$1"
}

# nst_names FILE: the names of the namespaces in a status document, sorted,
# on one line.
nst_names() {
	jq -r '[.namespaces[].name] | sort | join(" ")' "$1"
}

# nst_fds: open fds of the daemon's processes (the monitor and its helper).
nst_fds() {
	local n=0 p
	for p in "$SWD_PID" $(pgrep -P "$SWD_PID"); do
		n=$((n + $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))
	done
	echo "$n"
}
