#!/bin/bash
# Issue 15, contrib/: the alerting rules pass `promtool check rules` and
# their unit tests `promtool test rules`; every alert has a test where it
# fires and one where it does not, and no test names an alert that does not
# exist; every alert has a severity and a summary and description, which for
# a listener name its namespace, listener and unit; every join matches on
# job and instance (a fleet's hosts share listener names); the Grafana
# dashboard is valid JSON with the datasource, netns and listener variables
# and PromQL that parses; and every sockwatch_* name in contrib/ is one the
# daemon exports (the list below is the metrics contract of issue 15). Each
# check is also run on a copy of contrib/ with one thing broken, to prove
# that it notices. Needs no root and no daemon.
. "$(dirname "$0")/../lib.sh"

for c in promtool jq yq; do
	command -v "$c" >/dev/null || sw_skip "$c not installed (Debian: prometheus, jq, yq)"
done

CONTRIB=$SW_TOP/contrib
RULES=prometheus/sockwatchd.rules.yml
TESTS=prometheus/sockwatchd.rules.test.yml
DASH=grafana/sockwatchd.json
for f in "$RULES" "$TESTS" "$DASH" README.md; do
	[ -f "$CONTRIB/$f" ] || sw_fail "missing contrib/$f"
done

# What the daemon exports, as the metrics contract names it; a name added
# there is added here. (process_* is not checked: no file here uses it.)
KNOWN="sockwatch_accept_queue_length
sockwatch_accept_queue_limit
sockwatch_build_info
sockwatch_last_poll_timestamp_seconds
sockwatch_late_polls_total
sockwatch_listen_drops_total
sockwatch_listener_info
sockwatch_listeners_omitted
sockwatch_namespace_info
sockwatch_netns_listen_drops_total
sockwatch_netns_listen_overflows_total
sockwatch_poll_duration_seconds
sockwatch_poll_errors_total
sockwatch_polls_total
sockwatch_somaxconn
sockwatch_syn_queue_length
sockwatch_syn_queue_limit
sockwatch_syn_scan_duration_seconds
sockwatch_tcp_max_syn_backlog
sockwatch_tcp_syncookies"

missing=0
miss() { echo "PROBLEM: $*" >&2; missing=$((missing + 1)); }

# ---- the checks; each takes a contrib tree and counts what is wrong ----

check_promtool() {
	local out
	out=$(promtool check rules "$1/$RULES" 2>&1) || { echo "$out" >&2; miss "promtool check rules"; }
	# rule_files is relative to the test file: the copy tests its own rules.
	out=$(promtool test rules "$1/$TESTS" 2>&1) || { echo "$out" >&2; miss "promtool test rules"; }
}

# Every alert needs a case where it fires and one where it does not; a test
# of an alert that does not exist passes whatever it expects.
check_coverage() {
	local alerts cases a
	alerts=$(yq -r '.groups[].rules[] | .alert // empty' "$1/$RULES") || { miss "yq $RULES"; return; }
	cases=$(yq -r '.tests[].alert_rule_test[]? |
		"\(.alertname) \(if ((.exp_alerts // []) | length) > 0 then "fires" else "quiet" end)"' \
		"$1/$TESTS") || { miss "yq $TESTS"; return; }
	[ "$(wc -w <<<"$alerts")" -ge 6 ] || sw_fail "only $(wc -w <<<"$alerts") alerts in $RULES: has its layout changed?"
	for a in $alerts; do
		grep -qx "$a fires" <<<"$cases" || miss "alert $a has no test case where it fires"
		grep -qx "$a quiet" <<<"$cases" || miss "alert $a has no test case where it does not fire"
	done
	for a in $(cut -d' ' -f1 <<<"$cases" | sort -u); do
		grep -qx "$a" <<<"$alerts" || miss "test cases for alert $a, which $RULES does not have"
	done
}

check_rules_shape() {
	local out
	[ "$(yq -r '[.groups[].name] | join(" ")' "$1/$RULES")" = sockwatchd ] ||
		miss "$RULES: not exactly one group, named sockwatchd"
	out=$(yq -r '.groups[].rules[] | select(.alert) |
		(select(.labels.severity as $s | ["critical", "warning"] | index($s) | not) |
			"\(.alert): severity \(.labels.severity) is not critical or warning"),
		(select((.annotations.summary // "") == "") | "\(.alert): no summary"),
		(select((.annotations.description // "") == "") | "\(.alert): no description"),
		(select(.expr | test("sockwatch_listener_info")) | . as $r |
			("summary", "description") as $k | ("netns", "listener", "unit") as $l |
			select($r.annotations[$k] // "" | contains("$labels.\($l)") | not) |
			"\($r.alert): its \($k) does not name the \($l) ({{ $labels.\($l) }})"),
		(.alert as $a | .expr | [scan("\\bon\\([^)]*\\)")][] |
			select((test("\\bjob\\b") and test("\\binstance\\b")) | not) |
			"\($a): \(.) leaves out job or instance")' "$1/$RULES") ||
		{ miss "yq $RULES"; return; }
	[ -z "$out" ] || while read -r l; do miss "$RULES: $l"; done <<<"$out"
}

# Valid JSON with the variables the panels use, and PromQL that parses:
# each panel's and variable's query, the variables replaced, goes into a
# recording rule for promtool check rules (JSON is YAML).
check_dashboard() {
	local d=$1/$DASH out
	jq -e . "$d" >/dev/null 2>&1 || { miss "$DASH is not valid JSON"; return; }
	out=$(jq -r '
		(select((.schemaVersion | type) != "number" or .schemaVersion < 36) | "schemaVersion \(.schemaVersion)"),
		(select((.uid // "") == "") | "no uid"),
		(.templating.list as $v |
			(select([$v[] | select(.name == "datasource" and .type == "datasource" and .query == "prometheus")] | length != 1) |
				"no datasource variable of type datasource for prometheus"),
			(select([$v[] | select(.name == "netns" and .type == "query" and
				(.definition | test("^label_values\\(sockwatch_listener_info(\\{[^}]*\\})?, *netns\\)$")))] | length != 1) |
				"no netns variable from label_values(sockwatch_listener_info, netns)"),
			(select([$v[] | select(.name == "listener" and .type == "query" and
				(.definition | test("^label_values\\(sockwatch_listener_info(\\{[^}]*\\})?, *listener\\)$")))] | length != 1) |
				"no listener variable from label_values(sockwatch_listener_info, listener)")),
		(select([.panels[].id] | length != (unique | length)) | "duplicate panel ids"),
		(.panels[] | select(.type != "row") |
			(select((.targets // []) | length == 0) | "panel \(.title): no queries"),
			(select(.datasource.uid != "${datasource}") | "panel \(.title): not on the datasource variable"),
			(.targets[]? | select(.datasource.uid != "${datasource}") | "a query of \(.refId): not on the datasource variable"))
		' "$d") || { miss "jq $DASH"; return; }
	[ -z "$out" ] || while read -r l; do miss "$DASH: $l"; done <<<"$out"

	jq '{groups: [{name: "dashboard", rules: [
		([.panels[].targets[]?.expr] +
		 [.templating.list[] | select(.type == "query") | .definition |
			capture("^label_values\\((?<s>.*), *[a-z_]+\\)$").s // "label_values not understood: \(.)"]) |
		to_entries[] |
		{record: "dashboard:query_\(.key)",
		 expr: (.value | gsub("\\$__rate_interval"; "1m") | gsub("\\$(instance|netns|listener)"; ".*"))}]}]}' \
		"$d" >"$SW_TMP/dashboard-queries.json" || { miss "jq $DASH queries"; return; }
	[ "$(jq '.groups[0].rules | length' "$SW_TMP/dashboard-queries.json")" -ge 10 ] ||
		sw_fail "fewer than 10 queries found in $DASH: has its layout changed?"
	out=$(jq -r '.groups[0].rules[].expr | select(test("\\$")) | "variable not known here: \(.)"' "$SW_TMP/dashboard-queries.json")
	[ -z "$out" ] || while read -r l; do miss "$DASH: $l"; done <<<"$out"
	out=$(promtool check rules "$SW_TMP/dashboard-queries.json" 2>&1) ||
		{ echo "$out" >&2; miss "$DASH: a query does not parse"; }
}

# Every sockwatch_* name in every file of the tree is one the daemon
# exports; and, once tests/golden has an exposition, one it writes a TYPE
# line for.
check_names() {
	local used n golden
	used=$(grep -rhoE 'sockwatch_[a-z_]+' "$1" | sort -u)
	[ "$(wc -l <<<"$used")" -ge 10 ] || sw_fail "only $(wc -l <<<"$used") metric names found in contrib/"
	golden=$(grep -rhoE '^# TYPE sockwatch_[a-z_]+' "$SW_TOP/tests/golden" 2>/dev/null | cut -d' ' -f3 | sort -u)
	for n in $used; do
		grep -qx "$n" <<<"$KNOWN" || miss "metric $n in contrib/ ($(grep -rl "$n" "$1" | sed "s|^$1/||" | tr '\n' ' ')) is not one sockwatchd exports"
		[ -z "$golden" ] || grep -qx "$n" <<<"$golden" || miss "metric $n in contrib/ has no TYPE line in tests/golden"
	done
}

check_all() {
	check_promtool "$1"
	check_coverage "$1"
	check_rules_shape "$1"
	check_dashboard "$1"
	check_names "$1"
}

check_all "$CONTRIB"

# The golden exposition (tests/check_metrics.c writes the same bytes) is
# what Prometheus's own parser accepts, lint included.
GOLDEN=$SW_TOP/tests/golden/metrics/exposition.prom
[ -s "$GOLDEN" ] || miss "no golden exposition at $GOLDEN"
out=$(promtool check metrics <"$GOLDEN" 2>&1) || { echo "$out" >&2; miss "promtool check metrics on $GOLDEN"; }
[ "$missing" -eq 0 ] || sw_fail "$missing problem(s) in contrib/ (listed above)"
sw_log "ok: $(yq -r '[.groups[].rules[] | select(.alert)] | length' "$CONTRIB/$RULES") alerts checked and tested" \
	"($(yq -r '[.tests[].alert_rule_test[]?] | length' "$CONTRIB/$TESTS") cases)," \
	"$(jq '.groups[0].rules | length' "$SW_TMP/dashboard-queries.json") dashboard queries parse," \
	"$(grep -rhoE 'sockwatch_[a-z_]+' "$CONTRIB" | sort -u | wc -l) metric names known"

# ---- each check notices what it is there for ----
mutant() {  # NAME FILE SED-EXPR CHECK: CHECK on a copy of contrib/ with FILE edited must complain
	local name=$1 file=$2 expr=$3 check=$4
	local copy=$SW_TMP/mutant-$name
	cp -r "$CONTRIB" "$copy"
	sed -i -e "$expr" "$copy/$file"
	cmp -s "$CONTRIB/$file" "$copy/$file" && sw_fail "mutant $name: the sed expression changed nothing"
	missing=0
	"$check" "$copy" 2>"$copy.err"
	[ "$missing" -gt 0 ] || sw_fail "mutant $name: $check did not notice"
	sw_log "ok: mutant $name noticed by $check ($(grep -m1 PROBLEM "$copy.err"))"
}
# A rule threshold off: the 50% listeners fire.
mutant threshold "$RULES" '0,/>= 0.9$/s/>= 0.9$/>= 0.5/' check_promtool
# The join the metrics contract suggests, without job and instance: two
# hosts with the same listener make the rule fail to evaluate.
mutant fleet-join "$RULES" 's/on(job, instance, netns, listener, family) group_left/on(netns, listener, family) group_left/' check_promtool
mutant fleet-join-static "$RULES" 's/on(job, instance, netns, listener, family) group_left/on(netns, listener, family) group_left/' check_rules_shape
# The cookies-always exclusion gone: that SYN queue fires.
mutant cookies-always "$RULES" 's/sockwatch_listener_info{syn_mode!="cookies-always"}/sockwatch_listener_info/' check_promtool
# A test expectation wrong.
mutant expectation "$TESTS" 's/drops 0.20 connections/drops 0.30 connections/' check_promtool
# An alert added without tests, and tests of an alert renamed away.
mutant untested-alert "$RULES" '/^    rules:$/a\      - alert: SockwatchUntested\n        expr: vector(1)\n        labels:\n          severity: warning\n        annotations:\n          summary: s\n          description: d' check_coverage
mutant renamed-tests "$TESTS" 's/alertname: SockwatchDown$/alertname: SockwatchDwn/' check_coverage
mutant no-quiet-case "$TESTS" '/eval_time: 3m$/{n;s/alertname: SockwatchSynQueueNearFull/alertname: SockwatchDown/}' check_coverage
# Rules without a severity, or a description that leaves the unit out.
mutant severity "$RULES" '0,/severity: critical/s/severity: critical/severity: page/' check_rules_shape
mutant no-unit "$RULES" '0,/description: .The SYN queue/{/description: .The SYN queue/s/ (unit {{ or $labels.unit "unknown" }},/ (/}' check_rules_shape
# The dashboard: broken JSON, a query that does not parse, a variable gone.
mutant json "$DASH" '$d' check_dashboard
mutant promql "$DASH" '0,/\[$__rate_interval\])/s/\[$__rate_interval\])/[$__rate_interval]/' check_dashboard
mutant no-netns-var "$DASH" 's/"name": "netns"/"name": "namespace"/' check_dashboard
# A metric name the daemon does not export, in the dashboard and the README.
mutant unknown-metric "$DASH" 's/sockwatch_syn_queue_limit{/sockwatch_syn_queue_max{/' check_names
mutant unknown-metric-doc README.md '$a\See sockwatch_accept_queue_depth.' check_names
exit 0
