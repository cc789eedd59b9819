#!/bin/bash
# Issue 13, without privilege. Beside the daemon's own namespace (a
# listener on :8080) there are two more: an `ip netns add` one (:8081) and
# one held by an `unshare -n` process (:8082), neither of which uid nobody
# may enter. With namespaces = all:
#  - as root, the daemon watches all three (the contrast: the set-up gives
#    an unprivileged daemon something to miss), daemon.namespaces.mode
#    "all" and no own_only_reason;
#  - as nobody (no helper), it watches "host" only: namespaces[] is just
#    host, daemon.namespaces.watched 1, every listener in host, and
#    daemon.namespaces.mode and .own_only_reason say why; the table has no
#    NETNS column.
# --selftest-setup: the set-up and that nobody cannot enter them, by hand
# (lib-netns.bash).
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
. "$SW_TOP/tests/integration/lib-netns.bash"
sw_require_root
nst_require
command -v setpriv >/dev/null || sw_fail "setpriv not installed (util-linux)"
sw_journald_start
nst_log_mode

NOBODY=$(id -u nobody) NOGROUP=$(id -g nobody)
nobody() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups --inh-caps=-all -- "$@"; }
sw_netns_new dns                       # the daemon's: "host" to it
swc_listen "$dns" hsrv --bind 127.0.0.1 --port 8080 --backlog 16
sw_netns_new o
swc_listen "$o" osrv --bind 127.0.0.1 --port 8081 --backlog 16
nst_holder h
nst_listen "$h" psrv --bind 127.0.0.1 --port 8082 --backlog 16
sw_assert_eq "0 16" "$(nst_ss_q "$dns" 8080)" "ss in host: :8080"
sw_assert_eq "0 16" "$(nst_ss_q "$o" 8081)" "ss in $o: :8081"
sw_assert_eq "0 16" "$(nst_ss_q "$h" 8082)" "ss in pid:$h: :8082"
# The premise: nobody may enter neither namespace (setns needs
# CAP_SYS_ADMIN; /proc/PID/ns/net of root's process cannot even be opened).
for p in "/proc/$h/ns/net" "/run/netns/$o"; do
	nsenter --net="$p" true || sw_fail "root cannot enter $p"
	if nobody nsenter --net="$p" true 2>"$SW_TMP/nobody.err"; then
		sw_fail "nobody can enter $p"
	fi
	sw_log "ok: as nobody: $(cat "$SW_TMP/nobody.err")"
done
if [ "$NST_SELFTEST" = 1 ]; then
	echo "PASS: --selftest-setup: listeners in own, ip netns and unshare -n namespaces (ss); nobody can enter neither namespace"
	exit 0
fi

chmod 0711 "$SW_TMP"
pub=$SW_TMP/pub          # where nobody may write
mkdir -m 1777 "$pub"
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
interval = 500ms
namespaces = all
namespace_scan = 1s
log_target = journal
[filter]
namespaces = host, swt-$$-*, pid:$h
CONF
chmod 0644 "$SW_TMP/sw.conf"
st=$SW_TMP/status.json

# --- as root: all three
swd_start "$dns" "$SW_TMP/sw.conf"
nst_status "$st"
nst_need_keys "$st"
want=$(printf '%s\n' host "$o" "pid:$h" | LC_ALL=C sort | paste -sd ' ')  # as jq sorts
three() { nst_status "$st"; [ "$(nst_names "$st")" = "$want" ]; }
sw_wait_for 10 three || sw_fail "as root: namespaces $(nst_names "$st"), expected $want"
sw_log "ok: as root: $(jq -c '.daemon.namespaces' "$st")"
sw_assert_eq all "$(jq -r .daemon.namespaces.mode "$st")" "as root: daemon.namespaces.mode"
sw_assert_eq null "$(jq -r .daemon.namespaces.own_only_reason "$st")" "as root: own_only_reason"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status of the root daemon"

# --- as nobody: host only, and why
sw_bg "$dns" setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups --inh-caps=-all -- \
	"$SWD_BIN" -c "$SW_TMP/sw.conf" --control-socket "$pub/control" 2>>"$SW_TMP/daemon.err"
SWD_PID=$SW_LAST_PID SWD_SOCK=$pub/control
sw_wait_for 10 test -S "$SWD_SOCK" ||
	sw_fail "the unprivileged daemon did not start: $(tail -n 5 "$SW_TMP/daemon.err")"
sw_assert_eq "$NOBODY" "$(awk '/^Uid:/ { print $2 }' "/proc/$SWD_PID/status")" "the daemon's uid"
# Three discovery passes' time: whatever it could find, it would have.
nst_status "$st"
polls=$(jq .daemon.polls "$st")
later() { nst_status "$st"; [ "$(jq .daemon.polls "$st")" -ge $((polls + 6)) ]; }
sw_wait_for 10 later || sw_fail "the unprivileged daemon stopped polling"
sw_log "as nobody: $(jq -c '.daemon.namespaces' "$st")"
nst_need_keys "$st"
mode=$(jq -r '.daemon.namespaces.mode // "null"' "$st")
reason=$(jq -r '.daemon.namespaces.own_only_reason // "null"' "$st")
[ "$mode" != null ] || sw_fail "daemon.namespaces.mode is null"
if [ "$reason" = null ] || [ -z "$reason" ]; then
	sw_fail "daemon.namespaces.own_only_reason is null or empty"
fi
grep -qiE 'privilege|helper|capabilit|CAP_' <<<"$reason" || sw_fail "own_only_reason does not say why: '$reason'"
sw_log "ok: mode $mode, own_only_reason: $reason"
sw_assert_eq host "$(nst_names "$st")" "namespaces without privilege"
sw_assert_eq 1 "$(jq .daemon.namespaces.watched "$st")" "daemon.namespaces.watched"
sw_assert_eq host "$(jq -r '[.listeners[].netns] | unique | join(",")' "$st")" "the listeners' namespaces"
sw_assert_eq 8080 "$(jq -r '[.listeners[].port] | unique | join(",")' "$st")" "the listeners' ports"
"$SWD_CTL" --socket "$SWD_SOCK" status --all >"$SW_TMP/status.txt" || sw_fail "status failed"
sed 's/^/#   /' "$SW_TMP/status.txt"
! grep -m1 '^LISTENER' "$SW_TMP/status.txt" | grep -qw NETNS || sw_fail "a NETNS column with one namespace"
kill -TERM "$SWD_PID"
wait "$SWD_PID"
sw_assert_eq 0 $? "exit status of the unprivileged daemon"
echo "PASS: as root three namespaces; as nobody host only, and the status says why: $reason"
