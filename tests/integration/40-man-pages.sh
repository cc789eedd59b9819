#!/bin/bash
# Issue 4, man pages: sockwatchd(8), sockwatchctl(8) and sockwatchd.conf(5)
# are mandoc -Tlint clean, and document what the code has: every option of
# the struct option tables of src/sockwatchd.c and src/sockwatchctl.c, every
# sockwatchctl command, every config key the daemon itself prints with
# --check-config (its effective configuration: every key of src/config.c,
# those of a [listener] section too) under its section, every MESSAGE_ID and
# SOCKWATCH_* journal field in src/, the signals the daemon handles and its
# exit codes; and every key of the sample conf/sockwatchd.conf is one the
# daemon knows. Each checker is also run on a page with one item removed (and
# the key checker on a daemon with one key more), to prove that it fails when
# something is missing. Needs no root, but a built sockwatchd.
. "$(dirname "$0")/../lib.sh"

command -v mandoc >/dev/null || sw_fail "mandoc is not installed (make deps installs it)"

D8=$SW_TOP/man/sockwatchd.8
CTL8=$SW_TOP/man/sockwatchctl.8
CONF5=$SW_TOP/man/sockwatchd.conf.5
CONF=$SW_TOP/conf/sockwatchd.conf
SWD=$SW_BUILD/sockwatchd
for f in "$D8" "$CTL8" "$CONF5" "$CONF" "$SW_TOP/src/sockwatchd.c" "$SW_TOP/src/sockwatchctl.c"; do
	[ -f "$f" ] || sw_fail "missing $f"
done
[ -x "$SWD" ] || sw_fail "$SWD not built (make BUILD=${BUILD:-build})"

# The daemon's effective configuration, as --check-config prints it: from
# an empty file (which must be a valid config: every key at its default),
# and from one empty [listener] section, whose keys it prints too (those
# inherited from [alerts] commented out, which config_keys reads as keys).
EFFECTIVE=$SW_TMP/effective.conf
"$SWD" --check-config -c /dev/null >"$EFFECTIVE" 2>"$SW_TMP/check-config.err" ||
	sw_fail "sockwatchd --check-config -c /dev/null failed: $(cat "$SW_TMP/check-config.err")"
printf '[listener *:1]\n' >"$SW_TMP/one-listener.conf"
"$SWD" --check-config -c "$SW_TMP/one-listener.conf" >>"$EFFECTIVE" 2>"$SW_TMP/check-config.err" ||
	sw_fail "sockwatchd --check-config with one [listener] section failed: $(cat "$SW_TMP/check-config.err")"

missing=0
miss() { echo "MISSING: $*" >&2; missing=$((missing + 1)); }

# ---- what the code has ----

# The "name" of every row of the struct option arrays in a C file.
long_options() {
	awk '/struct option/ { t = 1 } t { print } t && /};/ { t = 0 }' "$1" |
		grep -oE '\{ *"[a-z0-9-]+"' | grep -oE '[a-z0-9-]+'
}
# The letters of getopt_long()'s short option string.
short_options() {
	grep -oE 'getopt_long\([^,]+,[^,]+, *"[^"]*"' "$1" | sed -E 's/.*"([^"]*)"$/\1/' |
		tr -d ':+-' | grep -oE '[a-zA-Z0-9]'
}

# "section key" for every key of a config file, commented-out ones
# included.
config_keys() {
	awk '
	{
		line = $0
		sub(/^[ \t]*[;#]?[ \t]*/, "", line)
		if (line ~ /^\[[a-z]+( [^]]*)?\][ \t]*([;#].*)?$/) {
			sec = line
			sub(/^\[/, "", sec)
			sub(/[] ].*$/, "", sec)
			next
		}
		if (line ~ /^[a-z_]+[ \t]*=/) {
			key = line
			sub(/[ \t]*=.*$/, "", key)
			print sec, key
		}
	}' "$1" | sort -u
}

message_ids() { grep -ohE '\b[0-9a-f]{32}\b' "$SW_TOP"/src/*.[ch] | sort -u; }
journal_fields() { grep -ohE 'SOCKWATCH_[A-Z][A-Z_]*' "$SW_TOP"/src/*.[ch] | sort -u; }
ctl_commands() { grep -oE '\{ *"[a-z]+", *SW_CTL_' "$SW_TOP/src/sockwatchctl.c" | grep -oE '"[a-z]+"' | tr -d '"'; }
signals() { grep -ohE 'sd_event_add_signal\([^;]*SIG[A-Z]+' "$SW_TOP"/src/*.c | grep -oE 'SIG[A-Z]+' | sort -u; }

# ---- what a page documents: the items of its tagged lists ----

# "section key" for each ".It Cm key" under ".Ss [section ...]".
page_keys() {
	awk '
	/^\.Ss / { sec = $2; gsub(/[][]/, "", sec); next }
	/^\.Sh / { sec = "" }
	/^\.It Cm [a-z_]+/ && sec != "" { print sec, $3 }' "$1" | sort -u
}
page_has_item() {  # PAGE ERE: an .It line matches
	grep -qE "^\.It .*$2" "$1"
}

# ---- the checks; each takes the page(s) and counts what is missing ----

check_lint() {
	local p out
	for p in "$@"; do
		out=$(mandoc -Tlint -W warning "$p" 2>&1) || { echo "$out" >&2; miss "lint: $p"; continue; }
		[ -z "$out" ] || { echo "$out" >&2; miss "lint: $p"; }
	done
}

check_options() {  # PAGE SOURCE
	local o n=0
	for o in $(long_options "$2"); do
		n=$((n + 1))
		page_has_item "$1" "Fl \\\\?-$o( |,|$)" || miss "option --$o of $(basename "$2") in $(basename "$1")"
	done
	for o in $(short_options "$2"); do
		page_has_item "$1" "Fl $o( |,|$)" || miss "option -$o of $(basename "$2") in $(basename "$1")"
	done
	[ "$n" -ge 3 ] || sw_fail "found only $n options in $2: is the option table still a struct option array?"
}

check_commands() {  # PAGE
	local c n=0
	for c in $(ctl_commands); do
		n=$((n + 1))
		page_has_item "$1" "Cm $c( |$)" || miss "command $c in $(basename "$1")"
	done
	[ "$n" -ge 5 ] || sw_fail "found only $n commands in src/sockwatchctl.c"
}

check_config_keys() {  # PAGE [EFFECTIVE-CONFIG]
	local have want n s
	have=$(page_keys "$1")
	want=$(config_keys "${2:-$EFFECTIVE}")
	n=$(echo "$want" | grep -c .)
	[ "$n" -ge 15 ] || sw_fail "found only $n keys in sockwatchd --check-config: has its layout changed?"
	# Proof that both printouts were read, [listener] included.
	for s in "daemon interval" "control group" "listener ignore" "listener warn"; do
		grep -qx "$s" <<<"$want" || sw_fail "key '$s' not in sockwatchd --check-config output"
	done
	while read -r sec key; do
		grep -qx "$sec $key" <<<"$have" || miss "config key $key of [$sec] in $(basename "$1")"
	done <<<"$want"
}

# The sample config shows no key the daemon does not know.
check_sample_keys() {  # SAMPLE
	local known
	known=$(config_keys "$EFFECTIVE")
	while read -r sec key; do
		grep -qx "$sec $key" <<<"$known" ||
			miss "key $key of [$sec] in $(basename "$1") unknown to sockwatchd --check-config"
	done < <(config_keys "$1")
}

check_journal() {  # PAGE
	local id f n=0
	for id in $(message_ids); do
		n=$((n + 1))
		page_has_item "$1" "Li $id" || miss "MESSAGE_ID $id in $(basename "$1")"
	done
	[ "$n" -ge 6 ] || sw_fail "found only $n MESSAGE_IDs in src/"
	n=0
	for f in $(journal_fields); do
		n=$((n + 1))
		page_has_item "$1" "Va $f( |$)" || miss "journal field $f in $(basename "$1")"
	done
	[ "$n" -ge 20 ] || sw_fail "found only $n SOCKWATCH_* fields in src/"
}

check_daemon_misc() {  # PAGE
	local s code
	for s in $(signals) SIGHUP SIGTERM SIGINT; do
		page_has_item "$1" "Dv $s( |$)" || miss "signal $s in $(basename "$1")"
	done
	for code in 0 1 $(grep -oE 'define EXIT_CONFIG +[0-9]+' "$SW_TOP/src/sockwatchd.c" | grep -oE '[0-9]+$'); do
		grep -qx "\.It $code" "$1" || miss "exit status $code in $(basename "$1")"
	done
}

check_sections() {  # PAGE SECTION...
	local p=$1 s
	shift
	for s in "$@"; do
		grep -qx "\.Sh $s" "$p" || miss "section $s in $(basename "$p")"
	done
}

check_ctl_misc() {  # PAGE
	local code
	for code in 0 1 2 3; do
		grep -qx "\.It $code" "$1" || miss "exit status $code in $(basename "$1")"
	done
}

check_options_d8() { check_options "$1" "$SW_TOP/src/sockwatchd.c"; }
check_options_ctl() { check_options "$1" "$SW_TOP/src/sockwatchctl.c"; }

run_all() {  # D8 CTL8 CONF5
	check_lint "$1" "$2" "$3"
	check_options_d8 "$1"
	check_options_ctl "$2"
	check_commands "$2"
	check_config_keys "$3"
	check_sample_keys "$CONF"
	check_journal "$1"
	check_daemon_misc "$1"
	check_ctl_misc "$2"
	check_sections "$1" SYNOPSIS DESCRIPTION OPTIONS SIGNALS FILES "EXIT STATUS" EXAMPLES "SEE ALSO"
	check_sections "$2" SYNOPSIS DESCRIPTION OPTIONS COMMANDS FILES "EXIT STATUS" EXAMPLES "SEE ALSO"
	check_sections "$3" SYNOPSIS DESCRIPTION FILES EXAMPLES "SEE ALSO"
}

# ---- the real pages ----
run_all "$D8" "$CTL8" "$CONF5"
[ "$missing" -eq 0 ] || sw_fail "$missing item(s) missing from the man pages (listed above)"
sw_log "ok: lint clean; $(long_options "$SW_TOP/src/sockwatchd.c" | wc -l) daemon options," \
	"$(long_options "$SW_TOP/src/sockwatchctl.c" | wc -l) sockwatchctl options," \
	"$(ctl_commands | wc -l) commands, $(config_keys "$EFFECTIVE" | wc -l) config keys," \
	"$(message_ids | wc -l) MESSAGE_IDs, $(journal_fields | wc -l) journal fields documented"

# ---- the checkers can fail: remove one item at a time ----
mutant() {  # NAME SOURCE-PAGE SED-EXPR CHECK...: the check must count something missing
	local name=$1 page=$2 expr=$3
	shift 3
	local copy="$SW_TMP/$name"
	sed -e "$expr" "$page" >"$copy"
	cmp -s "$page" "$copy" && sw_fail "mutant $name: the sed expression changed nothing"
	missing=0
	"$@" "$copy" 2>/dev/null
	[ "$missing" -gt 0 ] || sw_fail "mutant $name: the checker did not notice"
	sw_log "ok: mutant $name noticed"
}
mutant no-cpu-budget "$CONF5" '/^\.It Cm cpu_budget/d' check_config_keys
mutant no-listener-ignore "$CONF5" '/^\.It Cm ignore/d' check_config_keys
mutant no-once "$D8" '/^\.It Fl \\-once/d' check_options_d8
mutant no-message-id "$D8" '/^\.It Li 8f671c50c535449aae17a9d8d19c161f/d' check_journal
mutant no-field "$D8" 's/, Va SOCKWATCH_PEAK$//' check_journal
mutant no-sighup "$D8" '/^\.It Dv SIGHUP/d' check_daemon_misc
mutant no-timeout "$CTL8" '/^\.It Fl \\-timeout/d' check_options_ctl
mutant no-check "$CTL8" '/^\.It Cm check$/d' check_commands
mutant lint-error "$CTL8" '0,/^\.El$/{/^\.El$/d}' check_lint
# A key added to config.c that neither page nor sample has: the daemon
# prints it, the checker notices. (The key goes in a copy of the printout.)
sed -e 's/^\[daemon\]$/&\nnew_key = 1/' "$EFFECTIVE" >"$SW_TMP/effective-plus.conf"
cmp -s "$EFFECTIVE" "$SW_TMP/effective-plus.conf" && sw_fail "mutant new-key: sed changed nothing"
missing=0
check_config_keys "$CONF5" "$SW_TMP/effective-plus.conf" 2>"$SW_TMP/new-key.err"
[ "$missing" -eq 1 ] && grep -q "config key new_key of \[daemon\]" "$SW_TMP/new-key.err" ||
	sw_fail "mutant new-key: the checker did not notice: $(cat "$SW_TMP/new-key.err")"
sw_log "ok: mutant new-key noticed"
# A key in the sample config the daemon does not know.
mutant sample-unknown-key "$CONF" 's/^\[daemon\]/&\nno_such_key = 1/' check_sample_keys
exit 0
