#!/bin/bash
# Issue 8, security: who may do what on the control socket, tested as an
# unprivileged user (uid 65534, through setpriv). The socket is mode 0660:
# without [control] group it belongs to root's group and the kernel refuses
# the user (EACCES: sockwatchctl exits 3); with [control] group = G a member
# of G reads the status, but the daemon refuses reload (uid 0 only, by
# SO_PEERCRED) and every malformed, unknown or oversized request, and still
# serves root.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swd_require
command -v setpriv >/dev/null || sw_fail "setpriv not installed (util-linux)"
ABUSE=$SW_BUILD/tests/soak/swabuse
[ -x "$ABUSE" ] || sw_fail "$ABUSE not built"

USER_ID=65534
# A group that exists (the config takes names only) and that the user is
# not in; nothing is added to /etc/group.
GROUP=users
GROUP_ID=$(getent group $GROUP | cut -d: -f3)
[ -n "$GROUP_ID" ] || sw_fail "no group '$GROUP' on this system"
# The user must reach the binaries and the socket's directory.
chmod 0711 "$SW_TMP" || sw_fail "chmod $SW_TMP"
# Copies of the clients, so that a build tree below a private directory
# does not matter.
install -m 0755 "$SWD_CTL" "$SW_TMP/sockwatchctl" && install -m 0755 "$ABUSE" "$SW_TMP/swabuse" ||
	sw_fail "copying the clients"
SWD_CTL=$SW_TMP/sockwatchctl
ABUSE=$SW_TMP/swabuse
setpriv --reuid $USER_ID --regid $USER_ID --clear-groups test -x "$SWD_CTL" ||
	sw_fail "uid $USER_ID cannot run $SWD_CTL"
sw_netns_new ns
sock=$SW_TMP/control
# as_user [GROUPS] -- CMD...: CMD as uid 65534 with only those supplementary groups.
as_user() {
	local groups=$1
	shift 2
	if [ -n "$groups" ]; then
		setpriv --reuid $USER_ID --regid $USER_ID --groups "$groups" -- "$@"
	else
		setpriv --reuid $USER_ID --regid $USER_ID --clear-groups -- "$@"
	fi
}
start() {   # CONF
	sw_bg "$ns" "$SWD_BIN" -c "$1" --control-socket "$sock" --log-target stderr \
		2>>"$SW_TMP/daemon.err"
	SWD_PID=$SW_LAST_PID
	sw_wait_for 10 test -S "$sock" || sw_fail "no control socket: $(cat "$SW_TMP/daemon.err")"
	sw_wait_for 10 "$SWD_CTL" --socket "$sock" status >/dev/null || sw_fail "daemon not answering"
}
stop() {
	kill -TERM "$SWD_PID"
	wait "$SWD_PID"
	sw_assert_eq 0 $? "exit status after SIGTERM"
}

# --- no group: root only
printf '[daemon]\nnamespaces = own\ninterval = 200ms\n' >"$SW_TMP/root.conf"
start "$SW_TMP/root.conf"
sw_assert_eq "660 0:0" "$(stat -c '%a %u:%g' "$sock")" "socket mode and owner"
out=$(as_user "" -- "$SWD_CTL" --socket "$sock" status 2>&1)
sw_assert_eq 3 $? "sockwatchctl status as uid $USER_ID (not in the group)"
grep -qi "permission denied" <<<"$out" || sw_fail "no 'permission denied': $out"
sw_log "refused by the kernel: $out"
out=$(as_user "" -- "$SWD_CTL" --socket "$sock" reload 2>&1)
sw_assert_eq 3 $? "sockwatchctl reload as uid $USER_ID (not in the group)"
"$SWD_CTL" --socket "$sock" status >/dev/null
sw_assert_eq 0 $? "sockwatchctl status as root"
stop

# --- [control] group: its members read, only root reloads
printf '[daemon]\nnamespaces = own\ninterval = 200ms\n[control]\ngroup = %s\n' $GROUP >"$SW_TMP/group.conf"
start "$SW_TMP/group.conf"
sw_assert_eq "660 0:$GROUP_ID" "$(stat -c '%a %u:%g' "$sock")" "socket mode and owner with a group"
as_user $GROUP_ID -- "$SWD_CTL" --socket "$sock" status --json >"$SW_TMP/st.json"
sw_assert_eq 0 $? "sockwatchctl status as a member of the group"
[ "$(jq -r .daemon.pid "$SW_TMP/st.json")" = "$SWD_PID" ] || sw_fail "not a status: $(cat "$SW_TMP/st.json")"
as_user "" -- "$SWD_CTL" --socket "$sock" status >/dev/null 2>&1
sw_assert_eq 3 $? "sockwatchctl status as a non-member"

reloads() { grep -c 'sockwatchd reloaded' "$SW_TMP/daemon.err"; }
before=$(reloads)
out=$(as_user $GROUP_ID -- "$SWD_CTL" --socket "$sock" reload 2>&1)
sw_assert_eq 1 $? "sockwatchctl reload as a member of the group"
grep -q "permission denied: reload needs root" <<<"$out" || sw_fail "reload refusal: $out"
sw_log "refused by the daemon: $out"

# Raw requests from the member: each refused with an error, none acted on.
req() { as_user $GROUP_ID -- "$ABUSE" --socket "$sock" --request "$1"; }
check_refused() {   # REQUEST WHAT
	local reply
	reply=$(req "$1") || sw_fail "no reply to $2"
	jq -e 'has("error")' <<<"$reply" >/dev/null 2>&1 || sw_fail "$2 not refused: $reply"
	sw_log "ok: $2 refused: $reply"
}
check_refused '{"command":"reload"}' "raw reload"
check_refused '{"command":"shutdown"}' "unknown command"
check_refused '{"command":"status","exec":"/bin/sh"}' "unknown key"
check_refused 'garbage' "garbage"
check_refused "{\"command\":\"status\",\"listeners\":[\"$(head -c 5000 /dev/zero | tr '\0' 'a')\"]}" \
	"oversized request"
sw_assert_eq "$before" "$(reloads)" "reloads done for the member"
reply=$(req '{"command":"version"}')
jq -e .sockwatchd <<<"$reply" >/dev/null || sw_fail "version refused to a member: $reply"

"$SWD_CTL" --socket "$sock" reload
sw_assert_eq 0 $? "sockwatchctl reload as root"
sw_assert_eq $((before + 1)) "$(reloads)" "reloads done for root"
stop
echo "PASS: the kernel keeps non-members out; members read but cannot reload; garbage refused"
