#!/bin/sh
# Installs the Debian packages named on the command line that are missing.
# Idempotent: with everything present it installs nothing and needs no root.
#
# A name may be a lookup instead of a package, for packages whose name
# carries a release-specific version:
#   @clang-rt   the libFuzzer/sanitizer runtimes of the release's default
#               clang (libclang-rt-14-dev on Debian 12, -19- on Debian 13)
#   @nginx      the smallest nginx the release has: nginx-light where it
#               exists (Debian 12), else nginx
set -eu

# The major version of the clang the release installs by default: from the
# installed compiler, else from the package lists.
clang_major() {
	if command -v clang >/dev/null 2>&1; then
		clang -dumpversion | cut -d. -f1
		return
	fi
	apt-cache depends clang 2>/dev/null | sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1
}

resolve() {
	case $1 in
	@clang-rt)
		v=$(clang_major)
		if [ -z "$v" ] && [ "$(id -u)" = 0 ]; then
			apt-get update -q >/dev/null
			v=$(clang_major)
		fi
		[ -n "$v" ] || { echo "make deps: cannot tell which clang this release has" >&2; exit 1; }
		echo "libclang-rt-$v-dev" ;;
	@nginx)
		if dpkg-query -W -f='${Status}' nginx-light 2>/dev/null | grep -q 'install ok installed' ||
		   apt-cache policy nginx-light 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			echo nginx-light
		else
			echo nginx
		fi ;;
	*)	echo "$1" ;;
	esac
}

missing=""
for name in "$@"; do
	p=$(resolve "$name")
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "make deps: missing Debian packages:$missing" >&2
	echo "make deps: run 'sudo make deps' (or install them with apt-get) first" >&2
	exit 1
fi
echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The test tools include daemons (prometheus, node_exporter, nginx,
# php-fpm) that the tests start themselves in their own namespaces: their
# packages must not start them as services on the host. invoke-rc.d asks
# policy-rc.d; one that answers 101 (action forbidden) stands in for the
# length of the install, unless the machine has its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# make deps: no service starts during the install\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Refresh the package lists only when an install fails on stale or absent lists.
apt-get install -y -q --no-install-recommends $missing || {
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
}
