#!/bin/bash
# Issue 6, end to end as systemd would run the installed service. systemd is
# not PID 1 here, so the test plays the service manager: it installs into a
# DESTDIR, reads the installed unit, and starts its ExecStart= with what the
# unit asks for, inside a private mount namespace:
#  - the staged binary bind-mounted where ExecStart= points; /etc on an
#    overlay holding the installed sockwatchd.conf and the user made by
#    systemd-sysusers from the installed sysusers.d file; a private /run;
#  - User=, Group= (and the user's groups), AmbientCapabilities=,
#    CapabilityBoundingSet=, NoNewPrivileges= and UMask= through setpriv;
#    ProtectProc= as a /proc mounted with that hidepid=; RuntimeDirectory=;
#    a clean environment plus Environment=;
#  - NOTIFY_SOCKET (read by tests/tools/notifyrecv), WATCHDOG_USEC (2 s
#    instead of WatchdogSec=, to see several pings in seconds), and a
#    private journald with the installed catalog.
# Not reproduced: the read-only and private mounts (ProtectSystem=,
# PrivateTmp=, ...) and the IP filter; the seccomp filters
# (SystemCallFilter=, RestrictAddressFamilies=, MemoryDenyWriteExecute=)
# are checked against a system call trace of the daemon instead (strace).
# Then: READY=1 and WATCHDOG=1 arrive from the main pid; a listener owned by
# another user (root) overflows and its alert in the journal names the
# owner; journalctl -x shows the catalog text; the installed sockwatchctl
# reaches the daemon through the configured socket; ExecReload= (SIGHUP)
# reloads a changed config; SIGTERM stops it with STOPPING=1 and exit 0.
# Owner attribution needs exactly the unit's two capabilities: with either
# one missing, no owner is found. "[control] group" works only with the
# group in SupplementaryGroups=, as the unit's comment says.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/journald.sh"
# The host's /run, seen before the re-exec into a private mount namespace.
[ -n "${SW_E2E_HOST_RUN:-}" ] || export SW_E2E_HOST_RUN=$(stat -c %d:%i /run)
sw_journald_reexec "$@"
. "$SW_TOP/tests/integration/lib-collector.bash"
sw_require_root
swc_require_tools
for c in jq setpriv systemd-sysusers make mount getent stat; do
	command -v "$c" >/dev/null || sw_skip "$c not installed"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	sw_skip "no overlayfs (needed to stage /etc)"
NOTIFYRECV=$SW_BUILD/tests/tools/notifyrecv
[ -x "$NOTIFYRECV" ] || sw_fail "$NOTIFYRECV not built (make BUILD=${BUILD:-build} tests)"
SETPRIV=$(command -v setpriv)

# ---------------------------------------------------------------------------
sw_log "make install into a staging DESTDIR"
DEST=$SW_TMP/dest
make --no-print-directory -C "$SW_TOP" BUILD="$SW_BUILD" install DESTDIR="$DEST" \
	>"$SW_TMP/make.log" 2>&1 || { cat "$SW_TMP/make.log"; sw_fail "make install"; }
pc() { pkg-config --variable="$1" systemd 2>/dev/null || echo "$2"; }
UNIT=$DEST$(pc systemdsystemunitdir /lib/systemd/system)/sockwatchd.service
CATALOG=$DEST$(pc catalogdir /usr/lib/systemd/catalog)/sockwatchd.catalog
SYSUSERS=$DEST$(pc sysusersdir /usr/lib/sysusers.d)/sockwatchd.conf
for f in "$UNIT" "$CATALOG" "$SYSUSERS" "$DEST/etc/sockwatchd.conf"; do
	[ -f "$f" ] || sw_fail "make install left no $f"
done
CTL=$(find "$DEST" -type f -name sockwatchctl -perm -0111 | head -n 1)
[ -n "$CTL" ] || sw_fail "no installed sockwatchctl"

# unit KEY: the values of KEY= in [Service], one per line, in order.
unit() {
	awk -v k="$1" '
		/^\[/ { sec = $0; next }
		sec == "[Service]" && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$UNIT"
}
# unit_last KEY: the value in force (the last one).
unit_last() { unit "$1" | tail -n 1; }

sw_assert_eq notify "$(unit_last Type)" "Type="
EXEC_START=$(unit_last ExecStart)
case $EXEC_START in
[@+!:-]*|*\"*|*\'*|*\$*) sw_fail "ExecStart= uses syntax this test does not emulate: $EXEC_START" ;;
esac
read -r -a EXEC <<<"$EXEC_START"
BIN=${EXEC[0]}
U_USER=$(unit_last User)
U_GROUP=$(unit_last Group)
U_UMASK=$(unit_last UMask)
U_NNP=$(unit_last NoNewPrivileges)
U_RUNDIR=$(unit_last RuntimeDirectory)
U_RUNDIR_MODE=$(unit_last RuntimeDirectoryMode)
U_PROTECT_PROC=$(unit_last ProtectProc)
U_PROC_SUBSET=$(unit_last ProcSubset)
U_WATCHDOG=$(unit_last WatchdogSec)
U_RELOAD=$(unit_last ExecReload)
[ -n "$U_USER" ] && [ "$U_USER" != root ] || sw_fail "the unit should run as a system user, not '$U_USER'"
[ -n "$U_WATCHDOG" ] && [ "$U_WATCHDOG" != 0 ] || sw_fail "the unit sets no WatchdogSec="
# setpriv spells capabilities "+sys_ptrace,+dac_read_search".
capspec() { tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -; }
U_CAPS=$(unit AmbientCapabilities | capspec)
U_BOUND=$(unit CapabilityBoundingSet | capspec)
[ -n "$U_CAPS" ] || sw_fail "the unit grants no ambient capabilities"
sw_log "unit: ExecStart=$EXEC_START User=$U_USER Group=$U_GROUP caps=$U_CAPS bound=$U_BOUND" \
	"UMask=$U_UMASK NoNewPrivileges=$U_NNP ProtectProc=$U_PROTECT_PROC WatchdogSec=$U_WATCHDOG"

# ---------------------------------------------------------------------------
sw_log "staging the system: binary, /etc (config, user), /run, /proc"
mkdir -p "$SW_TMP/etc-up" "$SW_TMP/etc-work"
mount -t overlay -o "lowerdir=/etc,upperdir=$SW_TMP/etc-up,workdir=$SW_TMP/etc-work" \
	swetc /etc || sw_fail "overlay on /etc"
# What a real `make install` does after copying: systemd-sysusers.
systemd-sysusers "$SYSUSERS" >"$SW_TMP/sysusers.log" 2>&1 ||
	sw_fail "systemd-sysusers: $(cat "$SW_TMP/sysusers.log")"
cp "$DEST/etc/sockwatchd.conf" /etc/sockwatchd.conf || sw_fail "config into /etc"
getent passwd "$U_USER" >/dev/null || sw_fail "sysusers.d made no user $U_USER"
getent group "$U_GROUP" >/dev/null || sw_fail "sysusers.d made no group $U_GROUP"
U_UID=$(id -u "$U_USER")
U_GID=$(getent group "$U_GROUP" | cut -d: -f3)
U_HOME=$(getent passwd "$U_USER" | cut -d: -f6)
U_SHELL=$(getent passwd "$U_USER" | cut -d: -f7)
# systemd gives the user's own groups plus SupplementaryGroups=.
U_GROUPS=$(id -G "$U_USER" | tr ' ' ',')
for g in $(unit SupplementaryGroups); do
	U_GROUPS+=,$(getent group "$g" | cut -d: -f3)
done
mount --bind "$DEST$(dirname "$BIN")" "$(dirname "$BIN")" || sw_fail "bind $(dirname "$BIN")"
[ -x "$BIN" ] || sw_fail "$BIN not there after the bind mount"
# The staged sockwatchctl is run below as users other than root.
chmod 0711 "$SW_TMP"

# tests/journald.sh covers /run with a tmpfs of this mount namespace;
# RuntimeDirectory= is made there as systemd makes it.
sw_journald_start
[ "$(stat -c %d:%i /run)" != "$SW_E2E_HOST_RUN" ] ||
	sw_fail "/run is the host's: tests/journald.sh was expected to make it private"
RUNDIR=
if [ -n "$U_RUNDIR" ]; then
	RUNDIR=/run/$U_RUNDIR
	install -d -o "$U_UID" -g "$U_GID" -m "${U_RUNDIR_MODE:-0755}" "$RUNDIR" ||
		sw_fail "RuntimeDirectory $RUNDIR"
fi
# ProtectProc=/ProcSubset= are mount options of the service's /proc.
procopts=
[ -n "$U_PROTECT_PROC" ] && [ "$U_PROTECT_PROC" != default ] && procopts=hidepid=$U_PROTECT_PROC
[ "$U_PROC_SUBSET" = pid ] && procopts+=${procopts:+,}subset=pid
if [ -n "$procopts" ]; then
	mount -t proc -o "$procopts" swproc /proc || sw_fail "mount proc -o $procopts"
	sw_log "/proc mounted with $procopts"
fi

sw_journal_catalog_install "$CATALOG"

# The environment systemd gives a service: a fixed PATH, the user's
# identity, the runtime directory, then Environment=.
INVOCATION_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
U_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
       USER="$U_USER" LOGNAME="$U_USER" HOME="$U_HOME" SHELL="$U_SHELL"
       INVOCATION_ID="$INVOCATION_ID")
[ -n "$RUNDIR" ] && U_ENV+=(RUNTIME_DIRECTORY="$RUNDIR")
while read -r line; do
	case $line in *\"*|*\'*|*\\*) sw_fail "Environment= quoting not emulated: $line" ;; esac
	for kv in $line; do U_ENV+=("$kv"); done
done < <(unit Environment)

# unit_cmd [-c CAPS] [-e VAR=VALUE]... CMD...: puts in UCMD the command
# line that runs CMD with the unit's credentials and environment; -c
# replaces the ambient capabilities ("" for none), -e adds to the
# environment. It execs all the way down, so CMD keeps the pid it was
# started with (sw_bg's SW_LAST_PID is the daemon's), as WATCHDOG_PID says.
unit_cmd() {
	local caps=$U_CAPS extra=() a
	while :; do
		case $1 in
		-c) caps=$2; shift 2 ;;
		-e) extra+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	a=(--reuid="$U_UID" --regid="$U_GID" --groups="$U_GROUPS" --bounding-set="-all${U_BOUND:+,$U_BOUND}")
	[ -n "$caps" ] && a+=(--inh-caps="$caps" --ambient-caps="$caps")
	[ "$U_NNP" = yes ] && a+=(--no-new-privs)
	UCMD=(env -i "${U_ENV[@]}" "${extra[@]}" "$BASH" -c '
		umask "$1"; shift
		[ -z "${WATCHDOG_USEC:-}" ] || export WATCHDOG_PID=$$
		exec "$@"' unit "${U_UMASK:-0022}" "$SETPRIV" "${a[@]}" -- "$@")
}

# exited PID: PID (a child of this shell) has exited, reaped or not.
exited() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ]
}
# stop_wait PID WHAT: bounded wait for PID after a signal; its exit status.
stop_wait() {
	sw_wait_for 10 exited "$1" || sw_fail "$2 still running 10 s after SIGTERM"
	wait "$1"
}

# ---------------------------------------------------------------------------
sw_netns_new ns
port=8080
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog 4
srv_pid=$SW_LAST_PID

sw_log "owner attribution needs exactly the unit's capabilities ($U_CAPS)"
# once CAPS: the process --once finds for the listener, as the unit's user.
once_owner() {
	unit_cmd -c "$1" "${EXEC[@]}" --once
	ip netns exec "$ns" "${UCMD[@]}" 2>"$SW_TMP/once.err" |
		jq -c --arg l "127.0.0.1:$port" '.listeners[] | select(.listener == $l and .netns == "host") | .process.pid'
}
sw_assert_eq "$srv_pid" "$(once_owner "$U_CAPS")" "owner found with $U_CAPS"
IFS=, read -r -a each <<<"$U_CAPS"
if [ "${#each[@]}" -gt 1 ]; then
	for cap in "${each[@]}"; do
		sw_assert_eq null "$(once_owner "$cap")" "owner found with $cap alone"
	done
fi
sw_assert_eq null "$(once_owner "")" "owner found without capabilities"

# ---------------------------------------------------------------------------
sw_log "start: NOTIFY_SOCKET=/run/systemd/notify, WATCHDOG_USEC=2000000"
NOTIFY=/run/systemd/notify
"$NOTIFYRECV" --socket "$NOTIFY" --ready-file "$SW_TMP/notify.ready" >"$SW_TMP/notify.log" \
	2>"$SW_TMP/notify.err" &
SW_PIDS+=("$!")
sw_wait_for 5 test -e "$SW_TMP/notify.ready" || sw_fail "notifyrecv: $(cat "$SW_TMP/notify.err")"
WD_USEC=2000000
unit_cmd -e NOTIFY_SOCKET=$NOTIFY -e WATCHDOG_USEC=$WD_USEC "${EXEC[@]}"
sw_bg "$ns" "${UCMD[@]}" </dev/null 2>"$SW_TMP/daemon.err"
pid=$SW_LAST_PID

# notified FIELD=VALUE: lines of that assignment from the main pid.
notified() { awk -v p="$pid" -v a="$1" '$2 == p && $4 == a' "$SW_TMP/notify.log"; }
has_notified() { [ -n "$(notified "$1")" ]; }
# daemon_state: what to show when the daemon does not do as expected.
daemon_state() {
	echo "process: $(ps -o pid=,stat=,args= -p "$pid" || echo gone)"
	echo "notifications:"; cat "$SW_TMP/notify.log"
	echo "stderr:"; cat "$SW_TMP/daemon.err"
	echo "journal:"; sw_journal_json SYSLOG_IDENTIFIER=sockwatchd | jq -r .MESSAGE
}
sw_wait_for 15 has_notified READY=1 || sw_fail "no READY=1 from pid $pid
$(daemon_state)"
sw_log "READY=1 from pid $pid"
# Nothing may come from another pid (NotifyAccess=main would drop it).
others=$(awk -v p="$pid" '$2 != p' "$SW_TMP/notify.log")
[ -z "$others" ] || sw_fail "notifications from other pids: $others"
sw_assert_eq "$U_UID" "$(awk 'NR == 1 { print $3 }' "$SW_TMP/notify.log")" "uid of the notifying process"

# The daemon really runs with the unit's credentials.
sw_assert_eq "$BIN" "$(readlink /proc/$pid/exe)" "the running binary"
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
sw_assert_eq "$U_UID" "$(status Uid)" "daemon uid"
sw_assert_eq "$U_GID" "$(status Gid)" "daemon gid"
sw_assert_eq 1 "$(status NoNewPrivs)" "daemon NoNewPrivs"
capmask() {  # LIST: "+sys_ptrace,+dac_read_search" as /proc's hex mask
	local m=0 c n
	for c in ${1//,/ }; do
		c=${c#+}
		n=$(awk -v c="CAP_${c^^}" '$1 == "#define" && $2 == c { print $3; exit }' \
			/usr/include/linux/capability.h)
		[ -n "$n" ] || sw_fail "unknown capability $c"
		m=$((m | (1 << n)))
	done
	printf '%016x' "$m"
}
# Privilege separation: the monitor (the main pid, which parses every
# input) holds no capability at all; its one child, the privileged helper,
# holds the unit's capabilities and nothing else.
for set in CapEff CapPrm CapInh CapAmb; do
	sw_assert_eq 0000000000000000 "$(status $set)" "monitor $set"
done
sw_assert_eq "$(capmask "$U_BOUND")" "$(status CapBnd)" "daemon bounding set"
sw_log "monitor: $(grep -E '^(Cap|NoNewPrivs)' /proc/$pid/status | tr '\t\n' '  ')"
hpid=$(pgrep -P "$pid")
[ -n "$hpid" ] && [ "$(wc -w <<<"$hpid")" = 1 ] || sw_fail "the monitor has no single child: '$hpid'"
sw_assert_eq sockwatchd-priv "$(cat /proc/$hpid/comm)" "the helper's name"
hstatus() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$hpid/status"; }
sw_assert_eq "$(capmask "$U_CAPS")" "$(hstatus CapEff)" "helper effective capabilities"
sw_assert_eq "$(capmask "$U_CAPS")" "$(hstatus CapPrm)" "helper permitted capabilities"
sw_assert_eq 0000000000000000 "$(hstatus CapInh)" "helper inheritable capabilities"
sw_assert_eq 0000000000000000 "$(hstatus CapAmb)" "helper ambient capabilities"
sw_assert_eq 1 "$(hstatus NoNewPrivs)" "helper NoNewPrivs"
sw_assert_eq "$U_UID" "$(hstatus Uid)" "helper uid"
sw_log "helper: $(grep -E '^(Cap|NoNewPrivs)' /proc/$hpid/status | tr '\t\n' '  ')"

sw_log "watchdog: WATCHDOG=1 after the polls, more often than WATCHDOG_USEC"
enough_pings() { [ "$(notified WATCHDOG=1 | wc -l)" -ge 4 ]; }
sw_wait_for 10 enough_pings || sw_fail "fewer than 4 WATCHDOG=1 in 10 s: $(cat "$SW_TMP/notify.log")"
gap=$(notified WATCHDOG=1 | awk 'NR > 1 && $1 - prev > max { max = $1 - prev } { prev = $1 } END { print max + 0 }')
sw_log "longest gap between pings: ${gap} ms"
[ "$gap" -lt $((WD_USEC / 1000)) ] || sw_fail "watchdog gap ${gap} ms >= WATCHDOG_USEC"

# ---------------------------------------------------------------------------
sw_log "an overflowing accept queue: alert in the journal, with its owner"
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 12
sw_journal_wait 15 _PID="$pid" SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=$port ||
	sw_fail "no accept-queue entry from the daemon; journal:
$(sw_journal_json SYSLOG_IDENTIFIER=sockwatchd | jq -r .MESSAGE)
stderr: $(cat "$SW_TMP/daemon.err")"
e=$(sw_journal_json _PID="$pid" SOCKWATCH_EVENT=accept-queue SOCKWATCH_PORT=$port | head -n 1)
for kv in MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e SYSLOG_IDENTIFIER=sockwatchd \
	SOCKWATCH_LISTENER=127.0.0.1:$port SOCKWATCH_LEVEL=critical SOCKWATCH_PID=$srv_pid \
	SOCKWATCH_COMM=qfill _UID=$U_UID _GID=$U_GID; do
	sw_assert_eq "${kv#*=}" "$(jq -r --arg f "${kv%%=*}" '.[$f]' <<<"$e")" "alert ${kv%%=*}"
done

sw_log "journalctl -x shows the installed catalog's text"
journalctl -x --no-pager --directory=/run/log/journal _PID="$pid" \
	MESSAGE_ID=fb9b3958caf6426baacdec81634eb20e >"$SW_TMP/x.txt" 2>&1
for want in "Subject: Accept queue of 127.0.0.1:$port is" "Defined-By: sockwatchd" \
	"accept queue of the TCP listener 127.0.0.1:$port"; do
	grep -qF -- "$want" "$SW_TMP/x.txt" || { cat "$SW_TMP/x.txt"; sw_fail "journalctl -x lacks '$want'"; }
done
sw_log "ok: catalog text shown"

# ---------------------------------------------------------------------------
sw_log "sockwatchctl through the configured socket"
sock=$(sed -n 's/^socket *= *\([^ ;#]*\).*/\1/p' /etc/sockwatchd.conf)
sw_assert_eq /run/sockwatchd/control "$sock" "configured control socket"
sw_assert_eq "socket $U_USER:$U_GROUP 660" "$(stat -c '%F %U:%G %a' "$sock")" "control socket file"
"$CTL" status --json >"$SW_TMP/status.json" 2>"$SW_TMP/ctl.err" ||
	sw_fail "sockwatchctl status: exit $?: $(cat "$SW_TMP/ctl.err")"
sw_assert_eq "$pid" "$(jq .daemon.pid "$SW_TMP/status.json")" "status daemon.pid"
sw_assert_eq "$srv_pid critical" "$(jq -r --arg l "127.0.0.1:$port" \
	'.listeners[] | select(.listener == $l) | "\(.process.pid) \(.state)"' "$SW_TMP/status.json")" \
	"status of the listener"
"$CTL" status >"$SW_TMP/status.txt" || sw_fail "sockwatchctl status (text)"
grep -qF "127.0.0.1:$port" "$SW_TMP/status.txt" || sw_fail "status lacks the listener: $(cat "$SW_TMP/status.txt")"
# Group sockwatchd may read; anyone else may not (exit 3: unreachable).
setpriv --reuid=nobody --regid=nogroup --groups="$U_GID" -- "$CTL" status >/dev/null 2>&1 ||
	sw_fail "a member of group $U_GROUP cannot query the daemon"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$CTL" status >/dev/null 2>&1
sw_assert_eq 3 "$?" "sockwatchctl exit status for a user outside group $U_GROUP"

# ---------------------------------------------------------------------------
sw_log "reload: ExecReload= after a config change"
sw_assert_eq 1000 "$(jq .daemon.interval_ms "$SW_TMP/status.json")" "interval before reload"
sed -i 's/^interval = 1s/interval = 2s/' /etc/sockwatchd.conf
grep -q '^interval = 2s' /etc/sockwatchd.conf || sw_fail "could not change the config"
mark=$(wc -l <"$SW_TMP/notify.log")
reload=${U_RELOAD//\$\{MAINPID\}/$pid}
reload=${reload//\$MAINPID/$pid}
sw_log "ExecReload: $reload"
read -r -a RELOAD <<<"$reload"
unit_cmd "${RELOAD[@]}"
"${UCMD[@]}" || sw_fail "ExecReload failed"
reloaded() { tail -n +$((mark + 1)) "$SW_TMP/notify.log" | awk -v p="$pid" '$2 == p { print $4 }' |
	grep -E '^(RELOADING|READY)=1$' | paste -sd' ' - | grep -q 'RELOADING=1 READY=1'; }
sw_wait_for 10 reloaded || sw_fail "no RELOADING=1 then READY=1: $(tail -n +$((mark + 1)) "$SW_TMP/notify.log")"
sw_journal_wait 5 _PID="$pid" SOCKWATCH_LIFECYCLE=reloaded || sw_fail "no 'reloaded' entry"
"$CTL" status --json >"$SW_TMP/status2.json" || sw_fail "sockwatchctl status after reload"
sw_assert_eq 2000 "$(jq .daemon.interval_ms "$SW_TMP/status2.json")" "interval after reload"
"$CTL" reload >/dev/null 2>&1 || sw_fail "sockwatchctl reload (root) failed"

# ---------------------------------------------------------------------------
sw_log "stop: SIGTERM"
kill -TERM "$pid"
stop_wait "$pid" sockwatchd
sw_assert_eq 0 "$?" "exit status after SIGTERM"
sw_wait_for 5 has_notified STOPPING=1 || sw_fail "no STOPPING=1: $(tail -n 5 "$SW_TMP/notify.log")"
sw_journal_wait 5 _PID="$pid" SOCKWATCH_LIFECYCLE=stopping || sw_fail "no 'stopping' entry"
[ ! -e "$sock" ] || sw_fail "control socket left behind"
if grep -qiE 'error|warning' "$SW_TMP/daemon.err"; then
	sw_fail "daemon stderr: $(cat "$SW_TMP/daemon.err")"
fi

# ---------------------------------------------------------------------------
sw_log "[control] group needs the group in SupplementaryGroups="
echo 'g swtest-readers -' | systemd-sysusers - >/dev/null 2>&1 || sw_fail "group swtest-readers"
rgid=$(getent group swtest-readers | cut -d: -f3)
printf '[control]\nsocket = %s/grp\ngroup = swtest-readers\n' "$RUNDIR" >/etc/sockwatchd-grp.conf
unit_cmd "$BIN" -c /etc/sockwatchd-grp.conf
sw_bg "$ns" "${UCMD[@]}" </dev/null 2>"$SW_TMP/grp1.err"
ngpid=$SW_LAST_PID
sw_wait_for 10 exited "$ngpid" || sw_fail "started though it cannot give the socket to swtest-readers"
wait "$ngpid"
rc=$?
[ "$rc" -ne 0 ] || sw_fail "exit 0 though it cannot give the socket to swtest-readers"
sw_journal_wait 5 _PID="$ngpid" || sw_fail "no journal entry from the failed start"
why=$(sw_journal_json _PID="$ngpid" | jq -r .MESSAGE)
grep -q 'control socket.*Operation not permitted' <<<"$why" ||
	sw_fail "failed for another reason than chown: $why"
sw_log "without the group: exit $rc: $why"
U_GROUPS+=,$rgid
unit_cmd "$BIN" -c /etc/sockwatchd-grp.conf
sw_bg "$ns" "${UCMD[@]}" </dev/null 2>"$SW_TMP/grp2.err"
gpid=$SW_LAST_PID
sw_wait_for 10 test -S "$RUNDIR/grp" || sw_fail "no socket with SupplementaryGroups: $(cat "$SW_TMP/grp2.err")"
sw_assert_eq "$U_USER:swtest-readers 660" "$(stat -c '%U:%G %a' "$RUNDIR/grp")" "socket handed to the group"
setpriv --reuid=nobody --regid=nogroup --groups="$rgid" -- "$CTL" --socket "$RUNDIR/grp" status >/dev/null ||
	sw_fail "a member of swtest-readers cannot query the daemon"
kill -TERM "$gpid"
stop_wait "$gpid" "sockwatchd with [control] group" || sw_fail "sockwatchd with [control] group: exit $?"
# ---------------------------------------------------------------------------
# What the emulation above leaves out, checked from a system call trace of
# a daemon run through every path (start, owner scan, alert, journal,
# notify, watchdog, control socket with chown, reload, stop): every call is
# one SystemCallFilter= allows, every socket a family
# RestrictAddressFamilies= allows, and nothing MemoryDenyWriteExecute=
# refuses (a writable and executable mapping, or making memory executable).
# A sanitizer build is left out: its runtime makes calls of its own and
# LeakSanitizer refuses to run under ptrace; CI's plain build runs it.
if ldd "$BIN" 2>/dev/null | grep -qE 'lib(asan|ubsan)'; then
	sw_log "sanitizer build: system call check left to the plain build"
	echo "PASS: installed unit run as systemd would (sanitizer build: no system call check)"
	exit 0
fi
if ! command -v strace >/dev/null; then
	[ "${CI:-}" != true ] || sw_fail "strace not installed: the system call check cannot run"
	sw_log "strace not installed: system call check left out"
	echo "PASS: installed unit run as systemd would (without the system call check)"
	exit 0
fi
sw_log "system calls against SystemCallFilter=, RestrictAddressFamilies=, MemoryDenyWriteExecute="
unit_cmd -e NOTIFY_SOCKET=$NOTIFY -e WATCHDOG_USEC=$WD_USEC "$BIN" -c /etc/sockwatchd-grp.conf
sw_bg "$ns" strace -f -qq -o "$SW_TMP/strace" "${UCMD[@]}" </dev/null 2>"$SW_TMP/strace.err"
tpid=$SW_LAST_PID
sw_wait_for 10 test -S "$RUNDIR/grp" || sw_fail "traced daemon: no socket: $(cat "$SW_TMP/strace.err")"
"$CTL" --socket "$RUNDIR/grp" status --json >"$SW_TMP/status3.json" || sw_fail "traced daemon: status"
dpid=$(jq .daemon.pid "$SW_TMP/status3.json")
hpid=$(jq .daemon.helper_pid "$SW_TMP/status3.json")
[ "$hpid" -gt 0 ] 2>/dev/null || sw_fail "traced daemon: no helper pid in the status"

sw_assert_eq "$srv_pid" "$(jq --arg l "127.0.0.1:$port" '.listeners[] | select(.listener == $l) | .process.pid' \
	"$SW_TMP/status3.json")" "owner seen by the traced daemon"
sw_journal_wait 10 _PID="$dpid" SOCKWATCH_EVENT=accept-queue || sw_fail "traced daemon: no alert"
kill -HUP "$dpid"
sw_journal_wait 5 _PID="$dpid" SOCKWATCH_LIFECYCLE=reloaded || sw_fail "traced daemon: no reload"
"$CTL" --socket "$RUNDIR/grp" reload >/dev/null || sw_fail "traced daemon: sockwatchctl reload"
sleep 2    # a watchdog ping or two
kill -TERM "$dpid"
stop_wait "$tpid" "traced sockwatchd" || sw_fail "traced daemon exit $?"

# The daemon's own calls: from its successful execve of $BIN on, and every
# call of its helper (forked after that execve).
awk -v p="$dpid" -v h="$hpid" -v bin="execve(\"$BIN\"" '
	$1 != p && $1 != h { next }
	$1 == h || (index($0, bin) && / = 0$/) { on = 1 }
	on { sub(/^[0-9]+ +/, ""); sub(/^<\.\.\. /, ""); if (match($0, /^[a-z0-9_]+/)) print substr($0, 1, RLENGTH) }' \
	"$SW_TMP/strace" | sort -u >"$SW_TMP/used"
[ -s "$SW_TMP/used" ] || sw_fail "no system calls traced for pid $dpid"
# The allow list: groups expanded recursively, lines applied in order.
systemd-analyze syscall-filter 2>/dev/null >"$SW_TMP/groups"
expand() {
	awk -v want="$1" '
		/^@/ { g = $1; next }
		NF && $1 !~ /^#/ { m[g] = m[g] " " $1 }
		function ex(x,   n, a, i) {
			if (x !~ /^@/) { print x; return }
			n = split(m[x], a, " ")
			for (i = 1; i <= n; i++) ex(a[i])
		}
		END { n = split(want, w, " "); for (i = 1; i <= n; i++) ex(w[i]) }' "$SW_TMP/groups" | sort -u
}
: >"$SW_TMP/allowed"
first=1
while read -r line; do
	case $line in
	"~"*) [ "$first" = 0 ] || sw_fail "a deny-list SystemCallFilter= is not emulated"
	      expand "${line#\~}" | comm -23 "$SW_TMP/allowed" - >"$SW_TMP/allowed.new" ;;
	*)    expand "$line" | sort -u - "$SW_TMP/allowed" >"$SW_TMP/allowed.new" ;;
	esac
	mv "$SW_TMP/allowed.new" "$SW_TMP/allowed"
	first=0
done < <(unit SystemCallFilter)
[ -s "$SW_TMP/allowed" ] || sw_fail "the unit sets no SystemCallFilter= allow list"
refused=$(comm -23 "$SW_TMP/used" "$SW_TMP/allowed" | paste -sd' ' -)
[ -z "$refused" ] || sw_fail "system calls SystemCallFilter= would refuse: $refused"
sw_log "ok: all $(wc -l <"$SW_TMP/used") system calls used are allowed: $(paste -sd' ' "$SW_TMP/used")"

families=$(awk -v p="$dpid" '$1 == p' "$SW_TMP/strace" | grep -o 'socket(AF_[A-Z0-9]*' | cut -c8- | sort -u)
for f in $families; do
	unit RestrictAddressFamilies | tr ' ' '\n' | grep -qx "$f" ||
		sw_fail "socket family $f is not in RestrictAddressFamilies="
done
sw_log "ok: socket families $(echo $families) allowed"
if [ "$(unit_last MemoryDenyWriteExecute)" = yes ]; then
	wx=$(awk -v p="$dpid" '$1 == p' "$SW_TMP/strace" |
		grep -E 'mprotect\([^)]*PROT_EXEC|mmap\([^)]*(PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE)' || true)
	[ -z "$wx" ] || sw_fail "MemoryDenyWriteExecute= would refuse: $wx"
	sw_log "ok: no writable+executable memory"
fi

echo "PASS: installed unit run as systemd would: notify, watchdog, alert with owner, catalog, control socket, reload, stop"
