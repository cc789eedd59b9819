#!/bin/bash
# Issue 16, the Debian package, installed for real on this machine:
#  - `make deb` builds it from a clean copy of the tree (nothing lands in
#    the tree or its parent); lintian --fail-on error passes, and every
#    warning it gives is one listed below with its reason;
#  - dpkg -i: the package holds exactly the expected files, where Debian 12
#    puts them, with the contents of the sources; /etc/sockwatchd.conf is
#    its only conffile; the sockwatchd user exists; the journal catalog
#    knows the entries; the installed units pass systemd-analyze verify and
#    the service scores the exposure of the source unit; deb-systemd-helper
#    recorded the service enabled and the metrics socket not;
#  - reinstalling the same package over an edited conffile keeps the edit
#    without asking; an upgrade to 0.1.0-2, whose shipped conffile
#    differs, keeps it too (--force-confold, as a non-interactive apt does
#    with Dpkg::Options::=--force-confold) with the new one beside it as
#    .dpkg-dist; an administrator's enabled metrics socket stays enabled;
#  - dpkg -r: everything but the conffile gone; dpkg -P: the conffile gone,
#    and nothing the package put anywhere is left.
# systemd is not PID 1 here. Every dpkg run happens in a private mount
# namespace with stand-ins for systemctl and deb-systemd-invoke that record
# their calls, and a private /run: empty, as on these machines (the
# maintainer scripts must then run clean and call neither), or holding
# /run/systemd/system, where they act as under systemd. So no unit of the
# host is ever started or stopped, and the test sees the service started on
# install, restarted on upgrade, and stopped with the socket on removal.
# Restores the machine on every exit path: the package purged, the
# sockwatchd user and group removed if the test made them, the socket
# enablement it made undone.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || sw_skip "needs root (installs the package with dpkg)"
for c in make dpkg dpkg-deb dpkg-query systemd-analyze systemctl deb-systemd-invoke \
	journalctl getent userdel groupdel unshare mount timeout md5sum zcat tar; do
	command -v "$c" >/dev/null || sw_skip "$c not installed"
done

PKG=sockwatchd
ARCH=$(dpkg --print-architecture)
DSH=/var/lib/systemd/deb-systemd-helper-enabled
DSH_MASKED=/var/lib/systemd/deb-systemd-helper-masked
SYSD=/etc/systemd/system
UNITDIR=/lib/systemd/system
WANTS_DIR=$SYSD/sockets.target.wants
SOCKET_LINK=$WANTS_DIR/sockwatchd-metrics.socket
SERVICE_LINK=$SYSD/multi-user.target.wants/sockwatchd.service
CATALOG_IDS=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$SW_TOP/systemd/sockwatchd.catalog")
[ "$(wc -l <<<"$CATALOG_IDS")" -ge 6 ] || sw_fail "no MESSAGE_IDs read from systemd/sockwatchd.catalog"

pkg_status() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null; }
catalog_known() {  # how many of the catalog's MESSAGE_IDs journalctl knows
	journalctl --list-catalog 2>/dev/null | awk '{ print $1 }' | grep -cxF "$CATALOG_IDS"
}

# ---------------------------------------------------------------------------
# The machine as found. The test purges the package at exit: it must not
# be installed already, nor anything of its there.
case $(pkg_status) in
""|*not-installed) ;;
*) sw_skip "package $PKG is installed ($(pkg_status)): the test would purge it" ;;
esac
leftovers=$(find "$SYSD" "$DSH" -name '*sockwatchd*' 2>/dev/null; ls -d /etc/sockwatchd.conf* 2>/dev/null)
[ -z "$leftovers" ] || sw_skip "files of an earlier sockwatchd install are here: $leftovers"
USER_BEFORE=no GROUP_BEFORE=no WANTS_BEFORE=no CATALOG_BEFORE=$(catalog_known)
getent passwd sockwatchd >/dev/null && USER_BEFORE=yes
getent group sockwatchd >/dev/null && GROUP_BEFORE=yes
[ -d "$WANTS_DIR" ] && WANTS_BEFORE=yes

INSTALLED=no   # set just before the first dpkg -i: from then on, cleanup purges
deb_cleanup() {
	local rc=$? st
	if [ "$INSTALLED" = yes ]; then
		st=$(pkg_status)
		case $st in
		""|*not-installed) ;;
		*)	echo "# cleanup: dpkg --purge $PKG (was: $st)"
			timeout 120 dpkg --purge --force-remove-reinstreq "$PKG" </dev/null 2>&1 | sed 's/^/#   /' ;;
		esac
		case $(pkg_status) in
		""|*not-installed) ;;
		*) echo "CLEANUP FAILED: $PKG still $(pkg_status)" >&2; rc=1 ;;
		esac
		# The socket enablement made below, if the purge did not undo it.
		rm -f "$SOCKET_LINK"
		[ "$WANTS_BEFORE" = yes ] || rmdir "$WANTS_DIR" 2>/dev/null
		if [ "$USER_BEFORE" = no ] && getent passwd sockwatchd >/dev/null; then
			userdel sockwatchd || { echo "CLEANUP FAILED: userdel sockwatchd" >&2; rc=1; }
		fi
		if [ "$GROUP_BEFORE" = no ] && getent group sockwatchd >/dev/null; then
			groupdel sockwatchd || { echo "CLEANUP FAILED: groupdel sockwatchd" >&2; rc=1; }
		fi
	fi
	return "$rc"
}
trap 'deb_cleanup; sw_cleanup' EXIT

# ---------------------------------------------------------------------------
# Stand-ins for the two commands through which maintainer scripts reach a
# running systemd; each call is a line in $CALLS. systemctl --root=DIR
# works on unit files only (deb-systemd-helper enables through
# `systemctl --root=/ preset` when systemd runs): that one is passed to a
# copy of the real systemctl.
FAKEBIN=$SW_TMP/fakebin
CALLS=$SW_TMP/calls
REAL_SYSTEMCTL=$(readlink -f "$(command -v systemctl)")
REAL_DSI=$(readlink -f "$(command -v deb-systemd-invoke)")
mkdir -p "$FAKEBIN"
cp "$REAL_SYSTEMCTL" "$FAKEBIN/systemctl.real" || sw_fail "copy of $REAL_SYSTEMCTL"
cat >"$FAKEBIN/systemctl" <<STUB
#!/bin/sh
echo "systemctl \$*" >>"$CALLS"
for a; do
	case \$a in --root=*) exec "$FAKEBIN/systemctl.real" "\$@" ;; esac
done
STUB
printf '#!/bin/sh\necho "deb-systemd-invoke $*" >>"%s"\n' "$CALLS" >"$FAKEBIN/deb-systemd-invoke"
chmod 0755 "$FAKEBIN/systemctl" "$FAKEBIN/deb-systemd-invoke"

# run_dpkg MODE WHAT ARGS...: dpkg ARGS in a private mount namespace with
# the stand-ins and a private /run, holding /run/systemd/system when MODE
# is "systemd"; stdin is /dev/null, so a conffile prompt fails. Fails the
# test unless dpkg exits 0 and prints no warning or error other than
# policy-rc.d's or invoke-rc.d's.
run_dpkg() {
	local mode=$1 what=$2 t0 rc bad
	shift 2
	: >"$CALLS"
	t0=$(date +%s%N)
	timeout 180 unshare --mount --propagation private -- bash -c '
		mount -t tmpfs swrun /run || exit 99
		if [ "$1" = systemd ]; then mkdir -p /run/systemd/system || exit 99; fi
		mount --bind "$2/systemctl" "$3" || exit 99
		mount --bind "$2/deb-systemd-invoke" "$4" || exit 99
		shift 4
		exec dpkg "$@"' run_dpkg "$mode" "$FAKEBIN" "$REAL_SYSTEMCTL" "$REAL_DSI" "$@" \
		</dev/null >"$SW_TMP/dpkg.log" 2>&1
	rc=$?
	sed 's/^/    /' "$SW_TMP/dpkg.log"
	echo "$what: exit $rc, $((($(date +%s%N) - t0) / 1000000)) ms (/run/systemd/system: $mode)"
	[ "$rc" = 0 ] || sw_fail "$what: dpkg $* exit $rc"
	bad=$(grep -iE 'warn|error|fail' "$SW_TMP/dpkg.log" | grep -vE 'policy-rc\.d|invoke-rc\.d')
	[ -z "$bad" ] || sw_fail "$what: dpkg or a maintainer script complained:
$bad"
	case $(pkg_status) in
	""|*not-installed) ;;
	*) [ -z "$(dpkg --audit "$PKG" 2>&1)" ] || sw_fail "$what: dpkg --audit: $(dpkg --audit "$PKG" 2>&1)" ;;
	esac
}
# expect_calls WHAT LINES: the deb-systemd-invoke calls.
expect_calls() {
	sw_assert_eq "$2" "$(grep '^deb-systemd-invoke ' "$CALLS")" "$1"
}
# manager_calls: the calls that would have reached a running systemd.
manager_calls() { grep -v -e '--root=' "$CALLS"; }

# ---------------------------------------------------------------------------
sw_log "make deb (a clean copy of the tree, into a build tree of this test)"
OUT=$SW_TMP/build
t0=$(date +%s)
timeout 400 make --no-print-directory -C "$SW_TOP" BUILD="$OUT" deb >"$SW_TMP/deb.log" 2>&1 ||
	{ tail -n 60 "$SW_TMP/deb.log"; sw_fail "make deb"; }
echo "make deb: $(($(date +%s) - t0)) s"
V1=0.1.0-1
DEB1=$OUT/deb/${PKG}_${V1}_$ARCH.deb
for f in "$DEB1" "$OUT/deb/${PKG}_${V1}_$ARCH.changes" "$OUT/deb/${PKG}_${V1}_$ARCH.buildinfo"; do
	[ -f "$f" ] || sw_fail "make deb left no $f: $(ls "$OUT/deb")"
done
[ ! -e "$OUT/deb/src" ] || sw_fail "make deb left its copy of the tree in $OUT/deb/src"
grep -q '^# TOTAL: .* FAIL: 0$' "$SW_TMP/deb.log" || sw_fail "the package build ran no unit tests"
stray=$(ls -d "$SW_TOP"/../"${PKG}"_* "$SW_TOP"/../"${PKG}"-dbgsym_* "$SW_TOP"/debian/files \
	"$SW_TOP/debian/$PKG" "$SW_TOP"/debian/.debhelper "$SW_TOP"/debian/*.substvars \
	"$SW_TOP"/debian/debhelper-build-stamp 2>/dev/null)
[ -z "$stray" ] || sw_fail "the package build wrote outside its build tree: $stray"
sw_log "ok: .deb, .changes, .buildinfo in $OUT/deb, nothing in the tree or its parent"

sw_log "lintian --fail-on error"
# Each warning lintian may give, with the reason it is left:
#  initial-upload-closes-no-bugs: a first Debian upload closes its ITP
#    bug; this package is not uploaded to Debian and has none.
LINTIAN_OK_WARNINGS="initial-upload-closes-no-bugs"
command -v lintian >/dev/null || sw_fail "lintian not installed (make deps-deb)"
t0=$(date +%s)
timeout 300 lintian --fail-on error --display-info --pedantic \
	"$OUT/deb/${PKG}_${V1}_$ARCH.changes" >"$SW_TMP/lintian.log" 2>&1
rc=$?
echo "lintian output (exit $rc, $(($(date +%s) - t0)) s):"
sed 's/^/    /' "$SW_TMP/lintian.log"
[ "$rc" = 0 ] || sw_fail "lintian exit $rc"
! grep -q '^E: ' "$SW_TMP/lintian.log" || sw_fail "lintian reports errors"
unexplained=$(sed -n 's/^W: [^:]*: \([a-z0-9.+-]*\).*/\1/p' "$SW_TMP/lintian.log" | sort -u |
	grep -vxF "$(tr ' ' '\n' <<<"$LINTIAN_OK_WARNINGS")")
[ -z "$unexplained" ] || sw_fail "lintian warnings without a reason in this test: $unexplained"
sw_log "ok: lintian: no errors, only the explained warnings"

# ---------------------------------------------------------------------------
sw_log "the package's files"
# "MODE OWNER PATH" of every entry but directories; every directory 0755 root.
deb_files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $1, $2, $6 }'; }
deb_dirs_bad() { dpkg-deb -c "$1" | awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")'; }
D=usr/share/doc/sockwatchd
WANT_FILES="-rw-r--r-- root/root etc/sockwatchd.conf
-rw-r--r-- root/root $D/changelog.Debian.gz
-rw-r--r-- root/root $D/contrib/README.md
-rw-r--r-- root/root $D/contrib/grafana/sockwatchd.json
-rw-r--r-- root/root $D/contrib/prometheus/sockwatchd.rules.test.yml
-rw-r--r-- root/root $D/contrib/prometheus/sockwatchd.rules.yml
-rw-r--r-- root/root $D/copyright
-rw-r--r-- root/root lib/systemd/system/sockwatchd-metrics.socket
-rw-r--r-- root/root lib/systemd/system/sockwatchd.service
-rw-r--r-- root/root usr/lib/systemd/catalog/sockwatchd.catalog
-rw-r--r-- root/root usr/lib/sysusers.d/sockwatchd.conf
-rw-r--r-- root/root usr/share/man/man5/sockwatchd.conf.5.gz
-rw-r--r-- root/root usr/share/man/man8/sockwatchctl.8.gz
-rw-r--r-- root/root usr/share/man/man8/sockwatchd.8.gz
-rwxr-xr-x root/root usr/bin/sockwatchctl
-rwxr-xr-x root/root usr/sbin/sockwatchd"
got=$(deb_files "$DEB1" | sort -k3)
[ "$got" = "$(sort -k3 <<<"$WANT_FILES")" ] || sw_fail "the package's files differ:
--- expected
$(sort -k3 <<<"$WANT_FILES")
--- got
$got"
[ -z "$(deb_dirs_bad "$DEB1")" ] || sw_fail "directories not 0755 root: $(deb_dirs_bad "$DEB1")"
sw_log "ok: $(wc -l <<<"$got") files, the expected paths, modes and owners"

# Every path of the package that exists now is a directory of the system
# (/usr/share/man/man8, ...): after the purge exactly these may remain.
ALL_PATHS=$(dpkg-deb -c "$DEB1" | awk '{ p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p != "") print p }')
# (-d follows symlinks: /lib is one to usr/lib on a merged /usr.)
PRESENT_BEFORE=$SW_TMP/present-before
: >"$PRESENT_BEFORE"
while read -r p; do
	if [ -e "$p" ] || [ -L "$p" ]; then
		[ -d "$p" ] || sw_skip "$p exists (not from the package): dpkg -i would replace it"
		echo "$p" >>"$PRESENT_BEFORE"
	fi
done <<<"$ALL_PATHS"

# ---------------------------------------------------------------------------
sw_log "dpkg -i $V1 (as under systemd: the maintainer scripts start the service)"
INSTALLED=yes
run_dpkg systemd "install" -i "$DEB1"
sw_assert_eq "install ok installed $V1" "$(dpkg-query -W -f='${Status} ${Version}' "$PKG")" "package state"
expect_calls "units started on install" "deb-systemd-invoke start sockwatchd.service"
grep -qx 'systemctl --system daemon-reload' "$CALLS" || sw_fail "postinst ran no daemon-reload before the start"

sw_log "installed files: the built programs and the sources' files"
for f in /usr/sbin/sockwatchd /usr/bin/sockwatchctl; do
	[ -x "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "177ELF" ] || sw_fail "$f is not an executable ELF file"
done
sw_assert_eq "sockwatchd 0.1.0" "$(/usr/sbin/sockwatchd --version)" "installed daemon's version"
/usr/sbin/sockwatchd --check-config >"$SW_TMP/check.log" 2>&1 ||
	sw_fail "the installed daemon rejects the installed /etc/sockwatchd.conf: $(cat "$SW_TMP/check.log")"
for pair in "conf/sockwatchd.conf /etc/sockwatchd.conf" \
	"systemd/sockwatchd-metrics.socket $UNITDIR/sockwatchd-metrics.socket" \
	"systemd/sockwatchd.catalog /usr/lib/systemd/catalog/sockwatchd.catalog" \
	"systemd/sockwatchd.sysusers /usr/lib/sysusers.d/sockwatchd.conf" \
	"contrib/README.md /$D/contrib/README.md" \
	"contrib/grafana/sockwatchd.json /$D/contrib/grafana/sockwatchd.json" \
	"contrib/prometheus/sockwatchd.rules.yml /$D/contrib/prometheus/sockwatchd.rules.yml" \
	"contrib/prometheus/sockwatchd.rules.test.yml /$D/contrib/prometheus/sockwatchd.rules.test.yml" \
	"debian/copyright /$D/copyright"; do
	read -r src dst <<<"$pair"
	cmp -s "$SW_TOP/$src" "$dst" || sw_fail "$dst is not $src"
done
for m in man8/sockwatchd.8 man8/sockwatchctl.8 man5/sockwatchd.conf.5; do
	zcat "/usr/share/man/$m.gz" | cmp -s - "$SW_TOP/man/${m#*/}" || sw_fail "/usr/share/man/$m.gz is not man/${m#*/}"
done
SRC_UNIT=$SW_TMP/src-unit/sockwatchd.service
mkdir -p "${SRC_UNIT%/*}"
sed -e 's|@SBINDIR@|/usr/sbin|g' -e 's|@BINDIR@|/usr/bin|g' -e 's|@SYSCONFDIR@|/etc|g' \
	"$SW_TOP/systemd/sockwatchd.service.in" >"$SRC_UNIT"
cmp -s "$SRC_UNIT" "$UNITDIR/sockwatchd.service" ||
	sw_fail "the installed unit is not sockwatchd.service.in with the Debian directories"
sw_assert_eq "ExecStart=/usr/sbin/sockwatchd" "$(grep '^ExecStart=' "$UNITDIR/sockwatchd.service")" "ExecStart"
sw_log "ok: programs, unit, socket, catalog, sysusers.d, man pages, contrib, conffile"

sw_assert_eq " /etc/sockwatchd.conf $(md5sum <"$SW_TOP/conf/sockwatchd.conf" | cut -d' ' -f1)" \
	"$(dpkg-query -W -f='${Conffiles}' "$PKG" | sed '/^$/d')" "conffiles (path and md5)"

sw_log "the sockwatchd user, made by systemd-sysusers in postinst"
pw=$(getent passwd sockwatchd) || sw_fail "no user sockwatchd after dpkg -i"
getent group sockwatchd >/dev/null || sw_fail "no group sockwatchd after dpkg -i"
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
sw_assert_eq "/ /usr/sbin/nologin" "$home $shell" "sockwatchd's home and shell"
sw_assert_eq "$(getent group sockwatchd | cut -d: -f3)" "$gid" "sockwatchd's primary group"
[ "$uid" -lt 1000 ] || sw_fail "sockwatchd is not a system user (uid $uid)"
[ "$USER_BEFORE" = no ] || sw_log "(the user existed before the test: it is left as found)"
# The user must exist before the service starts: sysusers' block first.
P=/var/lib/dpkg/info/$PKG.postinst
n_users=$(grep -n 'systemd-sysusers' "$P" | head -n 1 | cut -d: -f1)
n_start=$(grep -n 'deb-systemd-invoke' "$P" | head -n 1 | cut -d: -f1)
[ -n "$n_users" ] && [ -n "$n_start" ] && [ "$n_users" -lt "$n_start" ] ||
	sw_fail "postinst does not run systemd-sysusers before starting the service"

n=$(catalog_known)
sw_assert_eq "$(wc -l <<<"$CATALOG_IDS")" "$n" "MESSAGE_IDs journalctl --list-catalog knows (systemd's trigger)"

sw_log "systemd-analyze verify, the installed units"
if command -v man >/dev/null; then mancheck=--man=yes; else mancheck=--man=no; fi
systemd-analyze verify --recursive-errors=no "$mancheck" "$UNITDIR/sockwatchd.service" \
	"$UNITDIR/sockwatchd-metrics.socket" >"$SW_TMP/verify.log" 2>&1
rc=$?
cat "$SW_TMP/verify.log"
[ "$rc" = 0 ] || sw_fail "systemd-analyze verify exit $rc"
[ ! -s "$SW_TMP/verify.log" ] || sw_fail "systemd-analyze verify is not clean"
sw_log "ok: verify clean ($mancheck)"

sw_log "systemd-analyze security --offline=yes: the installed unit against the source unit"
score() {
	systemd-analyze security --offline=yes "$1" >"$SW_TMP/security.log" 2>&1
	sed -n 's/^→ Overall exposure level for sockwatchd.service: \([0-9.]*\) .*/\1/p' "$SW_TMP/security.log"
}
s_src=$(score "$SRC_UNIT")
s_inst=$(score "$UNITDIR/sockwatchd.service")
[ -n "$s_src" ] && [ -n "$s_inst" ] || { cat "$SW_TMP/security.log"; sw_fail "no exposure score"; }
echo "exposure: installed $s_inst, source $s_src"
sw_assert_eq "$s_src" "$s_inst" "exposure of the installed unit"

sw_log "what deb-systemd-helper recorded"
sw_assert_eq "$SERVICE_LINK" "$(cat "$DSH/sockwatchd.service.dsh-also" 2>/dev/null)" "sockwatchd.service.dsh-also"
[ -e "$DSH/multi-user.target.wants/sockwatchd.service" ] || sw_fail "no enable state for sockwatchd.service"
sw_assert_eq "$UNITDIR/sockwatchd.service" "$(readlink "$SERVICE_LINK")" "$SERVICE_LINK"
# The socket: the link enabling would make is recorded (for the purge),
# neither made nor marked enabled.
sw_assert_eq "$SOCKET_LINK" "$(cat "$DSH/sockwatchd-metrics.socket.dsh-also" 2>/dev/null)" \
	"sockwatchd-metrics.socket.dsh-also"
[ ! -e "$DSH/sockets.target.wants/sockwatchd-metrics.socket" ] || sw_fail "the metrics socket is marked enabled"
[ ! -e "$SOCKET_LINK" ] && [ ! -L "$SOCKET_LINK" ] || sw_fail "the metrics socket is enabled: $SOCKET_LINK"
sw_assert_eq "enabled disabled" \
	"$(systemctl --root=/ is-enabled sockwatchd.service sockwatchd-metrics.socket | paste -sd' ')" \
	"systemctl is-enabled: service, socket"

# ---------------------------------------------------------------------------
sw_log "dpkg -i $V1 again, over an edited /etc/sockwatchd.conf (systemd not running)"
printf '; edited by 69-deb-package\n' >>/etc/sockwatchd.conf
EDITED=$SW_TMP/edited.conf
cp /etc/sockwatchd.conf "$EDITED"
run_dpkg nosystemd "reinstall" -i "$DEB1"
grep -qF "Unpacking $PKG ($V1) over ($V1)" "$SW_TMP/dpkg.log" || sw_fail "dpkg did not unpack over $V1"
sw_assert_eq "" "$(manager_calls)" "calls to a systemd that does not run"
cmp -s "$EDITED" /etc/sockwatchd.conf || sw_fail "the reinstall replaced the edited conffile"
sw_assert_eq "" "$(ls -d /etc/sockwatchd.conf.* 2>/dev/null)" "files beside the conffile"
sw_assert_eq "enabled" "$(systemctl --root=/ is-enabled sockwatchd.service)" "service after the reinstall"

sw_log "build $PKG 0.1.0-2, whose shipped configuration differs (DEB_BUILD_OPTIONS=nocheck)"
SRC2=$SW_TMP/src2
mkdir -p "$SRC2"
tar -C "$SW_TOP" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$SRC2" -xf - ||
	sw_fail "copy of the tree"
V2=0.1.0-2
{
	printf '%s (%s) unstable; urgency=medium\n\n  * Test upgrade: the shipped configuration changes.\n\n' "$PKG" "$V2"
	printf ' -- sockwatchd developers <sockwatchd@sockwatchd.invalid>  %s\n\n' "$(date -R)"
	cat "$SW_TOP/debian/changelog"
} >"$SRC2/debian/changelog"
printf '; 0.1.0-2 ships this line\n' >>"$SRC2/conf/sockwatchd.conf"
t0=$(date +%s)
DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck timeout 400 \
	make --no-print-directory -C "$SRC2" BUILD="$SW_TMP/build2" deb >"$SW_TMP/deb2.log" 2>&1 ||
	{ tail -n 60 "$SW_TMP/deb2.log"; sw_fail "make deb of $V2"; }
echo "make deb ($V2, nocheck, no git): $(($(date +%s) - t0)) s"
DEB2=$SW_TMP/build2/deb/${PKG}_${V2}_$ARCH.deb
[ -f "$DEB2" ] || sw_fail "no $DEB2"
[ "$(deb_files "$DEB1")" = "$(deb_files "$DEB2")" ] ||
	sw_fail "$V2's files differ from $V1's: $(diff <(deb_files "$DEB1") <(deb_files "$DEB2"))"

sw_log "the administrator enables the metrics socket"
systemctl --root=/ enable sockwatchd-metrics.socket >"$SW_TMP/enable.log" 2>&1 ||
	sw_fail "systemctl enable sockwatchd-metrics.socket: $(cat "$SW_TMP/enable.log")"
[ -L "$SOCKET_LINK" ] || sw_fail "systemctl enable made no $SOCKET_LINK"

sw_log "dpkg -i --force-confold $V2 (as under systemd)"
run_dpkg systemd "upgrade" -i --force-confold "$DEB2"
sw_assert_eq "install ok installed $V2" "$(dpkg-query -W -f='${Status} ${Version}' "$PKG")" "package state"
# Restarted, not stopped first; the administrator's socket left listening.
expect_calls "units acted on by the upgrade" "deb-systemd-invoke restart sockwatchd.service"
cmp -s "$EDITED" /etc/sockwatchd.conf || sw_fail "the upgrade replaced the edited conffile"
cmp -s "$SRC2/conf/sockwatchd.conf" /etc/sockwatchd.conf.dpkg-dist ||
	sw_fail "no /etc/sockwatchd.conf.dpkg-dist with $V2's configuration"
sw_assert_eq " /etc/sockwatchd.conf $(md5sum <"$SRC2/conf/sockwatchd.conf" | cut -d' ' -f1)" \
	"$(dpkg-query -W -f='${Conffiles}' "$PKG" | sed '/^$/d')" "conffiles after the upgrade ($V2's md5)"
sw_assert_eq "enabled enabled" \
	"$(systemctl --root=/ is-enabled sockwatchd.service sockwatchd-metrics.socket | paste -sd' ')" \
	"systemctl is-enabled after the upgrade: service, socket"
/usr/sbin/sockwatchd --check-config >"$SW_TMP/check.log" 2>&1 ||
	sw_fail "the upgraded daemon rejects the kept configuration: $(cat "$SW_TMP/check.log")"

# ---------------------------------------------------------------------------
sw_log "dpkg -r (as under systemd)"
run_dpkg systemd "remove" -r "$PKG"
sw_assert_eq "deinstall ok config-files" "$(pkg_status)" "package state"
# The socket first: a connection to it would start the service again.
expect_calls "units stopped on removal" "deb-systemd-invoke stop sockwatchd-metrics.socket
deb-systemd-invoke stop sockwatchd.service"
left=$(deb_files "$DEB2" | awk '$3 != "etc/sockwatchd.conf" { print "/" $3 }' |
	while read -r f; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done)
[ -z "$left" ] || sw_fail "dpkg -r left: $left"
cmp -s "$EDITED" /etc/sockwatchd.conf || sw_fail "dpkg -r did not keep the edited conffile"
sw_log "ok: every file gone but /etc/sockwatchd.conf"

sw_log "dpkg -P (systemd not running)"
run_dpkg nosystemd "purge" -P "$PKG"
sw_assert_eq "" "$(manager_calls)" "calls to a systemd that does not run"
case $(pkg_status) in
""|*not-installed) ;;
*) sw_fail "after dpkg -P: $(pkg_status)" ;;
esac
left=$(ls -d /etc/sockwatchd.conf* /var/lib/dpkg/info/"$PKG".* 2>/dev/null
	find "$SYSD" "$DSH" "$DSH_MASKED" -name '*sockwatchd*' 2>/dev/null
	while read -r p; do
		if [ -e "$p" ] || [ -L "$p" ]; then grep -qxF "$p" "$PRESENT_BEFORE" || echo "$p"; fi
	done <<<"$ALL_PATHS")
[ -z "$left" ] || sw_fail "left after the purge:
$left"
sw_assert_eq "$CATALOG_BEFORE" "$(catalog_known)" "MESSAGE_IDs journalctl knows after the purge"
# Debian leaves system users in place (files they own may remain).
getent passwd sockwatchd >/dev/null || sw_fail "the purge removed the sockwatchd user"
sw_log "ok: nothing of the package left (the sockwatchd user stays, as Debian leaves system users)"
echo "PASS: make deb, lintian clean, install, reinstall and upgrade keep the conffile, remove, purge"
