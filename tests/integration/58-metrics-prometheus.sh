#!/bin/bash
# Issue 15 with a real Prometheus: sockwatchd in a test namespace serves
# [metrics] listen = 127.0.0.1:9099, Debian's prometheus (same namespace,
# loopback only, its TSDB in the test's directory) scrapes it every second
# and evaluates contrib/prometheus/sockwatchd.rules.yml. A listen(8) queue
# is held full (9 waiting, never accept()ed) while a bounded loop keeps
# connects arriving, so the kernel keeps dropping. Through Prometheus's HTTP
# API: sockwatch_accept_queue_length and _limit of the listener equal ss's
# Recv-Q and Send-Q, rate(sockwatch_listen_drops_total[5s]) > 0, the
# target is up with no scrape error, every rule evaluates without error and
# SockwatchListenerDropping fires with the listener's netns, listener,
# family and comm (SockwatchNotPolling and SockwatchDown do not). A live
# scrape passes `promtool check metrics` and has no duplicate series (a
# check of our own, itself tested on a duplicate first). The daemon's
# status then counts the scrapes, no errors and no late poll.
. "$(dirname "$0")/../lib.sh"
. "$SW_TOP/tests/integration/lib-collector.bash"
. "$SW_TOP/tests/lib-daemon.bash"
sw_require_root
swc_require_tools
swd_require
PROM=/usr/bin/prometheus
[ -x "$PROM" ] || sw_fail "$PROM not installed (make deps installs prometheus)"
for c in promtool curl yq; do
	command -v "$c" >/dev/null || sw_fail "$c not installed (make deps: prometheus, curl, yq)"
done

port=8080 backlog=8 mport=9099 pport=9090
L=127.0.0.1:$port
RULES=$SW_TOP/contrib/prometheus/sockwatchd.rules.yml
[ -f "$RULES" ] || sw_fail "missing $RULES"

# --- the duplicate-series check: one line per sample, its series with the
# labels sorted (so that a reordered duplicate is still one), the value and
# any timestamp left out. Prints "UNPARSABLE <line>" for what it cannot read.
series_of() {
	awk '
	/^#/ || /^[ \t]*$/ { next }
	{
		line = $0
		b = index(line, "{")
		sp = index(line, " ")
		if (b == 0 || (sp > 0 && sp < b)) { print substr(line, 1, sp - 1); next }
		name = substr(line, 1, b - 1)
		rest = substr(line, b + 1)
		n = 0
		bad = 0
		for (guard = 0; guard < 1000; guard++) {
			sub(/^[ ,]*/, "", rest)
			if (substr(rest, 1, 1) == "}") break
			e = index(rest, "=")
			if (e == 0 || substr(rest, e + 1, 1) != "\"") { bad = 1; break }
			key = substr(rest, 1, e - 1)
			rest = substr(rest, e + 2)
			val = ""
			closed = 0
			for (i = 1; i <= length(rest); i++) {
				c = substr(rest, i, 1)
				if (c == "\\") { val = val substr(rest, i, 2); i++; continue }
				if (c == "\"") { closed = 1; break }
				val = val c
			}
			if (!closed) { bad = 1; break }
			rest = substr(rest, i + 1)
			p[++n] = key "=\"" val "\""
		}
		if (bad || guard == 1000) { print "UNPARSABLE " line; next }
		for (i = 2; i <= n; i++) {
			v = p[i]
			for (j = i - 1; j > 0 && p[j] > v; j--) p[j + 1] = p[j]
			p[j + 1] = v
		}
		s = name
		if (n > 0) {
			s = s "{"
			for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") p[i]
			s = s "}"
		}
		print s
	}'
}
# duplicates FILE: the series that occur more than once, and unparsable lines.
duplicates() {
	series_of <"$1" | sort | uniq -d
	series_of <"$1" | grep '^UNPARSABLE '
	return 0
}
# The check must notice a duplicate whose labels come in another order.
cat >"$SW_TMP/dup.prom" <<'PROM'
# HELP m A metric.
# TYPE m gauge
m{a="x",b="y\"}z"} 1
m{b="y\"}z",a="x"} 2
m{a="x",b="other"} 3
n 1
n{} 2
PROM
sw_assert_eq 'm{a="x",b="y\"}z"}
n' "$(duplicates "$SW_TMP/dup.prom")" "duplicate check on a made-up exposition"

# --- the rules Prometheus loads: the shipped file with every for: set to
# 0s, so that an alert fires at the first evaluation that has its condition
# (the shipped 1m..5m would make this test wait minutes). Everything else,
# the expressions first, must be the shipped rules unchanged.
mkdir -p "$SW_TMP/rules" || sw_fail "mkdir"
sed -E 's/^([[:space:]]*for:).*/\1 0s/' "$RULES" >"$SW_TMP/rules/sockwatchd.rules.yml"
same='[.groups[] | {name, rules: [.rules[] | del(.for)]}]'
[ "$(yq -c "$same" "$RULES")" = "$(yq -c "$same" "$SW_TMP/rules/sockwatchd.rules.yml")" ] ||
	sw_fail "the rules copy differs from $RULES in more than for:"
sw_log "ok: rules copy: $(yq '[.groups[].rules[]] | length' "$RULES") rules as shipped but for:"
sw_assert_eq '["0s"]' "$(yq -c '[.groups[].rules[].for] | unique' "$SW_TMP/rules/sockwatchd.rules.yml")" \
	"rules copy: every for:"
yq -e '.groups[].rules[] | select(.alert == "SockwatchListenerDropping")' "$RULES" >/dev/null ||
	sw_fail "the shipped rules have no SockwatchListenerDropping"
promtool check rules "$SW_TMP/rules/sockwatchd.rules.yml" >"$SW_TMP/rules.check" 2>&1 ||
	sw_fail "promtool check rules on the copy: $(cat "$SW_TMP/rules.check")"

sw_netns_new ns
in_ns() { ip netns exec "$ns" "$@"; }

# --- sockwatchd, serving its own endpoint
cat >"$SW_TMP/sw.conf" <<CONF
[daemon]
namespaces = own     # this test is about its own namespace only
interval = 1s
log_target = stderr
[metrics]
listen = 127.0.0.1:$mport
CONF
sw_bg "$ns" "$SWD_BIN" -c "$SW_TMP/sw.conf" --control-socket "$SW_TMP/control" 2>"$SW_TMP/daemon.err"
swd_pid=$SW_LAST_PID
scrape() {  # FILE: one scrape of the daemon, headers in FILE.hdr
	in_ns curl -sf --max-time 3 -D "$1.hdr" -o "$1" "http://127.0.0.1:$mport/metrics"
}
polled() {
	scrape "$SW_TMP/first.prom" &&
		[ "$(awk '$1 == "sockwatch_polls_total" { print $2 }' "$SW_TMP/first.prom")" -ge 1 ] 2>/dev/null
}
sw_poll_for 10 polled || sw_fail "no scrape of 127.0.0.1:$mport with a poll done after 10 s: $(cat "$SW_TMP/daemon.err")"
sw_log "daemon serves /metrics: $(tr -d '\r' <"$SW_TMP/first.prom.hdr" | grep -i '^content-type')"

# --- the full queue: listen(8) holds 9, the other 11 connects are dropped
swc_listen "$ns" srv --bind 127.0.0.1 --port $port --backlog $backlog
swc_connect "$ns" cli --to 127.0.0.1 --port $port --count 20
full() { [ "$(swc_ss_listen "$ns" $port | awk '{ print $1 }')" = $((backlog + 1)) ]; }
sw_wait_for 10 full || sw_fail "ss never showed Recv-Q $((backlog + 1)): $(swc_ss_listen "$ns" $port)"

# More connects all along, so the drop counter keeps rising: two every
# quarter second, each qfill ended before the next; at most 200 rounds or
# 50 s, or until the stop file.
cat >"$SW_TMP/drip.sh" <<'DRIP'
qfill=$1 port=$2 stop=$3
end=$((SECONDS + 50))
for ((i = 0; i < 200; i++)); do
	[ ! -e "$stop" ] && [ "$SECONDS" -lt "$end" ] || break
	"$qfill" connect --to 127.0.0.1 --port "$port" --count 2 >/dev/null 2>&1 &
	sleep 0.25
	kill -TERM $! 2>/dev/null
	wait $!
done
DRIP
sw_bg "$ns" bash "$SW_TMP/drip.sh" "$SWC_QFILL" $port "$SW_TMP/drip.stop"

# --- Prometheus: scrape and evaluate every second, only the daemon
cat >"$SW_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $SW_TMP/rules/sockwatchd.rules.yml
scrape_configs:
  - job_name: sockwatchd
    static_configs:
      - targets: ['127.0.0.1:$mport']
YML
promtool check config "$SW_TMP/prometheus.yml" >"$SW_TMP/config.check" 2>&1 ||
	sw_fail "promtool check config: $(cat "$SW_TMP/config.check")"
sw_bg "$ns" "$PROM" --config.file="$SW_TMP/prometheus.yml" \
	--storage.tsdb.path="$SW_TMP/tsdb" --web.listen-address=127.0.0.1:$pport \
	--log.level=warn 2>"$SW_TMP/prometheus.err"
prom_pid=$SW_LAST_PID
api() {  # PATH [curl args]: GET from Prometheus's HTTP API
	local path=$1
	shift
	in_ns curl -sfG --max-time 3 "http://127.0.0.1:$pport$path" "$@"
}
query() {  # PROMQL: the instant query's result vector, as JSON
	api /api/v1/query --data-urlencode "query=$1" | jq -c 'select(.status == "success") | .data.result'
}
# value PROMQL: the value of its one sample ("" unless exactly one).
value() { query "$1" | jq -r 'if length == 1 then .[0].value[1] else empty end'; }
prom_ready() { kill -0 "$prom_pid" 2>/dev/null && api /-/ready >/dev/null; }
sw_poll_for 20 prom_ready || sw_fail "Prometheus not ready after 20 s: $(tail -n 20 "$SW_TMP/prometheus.err")"
sw_log "Prometheus $("$PROM" --version 2>&1 | awk 'NR == 1 { print $3 }') ready on 127.0.0.1:$pport"

# --- the target: up, scraped without error
target() { api /api/v1/targets | jq -c '.data.activeTargets[] | select(.labels.job == "sockwatchd")'; }
target_up() { t=$(target) && [ "$(jq -r .health <<<"$t")" = up ]; }
sw_poll_for 15 target_up || sw_fail "target never up: $(target) $(tail -n 5 "$SW_TMP/prometheus.err")"
sw_assert_eq "http://127.0.0.1:$mport/metrics" "$(jq -r .scrapeUrl <<<"$t")" "target scrapeUrl"
sw_assert_eq "" "$(jq -r .lastError <<<"$t")" "target lastError"
sw_assert_eq 1 "$(value 'up{job="sockwatchd"}')" 'up{job="sockwatchd"}'

# --- the queue, as Prometheus has it, against ss read around the query
sel="{job=\"sockwatchd\",netns=\"host\",listener=\"$L\",family=\"inet\",port=\"$port\"}"
have_queue() { [ -n "$(value "sockwatch_accept_queue_length$sel")" ]; }
sw_poll_for 10 have_queue || sw_fail "no sockwatch_accept_queue_length$sel: $(query "sockwatch_accept_queue_length")"
read -r ss_recvq ss_sendq ss_drops <<<"$(swc_ss_listen "$ns" $port)"
p_len=$(value "sockwatch_accept_queue_length$sel")
p_lim=$(value "sockwatch_accept_queue_limit$sel")
read -r ss_recvq2 ss_sendq2 _ <<<"$(swc_ss_listen "$ns" $port)"
sw_log "ss: Recv-Q $ss_recvq/$ss_recvq2 Send-Q $ss_sendq/$ss_sendq2 d$ss_drops; Prometheus: $p_len/$p_lim"
sw_assert_eq "$ss_recvq $ss_sendq" "$ss_recvq2 $ss_sendq2" "ss before and after the queries (queue held full)"
sw_assert_eq $((backlog + 1)) "$ss_recvq" "ss Recv-Q (listen($backlog) full)"
sw_assert_eq "$ss_recvq" "$p_len" "sockwatch_accept_queue_length vs ss Recv-Q"
sw_assert_eq "$ss_sendq" "$p_lim" "sockwatch_accept_queue_limit vs ss Send-Q"
sw_assert_eq 1 "$(value "sockwatch_listener_info{listener=\"$L\",comm=\"qfill\",limit_source=\"listen-backlog\"}")" \
	"sockwatch_listener_info of $L (comm qfill, limit_source listen-backlog)"

# --- the drops: rising, so their rate is above zero
rate_q="rate(sockwatch_listen_drops_total${sel}[5s])"
dropping() { r=$(value "$rate_q") && [ -n "$r" ] && awk -v r="$r" 'BEGIN { exit !(r > 0) }'; }
sw_poll_for 15 dropping || sw_fail "$rate_q not above 0 after 15 s: $(query "$rate_q") (ss: $(swc_ss_listen "$ns" $port))"
sw_log "ok: $rate_q = $r > 0"
d=$(value "sockwatch_listen_drops_total$sel")
[ "$d" -gt 0 ] 2>/dev/null || sw_fail "sockwatch_listen_drops_total$sel = '$d'"
read -r _ _ ss_drops2 <<<"$(swc_ss_listen "$ns" $port)"
[ "$d" -le "$ss_drops2" ] || sw_fail "Prometheus has $d drops, more than ss's d$ss_drops2 read after it"
sw_log "ok: sockwatch_listen_drops_total $d <= ss d$ss_drops2"

# --- the alert, from the shipped expression
firing() {
	a=$(api /api/v1/alerts | jq -c --arg l "$L" '.data.alerts[] |
		select(.labels.alertname == "SockwatchListenerDropping" and .labels.listener == $l and .state == "firing")' |
		head -n 1)
	[ -n "$a" ]
}
sw_poll_for 20 firing || sw_fail "SockwatchListenerDropping not firing for $L after 20 s:
alerts: $(api /api/v1/alerts)
rules: $(api /api/v1/rules | jq -c '.data.groups[].rules[] | {name, health, lastError}')"
sw_log "alert: $(jq -c .labels <<<"$a")"
sw_assert_eq "host $L inet $port qfill sockwatchd 127.0.0.1:$mport critical" \
	"$(jq -r '.labels | [.netns, .listener, .family, .port, .comm, .job, .instance, .severity] | join(" ")' <<<"$a")" \
	"SockwatchListenerDropping labels: netns listener family port comm job instance severity"
summary=$(jq -r .annotations.summary <<<"$a")
sw_log "summary: $summary"
for want in "$L" "netns host"; do
	grep -qF -- "$want" <<<"$summary" || sw_fail "summary lacks '$want': $summary"
done
# Every rule evaluates (a join that matched many-to-many would show here),
# and the daemon is neither down nor silent.
api /api/v1/rules >"$SW_TMP/rules.json" || sw_fail "GET /api/v1/rules"
sw_assert_eq "$(yq '[.groups[].rules[]] | length' "$RULES")" \
	"$(jq '[.data.groups[].rules[] | select(.health == "ok")] | length' "$SW_TMP/rules.json")" \
	"rules with health ok: $(jq -c '[.data.groups[].rules[] | select(.health != "ok") | {name, health, lastError}]' "$SW_TMP/rules.json")"
sw_assert_eq "" "$(api /api/v1/alerts | jq -r '.data.alerts[] | select(.labels.alertname == "SockwatchNotPolling" or
	.labels.alertname == "SockwatchDown") | .labels.alertname')" "SockwatchNotPolling and SockwatchDown alerts"

# --- a live scrape: promtool clean, no duplicate series, exactly the type
scrape "$SW_TMP/live.prom" || sw_fail "scrape of the daemon"
sw_assert_eq "Content-Type: text/plain; version=0.0.4; charset=utf-8" \
	"$(tr -d '\r' <"$SW_TMP/live.prom.hdr" | grep -i '^content-type:')" "Content-Type"
out=$(promtool check metrics <"$SW_TMP/live.prom" 2>&1)
rc=$?
sw_assert_eq "0:" "$rc:$out" "promtool check metrics on a live scrape (exit:output)"
sw_assert_eq "" "$(duplicates "$SW_TMP/live.prom")" "duplicate series in a live scrape"
n=$(series_of <"$SW_TMP/live.prom" | wc -l)
grep -q "^sockwatch_listen_drops_total{.*listener=\"$L\"" "$SW_TMP/live.prom" ||
	sw_fail "live scrape lacks sockwatch_listen_drops_total of $L"
sw_log "ok: live scrape of $n series, $(wc -c <"$SW_TMP/live.prom") bytes"

# --- the daemon's side: Prometheus's scrapes counted, none refused or
# answered with an error, no poll late while it served them
"$SWD_CTL" --socket "$SW_TMP/control" status --json >"$SW_TMP/status.json" || sw_fail "sockwatchctl status --json"
sw_log "daemon.metrics: $(jq -c .daemon.metrics "$SW_TMP/status.json")"
sw_assert_eq "127.0.0.1:$mport 0 0 0" \
	"$(jq -r '.daemon | [.metrics.listen, .metrics.refused, .metrics.errors, .late_polls] | map(tostring) | join(" ")' \
		"$SW_TMP/status.json")" "daemon: metrics.listen refused errors, late_polls"
scrapes=$(jq .daemon.metrics.scrapes "$SW_TMP/status.json")
[ "$scrapes" -ge 3 ] || sw_fail "daemon.metrics.scrapes $scrapes, expected Prometheus's scrapes (>= 3)"
sw_log "ok: daemon.metrics.scrapes $scrapes"

touch "$SW_TMP/drip.stop"
kill -TERM "$swd_pid"
wait "$swd_pid"
sw_assert_eq 0 $? "sockwatchd exit status after SIGTERM"
kill -0 "$prom_pid" 2>/dev/null || sw_fail "Prometheus died: $(tail -n 20 "$SW_TMP/prometheus.err")"
echo "PASS: Prometheus scrapes sockwatchd: queue $p_len/$p_lim as ss, drops rising, SockwatchListenerDropping firing"
