#!/bin/bash
# Issue 12, privilege separation, with the daemon started as root:
#  - the monitor (the main pid) holds no capability in any set and has
#    no_new_privs; its one child, sockwatchd-priv, holds CAP_SYS_ADMIN,
#    CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH in its effective and permitted
#    sets only;
#  - a listener held by another user (nobody), which the monitor itself
#    may not look into, is still named in its alert: through the helper;
#  - the helper killed: the monitor logs one "helper failed" entry naming
#    it and exits 1;
#  - the monitor killed: no helper is left behind;
#  - started without capabilities (as nobody): no helper, the listeners are
#    still watched, and the status document says why there is none.
# 61-systemd-e2e checks the same capability lines under the unit's user.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
command -v setpriv >/dev/null || sw_skip "setpriv not installed"
sw_journald_start

sw_netns_new ns
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 200ms
fast_interval = 100ms
log_target = journal
[alerts]
realert = 0
CONF
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
pub=$SW_TMP/pub          # where nobody may write
chmod 0711 "$SW_TMP"
mkdir -m 1777 "$pub"
port=8080
sw_bg "$ns" setpriv --reuid=$NOBODY --regid=$NOGROUP --clear-groups -- \
	"$SWC_QFILL" listen --bind 127.0.0.1 --port $port --backlog 4 --ready-file "$pub/srv.ready"
srv_pid=$SW_LAST_PID
sw_wait_for 10 test -e "$pub/srv.ready" || sw_fail "nobody's listener did not start"
sw_assert_eq "$NOBODY" "$(awk '/^Uid:/ { print $2 }' /proc/$srv_pid/status)" "the listener's uid"

swd_start "$ns" "$SW_TMP/sw.conf"
mon=$SWD_PID
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
for set in CapEff CapPrm CapInh CapAmb; do
	sw_assert_eq 0000000000000000 "$(status $mon $set)" "monitor $set"
done
sw_assert_eq 1 "$(status $mon NoNewPrivs)" "monitor NoNewPrivs"
helper=$(pgrep -P "$mon")
[ -n "$helper" ] && [ "$(wc -w <<<"$helper")" = 1 ] || sw_fail "no single child of the monitor: '$helper'"
sw_assert_eq sockwatchd-priv "$(cat /proc/$helper/comm)" "the helper's name"
# CAP_DAC_READ_SEARCH is bit 2, CAP_SYS_PTRACE bit 19, CAP_SYS_ADMIN bit 21.
sw_assert_eq 0000000000280004 "$(status $helper CapEff)" "helper CapEff"
sw_assert_eq 0000000000280004 "$(status $helper CapPrm)" "helper CapPrm"
sw_assert_eq 0000000000000000 "$(status $helper CapInh)" "helper CapInh"
sw_assert_eq 0000000000000000 "$(status $helper CapAmb)" "helper CapAmb"
sw_assert_eq 1 "$(status $helper NoNewPrivs)" "helper NoNewPrivs"
sw_log "monitor: $(grep -E '^(Cap(Eff|Prm|Inh|Amb)|NoNewPrivs)' /proc/$mon/status | tr '\t\n' '  ')"
sw_log "helper:  $(grep -E '^(Cap(Eff|Prm|Inh|Amb)|NoNewPrivs)' /proc/$helper/status | tr '\t\n' '  ')"
"$SWD_CTL" --socket "$SWD_SOCK" status --json >"$SW_TMP/st.json" || sw_fail "status"
sw_assert_eq "$helper" "$(jq .daemon.helper_pid "$SW_TMP/st.json")" "status daemon.helper_pid"

# Nobody's fds are not the monitor's to read (no CAP_SYS_PTRACE, another
# uid), so a name in the alert came through the helper.
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 12
swd_entry e 10 SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=$port
swd_expect "$e" "alert" SOCKWATCH_PID=$srv_pid SOCKWATCH_COMM=qfill SOCKWATCH_LEVEL=critical
kill -TERM "$SW_LAST_PID"

sw_log "the helper killed: the monitor says so and exits 1"
kill -KILL "$helper"
gone() { ! kill -0 "$1" 2>/dev/null; }
sw_wait_for 10 gone "$mon" || sw_fail "the monitor lives on without its helper"
wait "$mon"
sw_assert_eq 1 $? "the monitor's exit status"
swd_entry e 5 _PID=$mon SOCKWATCH_LIFECYCLE="helper failed"
msg=$(swd_field "$e" MESSAGE)
sw_log "entry: $msg"
grep -q "privileged helper (pid $helper) was killed by signal 9" <<<"$msg" || sw_fail "entry: $msg"
sw_assert_eq 1 "$(sw_journal_count SYSLOG_IDENTIFIER=sockwatchd _PID=$mon \
	SOCKWATCH_LIFECYCLE="helper failed")" "helper-failed entries"

sw_log "the monitor killed: no helper left behind"
rm -f "$SWD_SOCK"
sw_bg "$ns" "$SWD_BIN" -c "$SW_TMP/sw.conf" --control-socket "$SWD_SOCK" 2>>"$SW_TMP/daemon.err"
mon=$SW_LAST_PID
sw_wait_for 10 test -S "$SWD_SOCK" || sw_fail "no second daemon"
helper=$(pgrep -P "$mon")
[ -n "$helper" ] || sw_fail "no helper in the second daemon"
kill -KILL "$mon"
wait "$mon" 2>/dev/null
# Dead, at most a zombie waiting for its reaper: it holds nothing.
dead() { [ ! -e /proc/$1 ] || [ "$(status $1 State)" = Z ]; }
sw_wait_for 5 dead "$helper" || sw_fail "the helper $helper outlived its monitor: $(grep State /proc/$helper/status)"
sw_log "ok: helper $helper gone with its monitor"

sw_log "started without capabilities: no helper, listeners still watched"
rm -f "$SWD_SOCK"
chmod 0644 "$SW_TMP/sw.conf"
sw_bg "$ns" setpriv --reuid=$NOBODY --regid=$NOGROUP --clear-groups --inh-caps=-all -- \
	"$SWD_BIN" -c "$SW_TMP/sw.conf" --control-socket "$pub/control" 2>>"$SW_TMP/daemon.err"
mon=$SW_LAST_PID
sw_wait_for 10 test -S "$pub/control" || sw_fail "the unprivileged daemon did not start: $(tail -n 5 "$SW_TMP/daemon.err")"
sw_assert_eq "" "$(pgrep -P "$mon")" "children of an unprivileged daemon"
"$SWD_CTL" --socket "$pub/control" status --json >"$SW_TMP/st2.json" || sw_fail "status"
sw_assert_eq null "$(jq .daemon.helper_pid "$SW_TMP/st2.json")" "helper_pid without privilege"
reason=$(jq -r .daemon.no_helper_reason "$SW_TMP/st2.json")
grep -q "without CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH" <<<"$reason" || sw_fail "no reason: $reason"
sw_assert_eq 1 "$(jq --arg l "127.0.0.1:$port" '[.listeners[] | select(.listener == $l)] | length' \
	"$SW_TMP/st2.json")" "nobody's listener, watched without privilege"
kill -TERM "$mon"
wait "$mon"
sw_assert_eq 0 $? "exit status of the unprivileged daemon"
echo "PASS: monitor without capabilities, helper with three, owners through it, helper and monitor deaths"
