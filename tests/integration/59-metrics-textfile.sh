#!/bin/bash
# Issue 15, the textfile: sockwatchd in a test namespace with [metrics]
# textfile = DIR/sockwatchd.prom, textfile_interval = 1s and no endpoint of
# its own; Debian's node_exporter in the same namespace reads DIR with its
# textfile collector only. Scraped with curl: node_textfile_scrape_error 0,
# the test listener's sockwatch_accept_queue_length and _limit equal to
# ss's Recv-Q and Send-Q, node_textfile_mtime_seconds of the file moving
# forward (it is rewritten). The file is mode 0644, passes promtool check
# metrics and never has a process_ series (node_exporter has its own). A
# reload pointing textfile into a directory that does not exist removes the
# old file (node_exporter then has no sockwatch_ series), and status --json
# counts textfile errors with the last one named, while polls go on and none
# is late; a reload back: written again. After SIGTERM no
# temporary file (.sockwatchd.prom.*) is left in the directory.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
NODE=/usr/bin/prometheus-node-exporter
[ -x "$NODE" ] || sw_fail "$NODE not installed (make deps installs prometheus-node-exporter)"
for c in promtool curl; do
	command -v "$c" >/dev/null || sw_fail "$c not installed (make deps: prometheus, curl)"
done

port=8080 backlog=8 waiting=5 nport=9100
L=127.0.0.1:$port
dir=$SW_TMP/textfile
file=$dir/sockwatchd.prom
missing=$SW_TMP/missing
mkdir -p "$dir" || sw_fail "mkdir $dir"

sw_netns_new ns
in_ns() { ip netns exec "$ns" "$@"; }

# --- a listener with 5 of its 8 places taken (never accept()ed)
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog $backlog
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count $waiting
queued() { [ "$(swc_ss_listen "$ns" $port | awk '{ print $1 }')" = $waiting ]; }
sw_wait_for 10 queued || sw_fail "ss never showed Recv-Q $waiting: $(swc_ss_listen "$ns" $port)"

# --- sockwatchd, the textfile only
conf=$SW_TMP/sw.conf
write_conf() {  # TEXTFILE
	cat >"$conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 1s
log_target = stderr
[metrics]
textfile = $1
textfile_interval = 1s
CONF
}
write_conf "$file"
sw_bg "$ns" "$SWD_BIN" -c "$conf" --control-socket "$SW_TMP/control" 2>"$SW_TMP/daemon.err"
swd_pid=$SW_LAST_PID
status() { "$SWD_CTL" --socket "$SW_TMP/control" status --json >"$SW_TMP/status.json" 2>"$SW_TMP/status.err"; }
d() { jq -r ".daemon | $1 | tostring" "$SW_TMP/status.json"; }

# The file as it is now: a copy (the daemon renames a new one over it every
# second), its mode, and never a process_ series.
snap() {
	cp "$file" "$SW_TMP/snap.prom" 2>/dev/null || return 1
	if grep -q '^\(# \(HELP\|TYPE\) \)\?process_' "$SW_TMP/snap.prom"; then
		sw_fail "the textfile has process_ series: $(grep 'process_' "$SW_TMP/snap.prom")"
	fi
	return 0
}
sw_poll_for 10 snap || sw_fail "no $file after 10 s: $(cat "$SW_TMP/daemon.err")"
sw_assert_eq 644 "$(stat -c %a "$file")" "textfile mode"
sw_assert_eq "0 0" "$(stat -c '%u %g' "$file")" "textfile owner"
out=$(promtool check metrics <"$SW_TMP/snap.prom" 2>&1)
rc=$?
sw_assert_eq "0:" "$rc:$out" "promtool check metrics on the textfile (exit:output)"
grep -q "^sockwatch_polls_total [1-9]" "$SW_TMP/snap.prom" ||
	sw_fail "textfile without polls: $(grep polls_total "$SW_TMP/snap.prom")"
status || sw_fail "sockwatchctl status --json: $(cat "$SW_TMP/status.err")"
sw_assert_eq "null $file 0 null" "$(d '[.metrics.listen, .metrics.textfile, .metrics.textfile_errors,
	.metrics.textfile_last_error] | map(tostring) | join(" ")')" \
	"daemon.metrics: listen textfile textfile_errors textfile_last_error"
[ "$(d .metrics.textfile_writes)" -ge 1 ] || sw_fail "daemon.metrics.textfile_writes $(d .metrics.textfile_writes)"

# --- node_exporter, the textfile collector alone
sw_bg "$ns" "$NODE" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$dir" --web.listen-address=127.0.0.1:$nport \
	2>"$SW_TMP/node.err"
node_pid=$SW_LAST_PID
scrape() {  # FILE: one scrape of node_exporter
	in_ns curl -sf --max-time 3 -o "$1" "http://127.0.0.1:$nport/metrics"
}
# sample FILE NAME LABELSUBSTR: the value of the one sample of NAME whose
# labels contain LABELSUBSTR ("" unless exactly one).
sample() {
	awk -v n="$2" -v l="$3" '
		index($0, n "{") == 1 && index($0, l) { v = $NF; c++ }
		END { if (c == 1) print v }' "$1"
}
mtime_sel="file=\"$file\""
mtime_of() { sample "$1" node_textfile_mtime_seconds "$mtime_sel"; }
scraped() { kill -0 "$node_pid" 2>/dev/null && scrape "$SW_TMP/node1.prom" && [ -n "$(mtime_of "$SW_TMP/node1.prom")" ]; }
sw_poll_for 15 scraped || sw_fail "node_exporter has no node_textfile_mtime_seconds{$mtime_sel} after 15 s:
$(grep textfile "$SW_TMP/node1.prom" 2>/dev/null) $(tail -n 5 "$SW_TMP/node.err")"
sw_log "node_exporter $("$NODE" --version 2>&1 | awk 'NR == 1 { print $3 }') on 127.0.0.1:$nport"
sw_assert_eq 0 "$(awk '$1 == "node_textfile_scrape_error" { print $2 }' "$SW_TMP/node1.prom")" \
	"node_textfile_scrape_error"
read -r ss_recvq ss_sendq _ <<<"$(swc_ss_listen "$ns" $port)"
lsel="listener=\"$L\""
sw_log "ss: Recv-Q $ss_recvq Send-Q $ss_sendq; node_exporter: $(grep "^sockwatch_accept_queue_[a-z]*{.*$lsel" "$SW_TMP/node1.prom" | tr '\n' ' ')"
sw_assert_eq "$waiting $backlog" "$ss_recvq $ss_sendq" "ss Recv-Q Send-Q"
sw_assert_eq "$ss_recvq" "$(sample "$SW_TMP/node1.prom" sockwatch_accept_queue_length "$lsel")" \
	"node_exporter: sockwatch_accept_queue_length of $L vs ss Recv-Q"
sw_assert_eq "$ss_sendq" "$(sample "$SW_TMP/node1.prom" sockwatch_accept_queue_limit "$lsel")" \
	"node_exporter: sockwatch_accept_queue_limit of $L vs ss Send-Q"
sw_assert_eq 1 "$(sample "$SW_TMP/node1.prom" sockwatch_listener_info "$lsel")" \
	"node_exporter: sockwatch_listener_info of $L"
# node_exporter's own process_ series are there, and are its own: one of
# each name (a textfile process_ series would clash or add one).
sw_assert_eq 1 "$(grep -c '^process_start_time_seconds ' "$SW_TMP/node1.prom")" \
	"node_exporter: one process_start_time_seconds"

# --- the file is rewritten: its mtime moves forward
m1=$(mtime_of "$SW_TMP/node1.prom")
newer() {
	snap && scrape "$SW_TMP/node2.prom" && m2=$(mtime_of "$SW_TMP/node2.prom") &&
		[ -n "$m2" ] && awk -v a="$m1" -v b="$m2" 'BEGIN { exit !(b + 0 > a + 0) }'
}
sw_poll_for 5 newer || sw_fail "node_textfile_mtime_seconds stayed at $m1 for 5 s"
sw_log "ok: node_textfile_mtime_seconds $m1 -> $m2"
sw_assert_eq 0 "$(awk '$1 == "node_textfile_scrape_error" { print $2 }' "$SW_TMP/node2.prom")" \
	"node_textfile_scrape_error, second scrape"
sw_assert_eq "$ss_sendq" "$(sample "$SW_TMP/node2.prom" sockwatch_accept_queue_limit "$lsel")" \
	"node_exporter: sockwatch_accept_queue_limit of $L, second scrape"
sw_assert_eq 644 "$(stat -c %a "$file")" "textfile mode after a rewrite"

# --- reload into a directory that does not exist: errors counted, polls go on
status || sw_fail "sockwatchctl status --json"
writes=$(d .metrics.textfile_writes)
[ "$writes" -ge 2 ] || sw_fail "daemon.metrics.textfile_writes $writes after the file was rewritten"
sw_log "ok: daemon.metrics.textfile_writes $writes"
write_conf "$missing/sockwatchd.prom"
kill -HUP "$swd_pid"
failing() {
	status && [ "$(d .metrics.textfile)" = "$missing/sockwatchd.prom" ] &&
		[ "$(d .metrics.textfile_errors)" -gt 0 ] && [ "$(d .metrics.textfile_last_error)" != null ]
}
sw_poll_for 10 failing || sw_fail "no textfile error after the reload: $(jq -c .daemon.metrics "$SW_TMP/status.json") $(cat "$SW_TMP/daemon.err")"
sw_log "daemon.metrics: $(jq -c .daemon.metrics "$SW_TMP/status.json")"
# The file it no longer writes is removed at the reload, so node_exporter
# does not serve ever older figures from it.
[ ! -e "$file" ] || sw_fail "$file still there after the reload moved the textfile"
grep -qF "Removed the old metrics textfile $file" "$SW_TMP/daemon.err" ||
	sw_fail "no word of the old textfile's removal: $(cat "$SW_TMP/daemon.err")"
scrape "$SW_TMP/node4.prom" || sw_fail "scrape of node_exporter after the reload"
sw_assert_eq "0 0" "$(awk '$1 == "node_textfile_scrape_error" { e = $2 } /^sockwatch_/ || /^node_textfile_mtime_seconds/ { n++ }
	END { print e, n + 0 }' "$SW_TMP/node4.prom")" \
	"node_exporter after the reload: node_textfile_scrape_error, sockwatch_ and mtime series"
errs1=$(d .metrics.textfile_errors) polls1=$(d .polls) writes1=$(d .metrics.textfile_writes)
sw_assert_eq "No such file or directory" "$(d .metrics.textfile_last_error)" "daemon.metrics.textfile_last_error"
going_on() {
	status && [ "$(d .polls)" -ge $((polls1 + 2)) ] && [ "$(d .metrics.textfile_errors)" -gt "$errs1" ]
}
sw_poll_for 10 going_on || sw_fail "polls or textfile errors stood still after the reload: $(jq -c .daemon "$SW_TMP/status.json")"
sw_assert_eq "0 true 0 $writes1" "$(d '[.late_polls, .last_poll_ok, .poll_errors, .metrics.textfile_writes] |
	map(tostring) | join(" ")')" "daemon: late_polls last_poll_ok poll_errors textfile_writes"
sw_log "ok: polls $polls1 -> $(d .polls), textfile_errors $errs1 -> $(d .metrics.textfile_errors)"
grep -qF "Failed to write the metrics textfile $missing/sockwatchd.prom" "$SW_TMP/daemon.err" ||
	sw_fail "no warning on stderr: $(cat "$SW_TMP/daemon.err")"
[ "$(grep -cF "Failed to write the metrics textfile" "$SW_TMP/daemon.err")" = 1 ] ||
	sw_fail "the failing write is warned about more than once: $(cat "$SW_TMP/daemon.err")"
[ ! -e "$missing" ] || sw_fail "$missing was created"

# --- reload back: written again, and the errors stop
write_conf "$file"
kill -HUP "$swd_pid"
again() {
	status && [ "$(d .metrics.textfile)" = "$file" ] && [ "$(d .metrics.textfile_writes)" -gt "$writes1" ] &&
		[ "$(d .metrics.textfile_last_error)" = null ]
}
sw_poll_for 10 again || sw_fail "textfile not written again: $(jq -c .daemon.metrics "$SW_TMP/status.json")"
sw_log "daemon.metrics: $(jq -c .daemon.metrics "$SW_TMP/status.json")"
snap || sw_fail "no $file after the reload back"
sw_assert_eq 0 "$(d .late_polls)" "daemon.late_polls"
# Never written, so never removed: no word of it.
! grep -qF "Removed the old metrics textfile $missing" "$SW_TMP/daemon.err" ||
	sw_fail "the daemon says it removed $missing/sockwatchd.prom, which it never wrote"

# --- SIGTERM: exit 0, nothing but the file left in its directory
kill -TERM "$swd_pid"
wait "$swd_pid"
sw_assert_eq 0 $? "sockwatchd exit status after SIGTERM"
sw_assert_eq "sockwatchd.prom" "$(find "$dir" -mindepth 1 -printf "%f\n" | sort | tr "\n" " " | sed "s/ $//")" "files left in $dir"
sw_assert_eq 644 "$(stat -c %a "$file")" "textfile mode at the end"
scrape "$SW_TMP/node3.prom" || sw_fail "scrape of node_exporter after the daemon stopped"
sw_assert_eq 0 "$(awk '$1 == "node_textfile_scrape_error" { print $2 }' "$SW_TMP/node3.prom")" \
	"node_textfile_scrape_error after the daemon stopped"
echo "PASS: node_exporter reads sockwatchd's textfile (queue $ss_recvq/$ss_sendq as ss, mtime moving, 0644, no process_); textfile errors counted while polls go on"
