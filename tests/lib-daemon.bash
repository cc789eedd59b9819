# Helpers for the tests that run sockwatchd itself (5x-*.sh): a daemon in a
# test namespace, its journal entries read back as JSON. Source after
# tests/lib.sh, tests/journald.sh and tests/integration/lib-collector.bash.

SWD_BIN=$SW_BUILD/sockwatchd
SWD_CTL=$SW_BUILD/sockwatchctl

swd_require() {
	[ -x "$SWD_BIN" ] || sw_fail "$SWD_BIN not built"
	[ -x "$SWD_CTL" ] || sw_fail "$SWD_CTL not built"
	command -v jq >/dev/null || sw_fail "jq not installed (make deps)"
}

# swd_start NS CONF [ARGS...]: sockwatchd in NS with CONF, its stderr in
# $SW_TMP/daemon.err and its pid in SWD_PID; waits for its "started" entry.
swd_start() {
	local ns=$1 conf=$2
	shift 2
	SWD_SOCK=$SW_TMP/control
	sw_bg "$ns" "$SWD_BIN" -c "$conf" --control-socket "$SWD_SOCK" "$@" 2>>"$SW_TMP/daemon.err"
	SWD_PID=$SW_LAST_PID
	sw_journal_wait 10 SYSLOG_IDENTIFIER=sockwatchd SOCKWATCH_LIFECYCLE=started ||
		sw_fail "sockwatchd did not start: $(cat "$SW_TMP/daemon.err")"
}

# swd_entry VAR SECS MATCH...: waits for the first entry matching every
# journalctl MATCH and puts it (JSON) in VAR.
swd_entry() {
	local var=$1 secs=$2
	shift 2
	sw_journal_wait "$secs" SYSLOG_IDENTIFIER=sockwatchd "$@" ||
		sw_fail "no journal entry with $* after ${secs}s; journal:
$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd | jq -r .MESSAGE)
stderr: $(cat "$SW_TMP/daemon.err")"
	printf -v "$var" '%s' "$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd "$@" | head -n 1)"
}

# swd_field JSON NAME: one field of an entry ("<absent>" when missing).
swd_field() {
	jq -r --arg f "$2" '(.[$f] // "<absent>") | if type == "array" then implode else . end' <<<"$1"
}

# swd_expect JSON WHAT FIELD=VALUE...: asserts fields of an entry.
swd_expect() {
	local json=$1 what=$2 kv
	shift 2
	for kv in "$@"; do
		sw_assert_eq "${kv#*=}" "$(swd_field "$json" "${kv%%=*}")" "$what ${kv%%=*}"
	done
}

# swd_notify_start: tests/tools/notifyrecv at $SW_TMP/notify, standing in
# for the service manager; its lines ("<ms> <pid> <uid> NAME=VALUE") go to
# SWD_NOTIFY_LOG. Pass NOTIFY_SOCKET=$SWD_NOTIFY to the daemon.
swd_notify_start() {
	local bin=$SW_BUILD/tests/tools/notifyrecv
	[ -x "$bin" ] || sw_fail "$bin not built"
	SWD_NOTIFY=$SW_TMP/notify
	SWD_NOTIFY_LOG=$SW_TMP/notify.log
	rm -f "$SW_TMP/notify.ready"
	"$bin" --socket "$SWD_NOTIFY" --ready-file "$SW_TMP/notify.ready" >"$SWD_NOTIFY_LOG" \
		2>"$SW_TMP/notify.err" &
	SW_PIDS+=("$!")
	sw_wait_for 5 test -e "$SW_TMP/notify.ready" || sw_fail "notifyrecv: $(cat "$SW_TMP/notify.err")"
}

# swd_notified PID NAME=VALUE [SINCE_MS]: the monotonic ms of each such
# notification from PID (after SINCE_MS), one a line.
swd_notified() {
	awk -v p="$1" -v a="$2" -v s="${3:-0}" '$2 == p && $4 == a && $1 > s { print $1 }' \
		"$SWD_NOTIFY_LOG"
}

# swd_max_gap PID NAME=VALUE: the longest time between two such
# notifications from PID, in ms (0 for fewer than two).
swd_max_gap() {
	swd_notified "$1" "$2" | awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 } END { print max + 0 }'
}
