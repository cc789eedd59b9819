# Shared by the integration tests: source it, then use the sw_* helpers.
# Every namespace, nft table and process a test makes is registered here and
# removed on every exit path (EXIT trap).
set -u

SW_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SW_BUILD=${BUILD:-build}
case $SW_BUILD in /*) ;; *) SW_BUILD=$SW_TOP/$SW_BUILD ;; esac
SW_TMP=$(mktemp -d /tmp/swtest.XXXXXX)
SW_NETNS=()
SW_PIDS=()

sw_log()  { echo "# $*"; }
sw_fail() { echo "FAIL: $*" >&2; exit 1; }
sw_skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL: would skip under CI=true: $*" >&2
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

sw_cleanup() {
	local rc=$?
	local p ns
	for p in "${SW_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${SW_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${SW_NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$SW_TMP"
	exit "$rc"
}
trap sw_cleanup EXIT
trap 'exit 130' INT TERM

sw_require_root() {
	[ "$(id -u)" = 0 ] || sw_skip "needs root (network namespaces, nftables)"
	local c
	for c in ip ss nstat nft; do
		command -v "$c" >/dev/null || sw_skip "$c not installed"
	done
}

# sw_netns_new VAR: creates a namespace with lo up; its name goes in VAR.
sw_netns_new() {
	local name="swt-$$-${#SW_NETNS[@]}"
	ip netns add "$name" || sw_fail "ip netns add $name"
	SW_NETNS+=("$name")
	ip -n "$name" link set lo up || sw_fail "lo up in $name"
	printf -v "$1" '%s' "$name"
}

# sw_bg NS CMD...: runs CMD in namespace NS in the background, registered for
# cleanup; its pid is in SW_LAST_PID.
sw_bg() {
	local ns=$1; shift
	ip netns exec "$ns" "$@" &
	SW_LAST_PID=$!
	SW_PIDS+=("$SW_LAST_PID")
}

# sw_wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
sw_wait_for() {
	local secs=$1; shift
	local i
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# sw_poll_for SECONDS CMD...: as sw_wait_for, and also bounded by the clock,
# for a CMD that takes time of its own (a curl, a jq, a sockwatchctl).
sw_poll_for() {
	local secs=$1 end=$((SECONDS + $1 + 1)) i
	shift
	for ((i = 0; i < secs * 10 && SECONDS < end; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# sw_drop_synacks NS: nftables in NS drops outgoing SYN-ACKs, so every
# connect() leaves one request socket in the server's SYN queue.
sw_drop_synacks() {
	ip netns exec "$1" nft -f - <<'NFT' || sw_fail "nft in $1"
table inet swtest {
	chain out {
		type filter hook output priority 0;
		tcp flags & (syn | ack) == syn | ack drop
	}
}
NFT
}

sw_assert_eq() {  # EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || sw_fail "$3: expected '$1', got '$2'"
	sw_log "ok: $3 = $2"
}

# sw_syn_holds LIMIT: how many request sockets a SYN queue of LIMIT holds on
# the running kernel: LIMIT + 1 since Linux 6.13 (full when depth > limit),
# LIMIT before (full at depth >= limit; KERNEL-NOTES.md "Off-by-one").
sw_syn_holds() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 13 ]; }; then
		echo $(($1 + 1))
	else
		echo "$1"
	fi
}

# sw_nginx_conf DIR PORT: writes DIR/nginx.conf for a foreground nginx
# (master + 2 workers) on 127.0.0.1:PORT with listen(16), everything it
# writes kept below DIR.
sw_nginx_conf() {
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
	server {
		listen 127.0.0.1:$2 backlog=16;
		location / { return 200 "ok\n"; }
	}
}
NGINX
}
