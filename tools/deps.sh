#!/bin/sh
# Installs the Debian packages named on the command line that are missing.
# Idempotent: with everything present it installs nothing and needs no root.
set -eu
missing=""
for p in "$@"; do
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
# Refresh the package lists only when an install fails on stale or absent lists.
apt-get install -y -q --no-install-recommends $missing || {
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
}
