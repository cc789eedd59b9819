#!/bin/bash
# Issue 6, make install / make uninstall: into a temporary DESTDIR, the exact
# file list and modes, the unit made from the .in, the configuration never
# overwritten, no systemctl run, the directory overrides, the post-install
# steps of a real install (simulated with stand-ins), and a clean uninstall.
# The installed unit must pass systemd-analyze verify and score an exposure
# of 2.0 or lower in systemd-analyze security (the score is printed).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || sw_skip "needs root (mount namespace for systemd-analyze verify)"
for c in make systemd-analyze unshare install cmp; do
	command -v "$c" >/dev/null || sw_skip "$c not installed"
done

# Directory defaults exactly as the Makefile computes them.
pc() { pkg-config --variable="$1" systemd 2>/dev/null || echo "$2"; }
UNITDIR=$(pc systemdsystemunitdir /lib/systemd/system)
CATALOGDIR=$(pc catalogdir /usr/lib/systemd/catalog)
SYSUSERSDIR=$(pc sysusersdir /usr/lib/sysusers.d)

# Stand-ins for the tools an install might call: each records its command
# line, so the test sees what ran without touching the host.
FAKEBIN=$SW_TMP/fakebin
CALLS=$SW_TMP/calls
mkdir -p "$FAKEBIN"
for t in systemctl systemd-sysusers journalctl systemd-tmpfiles; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$t" "$CALLS" >"$FAKEBIN/$t"
	chmod 0755 "$FAKEBIN/$t"
done

# swmake ARGS...: make in the source tree, this test's build tree, stand-ins
# first in PATH; its output goes to $SW_TMP/make.log.
swmake() {
	: >"$CALLS"
	PATH=$FAKEBIN:$PATH make --no-print-directory -C "$SW_TOP" BUILD="$SW_BUILD" "$@" \
		>"$SW_TMP/make.log" 2>&1 || { cat "$SW_TMP/make.log"; sw_fail "make $*"; }
}

# tree DIR: "MODE TYPE PATH" of everything under DIR, sorted.
tree() { (cd "$1" && find . -mindepth 1 -printf '%m %y %P\n' | sort -k3); }

# expect_files DIR "MODE PATH"...: the regular files under DIR are exactly
# these, with these modes; every directory is 755; nothing else is there.
expect_files() {
	local dir=$1 got want
	shift
	got=$(tree "$dir" | awk '$2 == "f" { print $1, $3 }')
	want=$(printf '%s\n' "$@" | sort -k2)
	[ "$got" = "$want" ] || sw_fail "installed files differ:
--- expected
$want
--- got
$got"
	got=$(tree "$dir" | awk '$2 != "f" && !($2 == "d" && $1 == 755)')
	[ -z "$got" ] || sw_fail "unexpected entries (not a file, or a directory not 755):
$got"
	sw_log "ok: $# files with the expected modes under $dir"
}

DEST=$SW_TMP/dest
sw_log "make install DESTDIR=$DEST (default directories)"
swmake install DESTDIR="$DEST"
P=usr/local
INSTALLED=(
	"755 $P/sbin/sockwatchd"
	"755 $P/bin/sockwatchctl"
	"644 $P/share/man/man8/sockwatchd.8"
	"644 $P/share/man/man8/sockwatchctl.8"
	"644 $P/share/man/man5/sockwatchd.conf.5"
	"644 ${UNITDIR#/}/sockwatchd.service"
	"644 ${UNITDIR#/}/sockwatchd-metrics.socket"
	"644 ${CATALOGDIR#/}/sockwatchd.catalog"
	"644 ${SYSUSERSDIR#/}/sockwatchd.conf"
	"644 etc/sockwatchd.conf"
	"644 $P/share/doc/sockwatchd/contrib/README.md"
	"644 $P/share/doc/sockwatchd/contrib/prometheus/sockwatchd.rules.yml"
	"644 $P/share/doc/sockwatchd/contrib/prometheus/sockwatchd.rules.test.yml"
	"644 $P/share/doc/sockwatchd/contrib/grafana/sockwatchd.json"
)
expect_files "$DEST" "${INSTALLED[@]}"
sw_assert_eq "" "$(cat "$CALLS")" "commands run by a DESTDIR install (systemctl, sysusers, catalog)"

# Contents: what was built, what the tree ships, the unit substituted.
for pair in "$SW_BUILD/sockwatchd $P/sbin/sockwatchd" "$SW_BUILD/sockwatchctl $P/bin/sockwatchctl" \
	"man/sockwatchd.8 $P/share/man/man8/sockwatchd.8" \
	"man/sockwatchctl.8 $P/share/man/man8/sockwatchctl.8" \
	"man/sockwatchd.conf.5 $P/share/man/man5/sockwatchd.conf.5" \
	"systemd/sockwatchd.catalog ${CATALOGDIR#/}/sockwatchd.catalog" \
	"systemd/sockwatchd.sysusers ${SYSUSERSDIR#/}/sockwatchd.conf" \
	"systemd/sockwatchd-metrics.socket ${UNITDIR#/}/sockwatchd-metrics.socket" \
	"contrib/prometheus/sockwatchd.rules.yml $P/share/doc/sockwatchd/contrib/prometheus/sockwatchd.rules.yml" \
	"contrib/grafana/sockwatchd.json $P/share/doc/sockwatchd/contrib/grafana/sockwatchd.json" \
	"conf/sockwatchd.conf etc/sockwatchd.conf"; do
	read -r src dst <<<"$pair"
	case $src in /*) ;; *) src=$SW_TOP/$src ;; esac
	cmp -s "$src" "$DEST/$dst" || sw_fail "$dst differs from $src"
done
sw_log "ok: installed files are the built and shipped ones"
UNIT=$DEST$UNITDIR/sockwatchd.service
sw_assert_eq "ExecStart=/usr/local/sbin/sockwatchd" "$(grep '^ExecStart=' "$UNIT")" "unit ExecStart"
! grep -n '@[A-Z_]*@' "$UNIT" || sw_fail "placeholder left in the installed unit"
diff <(sed -e 's|@SBINDIR@|/usr/local/sbin|g' -e 's|@BINDIR@|/usr/local/bin|g' \
	-e 's|@SYSCONFDIR@|/etc|g' "$SW_TOP/systemd/sockwatchd.service.in") "$UNIT" ||
	sw_fail "installed unit is not the .in with the directories substituted"

sw_log "systemd-analyze verify, with the installed binary and man pages where the unit names them"
# A private mount namespace puts the staged binary at /usr/local/sbin, where
# ExecStart= points; MANPATH makes verify's man check look at the staged
# pages only (Documentation= must name installed pages).
if command -v man >/dev/null; then mancheck=--man=yes; else mancheck=--man=no; fi
unshare --mount --propagation private -- env MANPATH="$DEST/$P/share/man" bash -c '
	mount --bind "$1/usr/local/sbin" /usr/local/sbin || exit 99
	exec systemd-analyze verify --recursive-errors=no "$2" "$3" "$4"' \
	verify "$DEST" "$mancheck" "$UNIT" "$DEST$UNITDIR/sockwatchd-metrics.socket" \
	>"$SW_TMP/verify.log" 2>&1
rc=$?
cat "$SW_TMP/verify.log"
[ "$rc" = 0 ] || sw_fail "systemd-analyze verify exit $rc"
[ ! -s "$SW_TMP/verify.log" ] || sw_fail "systemd-analyze verify is not clean"
sw_log "ok: systemd-analyze verify clean ($mancheck), the service and the metrics socket"
# The port comes from the socket unit, never from the service itself.
SOCK=$DEST$UNITDIR/sockwatchd-metrics.socket
for want in FileDescriptorName=metrics Service=sockwatchd.service ListenStream=127.0.0.1:9099 \
	IPAddressAllow=localhost IPAddressDeny=any; do
	grep -qx "$want" "$SOCK" || sw_fail "metrics socket unit lacks $want"
done
grep -qx "RestrictAddressFamilies=AF_UNIX AF_NETLINK" "$UNIT" ||
	sw_fail "the service allows more address families than AF_UNIX AF_NETLINK"
! grep -q '^Sockets=' "$UNIT" ||
	sw_fail "the service names the metrics socket: enabling the service would start it"

sw_log "systemd-analyze security --offline=yes"
systemd-analyze security --offline=yes "$UNIT" >"$SW_TMP/security.log" 2>&1
score=$(sed -n 's/^→ Overall exposure level for sockwatchd.service: \([0-9.]*\) .*/\1/p' \
	"$SW_TMP/security.log")
[ -n "$score" ] || { cat "$SW_TMP/security.log"; sw_fail "no exposure score"; }
echo "exposure level of the installed sockwatchd.service: $score"
grep '✗' "$SW_TMP/security.log" | sed 's/^/    /'
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || sw_fail "exposure $score is over 2.0"
systemd-analyze security --offline=yes --threshold=20 "$UNIT" >/dev/null ||
	sw_fail "systemd-analyze security --threshold=20 failed"
# What owner attribution, namespace entry and sock_diag need must hold
# whatever the score.
for want in User=sockwatchd NoNewPrivileges=yes \
	"CapabilityBoundingSet=CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" \
	"AmbientCapabilities=CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" \
	RestrictNamespaces=net LimitNOFILE=32768 \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK" RuntimeDirectory=sockwatchd \
	Type=notify Restart=on-failure "ExecReload=/bin/kill -HUP \$MAINPID"; do
	grep -qxF "$want" "$UNIT" || sw_fail "unit lacks '$want'"
done
for bad in PrivateNetwork=yes PrivateUsers=yes DynamicUser=yes; do
	! grep -qxF "$bad" "$UNIT" || sw_fail "unit sets $bad: sock_diag or owner attribution would break"
done
sw_log "ok: exposure $score <= 2.0"

sw_log "reinstall: a changed /etc/sockwatchd.conf is kept"
echo "; local change" >>"$DEST/etc/sockwatchd.conf"
rm "$DEST/$P/sbin/sockwatchd"
swmake install DESTDIR="$DEST"
expect_files "$DEST" "${INSTALLED[@]}"
sw_assert_eq "; local change" "$(tail -n 1 "$DEST/etc/sockwatchd.conf")" "kept configuration"
grep -q 'sockwatchd.conf exists: left as it is' "$SW_TMP/make.log" ||
	sw_fail "install did not say it kept the configuration"

sw_log "uninstall: everything but the changed configuration goes"
swmake uninstall DESTDIR="$DEST"
expect_files "$DEST" "644 etc/sockwatchd.conf"
sw_assert_eq "" "$(cat "$CALLS")" "commands run by a DESTDIR uninstall"
cp "$SW_TOP/conf/sockwatchd.conf" "$DEST/etc/sockwatchd.conf"
swmake uninstall DESTDIR="$DEST"
expect_files "$DEST"

sw_log "PREFIX=/usr, SYSCONFDIR, MANDIR and the systemd directories overridden"
D2=$SW_TMP/dest2
swmake install DESTDIR="$D2" PREFIX=/usr SYSCONFDIR=/opt/etc MANDIR=/usr/share/man \
	UNITDIR=/usr/lib/systemd/system CATALOGDIR=/opt/catalog SYSUSERSDIR=/opt/sysusers
expect_files "$D2" "755 usr/sbin/sockwatchd" "755 usr/bin/sockwatchctl" \
	"644 usr/share/man/man8/sockwatchd.8" "644 usr/share/man/man8/sockwatchctl.8" \
	"644 usr/share/man/man5/sockwatchd.conf.5" \
	"644 usr/lib/systemd/system/sockwatchd.service" "644 opt/catalog/sockwatchd.catalog" \
	"644 usr/lib/systemd/system/sockwatchd-metrics.socket" \
	"644 usr/share/doc/sockwatchd/contrib/README.md" \
	"644 usr/share/doc/sockwatchd/contrib/prometheus/sockwatchd.rules.yml" \
	"644 usr/share/doc/sockwatchd/contrib/prometheus/sockwatchd.rules.test.yml" \
	"644 usr/share/doc/sockwatchd/contrib/grafana/sockwatchd.json" \
	"644 opt/sysusers/sockwatchd.conf" "644 opt/etc/sockwatchd.conf"
sw_assert_eq "ExecStart=/usr/sbin/sockwatchd" \
	"$(grep '^ExecStart=' "$D2/usr/lib/systemd/system/sockwatchd.service")" "unit ExecStart with PREFIX=/usr"
swmake uninstall DESTDIR="$D2" PREFIX=/usr SYSCONFDIR=/opt/etc MANDIR=/usr/share/man \
	UNITDIR=/usr/lib/systemd/system CATALOGDIR=/opt/catalog SYSUSERSDIR=/opt/sysusers
expect_files "$D2"

sw_log "a real install (no DESTDIR) creates the user and updates the catalog, never runs systemctl"
# Every directory points into the test's tree; the stand-ins record the
# post-install commands instead of running them.
L=$SW_TMP/live
LIVE=(PREFIX="$L/usr" SYSCONFDIR="$L/etc" UNITDIR="$L/unit" CATALOGDIR="$L/catalog"
      SYSUSERSDIR="$L/sysusers" DESTDIR=)
swmake install "${LIVE[@]}"
sw_assert_eq "systemd-sysusers $L/sysusers/sockwatchd.conf
journalctl --update-catalog" "$(cat "$CALLS")" "post-install commands"
[ -x "$L/usr/sbin/sockwatchd" ] || sw_fail "no $L/usr/sbin/sockwatchd"
swmake uninstall "${LIVE[@]}"
sw_assert_eq "journalctl --update-catalog" "$(cat "$CALLS")" "post-uninstall commands"
expect_files "$L"
echo "PASS: install/uninstall file list and modes, unit verified, exposure $score"
