#!/bin/bash
# The layering rule of docs/architecture.md: no pure module includes,
# directly or through other headers, the header of a module that does I/O
# (netlink, /proc, sockets, the journal, the event loop). A pure module is
# one the architecture marks pure; its .c and .h are both checked. The
# checker is also run on a copy of src/ where one pure header includes a
# reader's header, to prove that it fails when the rule is broken. Needs no
# root.
. "$(dirname "$0")/../lib.sh"

# A name checks NAME.c and NAME.h; NAME.h alone checks only the header
# (owner.h is plain data, owner.c the cache that reads /proc).
PURE="addr advice alert check config_value decide diag_parse event filter grow history jsonget
      kernel queue_limits lindex macro.h message journal_wire netns_name nsinfo.h order owner.h owner_unit privsep protocol
      rules snapshot synsched text tracker tracker_step tracker_int.h usnap metrics"
IO="diag sysctl netstat procfs owners owner_int journal control control_socket manager
    manager_int ctlclient faults helper helper_ns procsrc caps nsdisc nsset poll metrics_http
    manager_metrics"

# includes DIR FILE: the project headers FILE includes, transitively.
declare -A seen
includes() {
	local dir=$1 f=$2 h
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$dir/$f"); do
		[ -f "$dir/$h" ] || continue
		[ -n "${seen[$h]:-}" ] && continue
		seen[$h]=1
		echo "$h"
		includes "$dir" "$h"
	done
}

# check DIR: prints each violation; fails if there is one.
check() {
	local dir=$1 m f h files bad=0
	for m in $PURE; do
		case $m in *.h) files=$m ;; *) files="$m.c $m.h" ;; esac
		for f in $files; do
			[ -f "$dir/$f" ] || continue
			seen=()
			for h in $(includes "$dir" "$f"); do
				for io in $IO; do
					if [ "$h" = "$io.h" ]; then
						echo "$f includes $h (directly or through another header)"
						bad=1
					fi
				done
			done
		done
	done
	return $bad
}

n=0
for m in $PURE; do [ -f "$SW_TOP/src/${m%.h}.c" ] || [ -f "$SW_TOP/src/${m%.h}.h" ] && n=$((n + 1)); done
[ "$n" -ge 20 ] || sw_fail "only $n of the pure modules exist: is the list stale?"
out=$(check "$SW_TOP/src") || sw_fail "the pure core includes I/O headers:
$out"
sw_log "ok: $n pure modules include no I/O module's header"

# The checker must catch a violation: queue_limits.h including sysctl.h.
cp -r "$SW_TOP/src" "$SW_TMP/src"
sed -i '0,/#include "kernel.h"/s//#include "kernel.h"\n#include "sysctl.h"/' "$SW_TMP/src/queue_limits.h"
grep -q '"sysctl.h"' "$SW_TMP/src/queue_limits.h" || sw_fail "could not plant the violation"
out=$(check "$SW_TMP/src") && sw_fail "a planted violation went unnoticed"
echo "$out" | grep -q "queue_limits.h includes sysctl.h" || sw_fail "wrong report: $out"
echo "$out" | grep -q "tracker.h includes sysctl.h" || sw_fail "not transitive: $out"
sw_log "ok: a planted violation is reported, transitively ($(echo "$out" | wc -l) lines)"
