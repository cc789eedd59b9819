#!/bin/bash
# Issue 14: UNIX-domain listeners against `ss -xl` in a test namespace.
# Path-bound, abstract, seqpacket and relative listeners, listen(0), a
# queue over its limit and somaxconn clamping, made by tests/tools/ufill;
# one `sockwatchd --once` lists exactly ss's listening stream and seqpacket
# sockets with ss's Recv-Q/Send-Q as depth/limit. A running daemon that saw
# a listener clamped by somaxconn keeps naming somaxconn after it changes
# (somaxconn_stale). Then the config: `unix = no`, `[filter] paths` /
# `exclude_paths`, `[listener PATH]` thresholds and `ignore`, and
# --check-config on a malformed `unix =`.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
sw_require_root
swc_require_tools
command -v jq >/dev/null || sw_fail "jq not installed (make deps)"
SWD=$SW_BUILD/sockwatchd
CTL=$SW_BUILD/sockwatchctl
for b in "$SWD" "$CTL" "$SWC_UFILL"; do
	[ -x "$b" ] || sw_fail "$b not built (make BUILD=${BUILD:-build} tests)"
done


# ss_unix NS: "name type recvq sendq inode" of each listening UNIX stream
# or seqpacket socket, sorted. ss -xl also lists unconnected datagram and
# unbound sockets (state UNCONN): only u_str/u_seq LISTEN lines count.
ss_unix() {
	ip netns exec "$1" ss -xlH | awk '
		($1 == "u_str" || $1 == "u_seq") && $2 == "LISTEN" {
			print $5, ($1 == "u_str" ? "stream" : "seqpacket"), $3, $4, $6 }' | sort
}
# json_unix FILE: the same line for each family "unix" listener of a status
# document, sorted.
json_unix() {
	jq -r '.listeners[] | select(.family == "unix") |
		"\(.listener) \(.type) \(.accept.depth) \(.accept.limit) \(.inode)"' "$1" | sort
}
# once NAME CONF: one `sockwatchd --once` in $ns into $SW_TMP/NAME.json.
once() {
	ip netns exec "$ns" "$SWD" --once -c "$2" >"$SW_TMP/$1.json" 2>"$SW_TMP/$1.err"
	local rc=$?
	sw_assert_eq 0 "$rc" "$1: --once exit status ($(cat "$SW_TMP/$1.err"))"
	[ ! -s "$SW_TMP/$1.err" ] || sw_fail "$1: --once wrote to stderr: $(cat "$SW_TMP/$1.err")"
	jq -e . "$SW_TMP/$1.json" >/dev/null || sw_fail "$1: --once output is not JSON"
}
# ul FILE LISTENER JQ: JQ applied to the one listener named LISTENER.
ul() {
	jq -r --arg l "$2" "[.listeners[] | select(.listener == \$l)] |
		if length == 1 then .[0] | $3 else \"<\(length) listeners>\" end" "$1"
}
# names FILE: the family "unix" listener names, sorted, one a line.
names() { jq -r '.listeners[] | select(.family == "unix") | .listener' "$1" | sort; }

sw_netns_new ns
dir=$SW_TMP/u
mkdir -p "$dir/rel"
abs=swt-$$-abs

# --- somaxconn clamping: listen(64) while the namespace's somaxconn is 8
ip netns exec "$ns" sysctl -qw net.core.somaxconn=8 || sw_fail "sysctl somaxconn in $ns"
ufill_bg "$ns" somax listen --backlog 64 --path "$dir/somax.sock"
somax_pid=$SW_LAST_PID
ufill_bg "$ns" somax-c connect --path "$dir/somax.sock" --count 2

# A running daemon sees it at somaxconn 8, then somaxconn goes up to 1000:
# the limit stays 8 and somaxconn is still what bound it, now stale.
cat >"$SW_TMP/run.conf" <<CONF
[daemon]
namespaces = own
interval = 200ms
fast_interval = 100ms
log_target = stderr
CONF
sw_bg "$ns" "$SWD" -c "$SW_TMP/run.conf" --control-socket "$SW_TMP/control" 2>"$SW_TMP/daemon.err"
swd_pid=$SW_LAST_PID
status() { "$CTL" --socket "$SW_TMP/control" status --json >"$SW_TMP/run.json" 2>/dev/null; }
seen() { status && [ "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.limit)" = 8 ]; }
sw_wait_for 10 seen || sw_fail "daemon never listed $dir/somax.sock with limit 8: $(cat "$SW_TMP/daemon.err")"
sw_assert_eq net.core.somaxconn "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.limit_source)" \
	"somaxconn 8: limit_source"
sw_assert_eq false "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.somaxconn_stale)" \
	"somaxconn 8: somaxconn_stale"
ip netns exec "$ns" sysctl -qw net.core.somaxconn=1000 || sw_fail "sysctl somaxconn in $ns"
polls0=$(jq .daemon.polls "$SW_TMP/run.json")
raised() {
	status && [ "$(jq '.namespaces[0].somaxconn' "$SW_TMP/run.json")" = 1000 ] &&
		[ "$(jq .daemon.polls "$SW_TMP/run.json")" -ge $((polls0 + 2)) ]
}
sw_wait_for 10 raised || sw_fail "daemon never saw somaxconn 1000: $(jq -c .namespaces "$SW_TMP/run.json")"
sw_assert_eq 8 "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.limit)" "somaxconn 1000: limit"
sw_assert_eq net.core.somaxconn "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.limit_source)" \
	"somaxconn 1000: limit_source"
sw_assert_eq true "$(ul "$SW_TMP/run.json" "$dir/somax.sock" .accept.somaxconn_stale)" \
	"somaxconn 1000: somaxconn_stale"
kill -TERM "$swd_pid"
for _ in $(seq 50); do kill -0 "$swd_pid" 2>/dev/null || break; sleep 0.1; done
wait "$swd_pid"
sw_assert_eq 0 "$?" "daemon exit status after SIGTERM"

# --- the other listeners, made at somaxconn 1000
ufill_bg "$ns" astr listen --backlog 16 --path "$dir/a-stream.sock"
astr_pid=$SW_LAST_PID
ufill_bg "$ns" astr-c connect --path "$dir/a-stream.sock" --count 3
ufill_bg "$ns" aseq listen --seqpacket --backlog 16 --path "$dir/a-seq.sock"
ufill_bg "$ns" aseq-c connect --seqpacket --path "$dir/a-seq.sock" --count 1
ufill_bg "$ns" abs listen --backlog 16 --abstract "$abs"
abs_pid=$SW_LAST_PID
ufill_bg "$ns" abs-c connect --abstract "$abs" --count 2
# Over its limit: listen(4) holds 5, the other 5 connect()s get EAGAIN.
ufill_bg "$ns" full listen --backlog 4 --path "$dir/b.sock"
full_pid=$SW_LAST_PID
ufill_bg "$ns" full-c connect --path "$dir/b.sock" --count 10
sw_assert_eq 5 "$(ufill_count full-c EAGAIN)" "b.sock: connects refused with EAGAIN"
sw_assert_eq 5 "$(ufill_count full-c CONNECTED)" "b.sock: connects queued"
# listen(0): takes one; idle, and a seqpacket one over its limit.
ufill_bg "$ns" zero listen --backlog 0 --path "$dir/zero.sock"
ufill_bg "$ns" zseq listen --seqpacket --backlog 0 --path "$dir/zero-seq.sock"
ufill_bg "$ns" zseq-c connect --seqpacket --path "$dir/zero-seq.sock" --count 2
sw_assert_eq 1 "$(ufill_count zseq-c EAGAIN)" "zero-seq.sock: connects refused with EAGAIN"
# A relative name, bound from $dir/rel.
ufill_bg "$ns" rel listen --backlog 16 --chdir "$dir/rel" --path r.sock
rel_pid=$SW_LAST_PID
[ -S "$dir/rel/r.sock" ] || sw_fail "r.sock not bound in $dir/rel"
# One TCP listener, for the filters that must leave it alone.
swc_listen "$ns" tcp --bind 127.0.0.1 --port 8080 --backlog 16

ss_unix "$ns" >"$SW_TMP/ss.unix"
sw_log "ss -xl:"; sed 's/^/#   /' "$SW_TMP/ss.unix"
sw_assert_eq 8 "$(wc -l <"$SW_TMP/ss.unix")" "ss -xl listening stream+seqpacket sockets"
ssq() { awk -v n="$1" '$1 == n { print $3 "/" $4 }' "$SW_TMP/ss.unix"; }
sw_assert_eq 5/4 "$(ssq "$dir/b.sock")" "ss: b.sock Recv-Q/Send-Q"
sw_assert_eq 2/8 "$(ssq "$dir/somax.sock")" "ss: somax.sock Recv-Q/Send-Q"
sw_assert_eq 0/0 "$(ssq "$dir/zero.sock")" "ss: zero.sock Recv-Q/Send-Q"
sw_assert_eq 1/0 "$(ssq "$dir/zero-seq.sock")" "ss: zero-seq.sock Recv-Q/Send-Q"
sw_assert_eq 0/16 "$(ssq r.sock)" "ss: r.sock Recv-Q/Send-Q"
sw_assert_eq 2/16 "$(ssq "@$abs")" "ss: @$abs Recv-Q/Send-Q"

# --- one --once: the same set as ss, the same figures
printf '[daemon]\nnamespaces = own\nlog_target = stderr\n' >"$SW_TMP/once.conf"
once main "$SW_TMP/once.conf"
ss_unix "$ns" >"$SW_TMP/ss.after"
cmp -s "$SW_TMP/ss.unix" "$SW_TMP/ss.after" || sw_fail "ss -xl moved during --once:
$(diff "$SW_TMP/ss.unix" "$SW_TMP/ss.after")"
json_unix "$SW_TMP/main.json" >"$SW_TMP/json.unix"
diff -u "$SW_TMP/ss.unix" "$SW_TMP/json.unix" >"$SW_TMP/diff" ||
	sw_fail "unix listeners: ss -xl (-) vs --once (+), name type depth limit inode:
$(cat "$SW_TMP/diff")"
sw_log "ok: --once lists ss's 8 UNIX listeners with its Recv-Q, Send-Q and inode"
sw_assert_eq "$(ip netns exec "$ns" ss -ltnH | wc -l)" \
	"$(jq '[.listeners[] | select(.family != "unix")] | length' "$SW_TMP/main.json")" "TCP listeners vs ss -ltn"

# Every UNIX listener's fixed fields.
m=$SW_TMP/main.json
while read -r name type _ _ inode; do
	case $name in @*) a=true r=false ;; /*) a=false r=false ;; *) a=false r=true ;; esac
	sw_assert_eq "unix null null $name $a $r" \
		"$(ul "$m" "$name" '"\(.family) \(.address) \(.port) \(.path) \(.abstract) \(.relative)"')" \
		"$name: family address port path abstract relative"
	sw_assert_eq "null null host" "$(ul "$m" "$name" '"\(.syn) \(.drops) \(.netns)"')" "$name: syn drops netns"
	sw_assert_eq "0 ufill" "$(ul "$m" "$name" '"\(.uid) \(.process.comm)"')" "$name: uid process.comm"
	grep -q "^LISTEN $type $inode " "$SW_TMP"/*.out || sw_fail "$name: inode $inode is no ufill listener's"
done <"$SW_TMP/ss.unix"
for l in "$dir/somax.sock:$somax_pid" "$dir/a-stream.sock:$astr_pid" "@$abs:$abs_pid" \
	 "$dir/b.sock:$full_pid" "r.sock:$rel_pid"; do
	sw_assert_eq "${l##*:}" "$(ul "$m" "${l%:*}" .process.pid)" "${l%:*}: process.pid"
done
# States: over the limit is critical at once, the rest ok.
for l in "$dir/b.sock" "$dir/zero-seq.sock"; do
	sw_assert_eq "critical true" "$(ul "$m" "$l" '"\(.state) \(.accept.full)"')" "$l: state accept.full"
	sw_assert_eq listen-backlog "$(ul "$m" "$l" .accept.limit_source)" "$l: limit_source"
done
for l in "$dir/a-stream.sock" "$dir/a-seq.sock" "@$abs" "$dir/zero.sock" "$dir/somax.sock" r.sock; do
	sw_assert_eq "ok false" "$(ul "$m" "$l" '"\(.state) \(.accept.full)"')" "$l: state accept.full"
done
sw_assert_eq 125 "$(ul "$m" "$dir/b.sock" '.accept.percent | round')" "b.sock: accept.percent"
# One poll: full in it, for no time yet; never full: zero.
sw_assert_eq "1 0" "$(ul "$m" "$dir/b.sock" '"\(.accept.full_polls) \(.accept.full_ms)"')" \
	"b.sock: accept.full_polls full_ms"
sw_assert_eq "0 0" "$(ul "$m" "$dir/zero.sock" '"\(.accept.full_polls) \(.accept.full_ms)"')" \
	"zero.sock: accept.full_polls full_ms"
sw_assert_eq "listen-backlog false" \
	"$(ul "$m" "$dir/a-stream.sock" '"\(.accept.limit_source) \(.accept.somaxconn_stale)"')" \
	"a-stream.sock: limit_source somaxconn_stale"
sw_log "somax.sock in --once (first seen at somaxconn 1000): $(ul "$m" "$dir/somax.sock" ".accept | tojson")"

# --- unix = no: no UNIX listener, TCP still there
printf '[daemon]\nnamespaces = own\nlog_target = stderr\nunix = no\n' >"$SW_TMP/nounix.conf"
once nounix "$SW_TMP/nounix.conf"
sw_assert_eq 0 "$(jq '[.listeners[] | select(.family == "unix")] | length' "$SW_TMP/nounix.json")" \
	"unix = no: UNIX listeners"
sw_assert_eq 127.0.0.1:8080 "$(jq -r '[.listeners[].listener] | join(" ")' "$SW_TMP/nounix.json")" \
	"unix = no: listeners"

# --- [filter] paths: only the matching ones; TCP untouched
cat >"$SW_TMP/paths.conf" <<CONF
[daemon]
namespaces = own
log_target = stderr
[filter]
paths = $dir/a*
CONF
once paths "$SW_TMP/paths.conf"
sw_assert_eq "$dir/a-seq.sock $dir/a-stream.sock" "$(names "$SW_TMP/paths.json" | xargs)" "paths = $dir/a*"
sw_assert_eq 1 "$(jq '[.listeners[] | select(.port == 8080)] | length' "$SW_TMP/paths.json")" \
	"paths = ...: the TCP listener stays"
# A path glob with FNM_PATHNAME: '*' does not cross '/'.
printf '[daemon]\nnamespaces = own\nlog_target = stderr\n[filter]\npaths = %s/*.sock, @swt-*\n' \
	"$SW_TMP" >"$SW_TMP/slash.conf"
once slash "$SW_TMP/slash.conf"
sw_assert_eq "@$abs" "$(names "$SW_TMP/slash.json" | xargs)" "paths = $SW_TMP/*.sock, @swt-*"
# ports filters apply to TCP only: every UNIX listener stays.
printf '[daemon]\nnamespaces = own\nlog_target = stderr\n[filter]\nports = 9999\n' >"$SW_TMP/ports.conf"
once ports "$SW_TMP/ports.conf"
sw_assert_eq "$(awk '{ print $1 }' "$SW_TMP/ss.unix" | sort | xargs)" "$(names "$SW_TMP/ports.json" | xargs)" \
	"ports = 9999: UNIX listeners"
sw_assert_eq 0 "$(jq '[.listeners[] | select(.family != "unix")] | length' "$SW_TMP/ports.json")" \
	"ports = 9999: TCP listeners"

# --- [filter] exclude_paths
cat >"$SW_TMP/excl.conf" <<CONF
[daemon]
namespaces = own
log_target = stderr
[filter]
exclude_paths = $dir/zero*, @*, r.sock
CONF
once excl "$SW_TMP/excl.conf"
sw_assert_eq "$dir/a-seq.sock $dir/a-stream.sock $dir/b.sock $dir/somax.sock" \
	"$(names "$SW_TMP/excl.json" | xargs)" "exclude_paths = $dir/zero*, @*, r.sock"

# --- [listener PATH] overrides: thresholds (with and without a namespace
# part), and ignore
cat >"$SW_TMP/ovr.conf" <<CONF
[daemon]
namespaces = own
log_target = stderr
[listener $dir/b.sock]
warn = 40%
critical = 50%
clear = 30%
[listener $dir/a-str*.sock]
warn = 10%
critical = 15%
clear = 5%
[listener h*/$dir/a-seq.sock]
warn = 5%
clear = 1%
CONF
once ovr "$SW_TMP/ovr.conf"
o=$SW_TMP/ovr.json
sw_assert_eq "40 50 30" "$(ul "$o" "$dir/b.sock" '.thresholds | "\(.warn) \(.critical) \(.clear)"')" \
	"[listener b.sock]: thresholds"
sw_assert_eq "10 15 5" "$(ul "$o" "$dir/a-stream.sock" '.thresholds | "\(.warn) \(.critical) \(.clear)"')" \
	"[listener a-str*.sock]: thresholds"
sw_assert_eq critical "$(ul "$o" "$dir/a-stream.sock" .state)" "a-stream.sock 3/16 with critical = 15%: state"
sw_assert_eq "5 95 1" "$(ul "$o" "$dir/a-seq.sock" '.thresholds | "\(.warn) \(.critical) \(.clear)"')" \
	"[listener h*/a-seq.sock]: thresholds"
sw_assert_eq warning "$(ul "$o" "$dir/a-seq.sock" .state)" "a-seq.sock 1/16 with warn = 5%: state"
sw_assert_eq "80 95 60" "$(ul "$o" "$dir/zero.sock" '.thresholds | "\(.warn) \(.critical) \(.clear)"')" \
	"zero.sock: [alerts] thresholds"
printf '[daemon]\nnamespaces = own\nlog_target = stderr\n[listener %s/b.sock]\nignore = yes\n' \
	"$dir" >"$SW_TMP/ign.conf"
once ign "$SW_TMP/ign.conf"
sw_assert_eq "<0 listeners>" "$(ul "$SW_TMP/ign.json" "$dir/b.sock" .state)" "ignore = yes: b.sock"
sw_assert_eq 7 "$(names "$SW_TMP/ign.json" | wc -l)" "ignore = yes: the other UNIX listeners"

# --- --check-config: the new keys printed back; a malformed one refused
cat >"$SW_TMP/good.conf" <<CONF
[daemon]
unix = no
[filter]
paths = $dir/a*
exclude_paths = @*
[listener $dir/b.sock]
ignore = yes
CONF
"$SWD" --check-config -c "$SW_TMP/good.conf" >"$SW_TMP/good.out" 2>"$SW_TMP/good.err"
sw_assert_eq 0 "$?" "--check-config on a good file ($(cat "$SW_TMP/good.err"))"
for want in "unix = no" "paths = $dir/a*" "exclude_paths = @*" "[listener $dir/b.sock]"; do
	grep -qxF "$want" "$SW_TMP/good.out" || sw_fail "--check-config does not print '$want':
$(cat "$SW_TMP/good.out")"
done
# bad_config WHAT LINE: --check-config on $SW_TMP/bad.conf exits 1 with a
# "FILE:LINE: " message.
bad_config() {
	"$SWD" --check-config -c "$SW_TMP/bad.conf" >"$SW_TMP/bad.out" 2>"$SW_TMP/bad.err"
	sw_assert_eq 1 "$?" "--check-config on $1"
	grep -q "^$SW_TMP/bad.conf:$2: " "$SW_TMP/bad.err" ||
		sw_fail "no FILE:$2: for $1: $(cat "$SW_TMP/bad.err")"
}
printf '[listener %s/x[.sock]\nignore = yes\n' "$dir" >"$SW_TMP/bad.conf"
bad_config "an unclosed '[' in a [listener PATH] glob" 1
printf '[filter]\npaths = %s/a*\nexclude_paths = /run/[php\n' "$dir" >"$SW_TMP/bad.conf"
bad_config "an unclosed '[' in exclude_paths" 3
printf '[daemon]\nunix = maybe\n' >"$SW_TMP/bad.conf"
bad_config "'unix = maybe'" 2
ip netns exec "$ns" "$SWD" --once -c "$SW_TMP/bad.conf" >/dev/null 2>&1
sw_assert_eq 78 "$?" "--once on 'unix = maybe'"
echo "PASS: UNIX listeners agree with ss -xl; unix = no, paths filters and [listener PATH] work"
