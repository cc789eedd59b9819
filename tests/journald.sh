# A private systemd-journald for integration tests. Source it after
# tests/lib.sh; then, at the top of the test:
#
#   sw_journald_reexec "$@"     # re-runs the test in its own mount namespace
#   sw_journald_start           # tmpfs over the journal dirs, journald up
#   ... run things that log ...
#   sw_journal_wait 5 SOCKWATCH_EVENT=accept-queue || sw_fail ...
#   sw_journal_json SYSLOG_IDENTIFIER=sockwatchd | jq ...
#
# Nothing of the host is touched: /run and /var/log/journal are covered with
# tmpfs inside a mount namespace that dies with the test, and journald runs with Storage=volatile, no rate limit and
# no forwarding. Inside that namespace, `ip netns add/exec` (lib.sh) work as
# usual: ip's own mount namespace is made from this one, so a daemon run
# with sw_bg reaches the private journal socket.
set -u

SW_JOURNALD_BIN=${SW_JOURNALD_BIN:-/lib/systemd/systemd-journald}
SW_JOURNALD_PID=
SW_JOURNALD_MOUNTED=

# sw_journald_reexec "$@": unless already done, re-executes the calling
# test script (same pid, so timeouts still apply) inside a private mount
# namespace. Skips (77) when not root or when journald is not installed.
sw_journald_reexec() {
	[ "${SW_JOURNALD_NS:-}" = "$$" ] && return 0
	[ "$(id -u)" = 0 ] || sw_skip "needs root (mount namespace, private journald)"
	command -v unshare >/dev/null || sw_skip "unshare not installed"
	command -v journalctl >/dev/null || sw_skip "journalctl not installed"
	[ -x "$SW_JOURNALD_BIN" ] || sw_skip "$SW_JOURNALD_BIN not installed"
	# lib.sh already made a tmp dir for this shell; exec would orphan it.
	rm -rf "$SW_TMP"
	trap - EXIT
	# The pid survives exec: it tells the re-run copy from a nested test.
	export SW_JOURNALD_NS=$$
	exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
}

# Mounts, once per test: the directories journald and journalctl use.
sw_journald_mounts() {
	[ -n "$SW_JOURNALD_MOUNTED" ] && return 0
	[ "${SW_JOURNALD_NS:-}" = "$$" ] || sw_fail "sw_journald_start without sw_journald_reexec"
	# Belt and braces: never mount over the host's own tree.
	[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
		sw_fail "still in the host's mount namespace"
	# A fresh /run: journald's sockets and runtime journal, ip's /run/netns
	# and whatever else a test creates there stay out of the host's /run
	# (even directories that did not exist there).
	mount -t tmpfs -o mode=0755,size=64m swrun /run || sw_fail "mount tmpfs on /run"
	mkdir -p /run/systemd/journal /run/systemd/journald.conf.d /run/log/journal &&
		install -d -m 1777 /run/lock || sw_fail "mkdir in /run"
	# The host's persistent journal must neither be written nor read.
	if [ -d /var/log/journal ]; then
		mount -t tmpfs -o ro,mode=0755,size=1m swjournal /var/log/journal ||
			sw_fail "mount tmpfs on /var/log/journal"
	fi
	# journald reads drop-ins from /run too; "zz" sorts after any the host has.
	cat >/run/systemd/journald.conf.d/zz-sockwatch-test.conf <<-'EOF' ||
	[Journal]
	Storage=volatile
	RateLimitBurst=0
	ReadKMsg=no
	ForwardToSyslog=no
	ForwardToKMsg=no
	ForwardToConsole=no
	ForwardToWall=no
	MaxLevelStore=debug
	EOF
		sw_fail "journald drop-in"
	SW_JOURNALD_MOUNTED=1
}

# sw_journald_start: (re)starts the private journald and waits (10 s at
# most) until it accepts entries and sync requests. Its pid is in
# SW_JOURNALD_PID and SW_PIDS (so cleanup stops it); its own output goes to
# $SW_TMP/journald.log.
sw_journald_start() {
	sw_journald_mounts
	[ -z "$SW_JOURNALD_PID" ] || sw_fail "journald already running ($SW_JOURNALD_PID)"
	env -u NOTIFY_SOCKET -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES -u WATCHDOG_USEC \
		-u WATCHDOG_PID SYSTEMD_LOG_TARGET=console \
		"$SW_JOURNALD_BIN" >>"$SW_TMP/journald.log" 2>&1 &
	SW_JOURNALD_PID=$!
	SW_PIDS+=("$SW_JOURNALD_PID")
	sw_wait_for 10 sw_journald_ready ||
		sw_fail "journald did not come up: $(tail -n 5 "$SW_TMP/journald.log")"
	sw_log "private journald up, pid $SW_JOURNALD_PID"
}

sw_journald_ready() {
	kill -0 "$SW_JOURNALD_PID" 2>/dev/null &&
		[ -S /run/systemd/journal/socket ] &&
		[ -S /run/systemd/journal/io.systemd.journal ] &&
		journalctl --sync 2>/dev/null
}

# sw_journald_stop [--keep-socket]: stops journald (bounded) and removes its
# native socket, as when journald is gone for good; with --keep-socket the
# stale socket file stays, as after a crash (senders get ECONNREFUSED).
sw_journald_stop() {
	if [ -n "$SW_JOURNALD_PID" ]; then
		kill -TERM "$SW_JOURNALD_PID" 2>/dev/null
		sw_wait_for 10 sw_journald_gone || kill -KILL "$SW_JOURNALD_PID" 2>/dev/null
		wait "$SW_JOURNALD_PID" 2>/dev/null
		SW_JOURNALD_PID=
	fi
	[ "${1:-}" = --keep-socket ] || rm -f /run/systemd/journal/socket
}

sw_journald_gone() { ! kill -0 "$SW_JOURNALD_PID" 2>/dev/null; }

# sw_journal_json [journalctl args/matches]: every entry of the private
# journal as JSON, one object per line, after asking journald to write out
# everything it has received (journalctl --sync returns only then).
sw_journal_json() {
	[ -z "$SW_JOURNALD_PID" ] || journalctl --sync 2>/dev/null
	journalctl -o json --no-pager --directory=/run/log/journal "$@"
}

# sw_journal_wait SECS MATCH...: polls (bounded) until at least one entry
# matches all journalctl MATCHes (FIELD=VALUE, AND-ed). Returns 1 on timeout.
sw_journal_wait() {
	local secs=$1; shift
	sw_wait_for "$secs" sw_journal_has "$@"
}

sw_journal_has() {
	[ -n "$(sw_journal_json "$@" 2>/dev/null | head -c 1)" ]
}

# sw_journal_count MATCH...: how many entries match.
sw_journal_count() {
	sw_journal_json "$@" 2>/dev/null | grep -c '^{'
}

# sw_journal_catalog_install FILE...: compiles catalog files in a private
# root and mounts the database where journalctl -x looks for it (this mount
# namespace only).
sw_journal_catalog_install() {
	sw_journald_mounts
	local root=$SW_TMP/catalog-root f
	mkdir -p "$root/usr/lib/systemd/catalog" || sw_fail "mkdir $root"
	for f in "$@"; do
		cp "$f" "$root/usr/lib/systemd/catalog/" || sw_fail "copy $f"
	done
	journalctl --root="$root" --update-catalog || sw_fail "journalctl --update-catalog"
	[ -s "$root/var/lib/systemd/catalog/database" ] || sw_fail "no catalog database built"
	mkdir -p /var/lib/systemd/catalog
	mount --bind "$root/var/lib/systemd/catalog" /var/lib/systemd/catalog ||
		sw_fail "bind-mount the catalog"
}
