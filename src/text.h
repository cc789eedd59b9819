/* Pure text rules shared by the daemon and sockwatchctl: how a percentage
 * reads, how outside text is made safe to print, how a decimal is parsed.
 * Each is written once here so that the journal, the JSON document and the
 * terminal never disagree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any text_percent() result ("1000000000000000.9" and a NUL). */
#define TEXT_PERCENT_MAX 24

/* A fill percentage as people read it: one decimal, truncated (never
 * rounded up), and no ".0": "95", "94.9", "106.2". Truncation is the point:
 * a value below a threshold never prints as the threshold (3891/4096 is
 * 94.995...%, "94.9", a warning under critical = 95%). NaN and negatives
 * read "0"; values are capped at 1e15. Returns buf. */
const char *text_percent(double pct, char *buf, size_t len);

/* The same value as a number for machine-readable output (JSON, metrics):
 * truncated to 1/1000 of a percent, so a script comparing it with a
 * threshold agrees with the rule that raised the level. */
double text_percent_value(double pct);

/* Length of the control character at p: 1 for C0 and DEL, 2 for a C1
 * control written as UTF-8 (0xc2 0x80..0x9f), 0 when *p starts none. A
 * process may name itself with terminal escapes; these names reach an
 * administrator's terminal and the journal. p must be NUL-terminated. */
size_t text_control_len(const unsigned char *p);

/* Whether s holds a control character text_clean() would replace. */
bool text_has_control(const char *s);

enum {
	TEXT_CLEAN_NEWLINES = 1 << 0,   /* "\n" becomes "; " (except at the end) */
};

/* Copies at most n bytes of src (stopping at a NUL) into dst of size len,
 * every control character replaced by '?' (see text_control_len; with
 * TEXT_CLEAN_NEWLINES a newline becomes "; " instead). Always NUL-terminates
 * when len > 0; a result that does not fit is cut, never in the middle of a
 * replacement. Returns the length written. */
size_t text_clean(char *dst, size_t len, const char *src, size_t n, unsigned flags);

/* A malloc'd copy of the NUL-terminated s, cleaned as text_clean() with no
 * flags does (never longer than s, so never cut); NULL when out of memory. */
char *text_clean_dup(const char *s);

/* Parses exactly the n bytes at s as an unsigned decimal: digits only (no
 * sign, no blanks, no base prefix), at least one, value at most max.
 * Returns 0 and sets *ret; -EINVAL for anything else, -ERANGE past max. */
int text_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret);

/* A NUL-terminated s, with an optional leading '-' for a negative value
 * (bounds min..max). Same rules otherwise. */
int text_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret);
