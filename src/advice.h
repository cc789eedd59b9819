/* What to change when a queue limit binds: one sentence per binding setting
 * (the listen() backlog, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog)
 * and one clause per SYN cookie mode. The journal's MESSAGE and
 * `sockwatchctl show` both print these, so the two never give different
 * advice. Pure; linked into sockwatchctl, which knows the settings only by
 * the names the status document carries, hence names rather than enums. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct advice_limit {
	/* The limit_source name: "listen-backlog", "net.core.somaxconn",
	 * "net.ipv4.tcp_max_syn_backlog"; anything else (NULL, "unknown")
	 * gets the advice for an unknown source. */
	const char *source;
	int32_t somaxconn;          /* the sysctls now, -1 when unknown */
	int32_t max_syn_backlog;
	uint32_t limit;             /* the listener's limit */
	bool somaxconn_stale;       /* somaxconn changed since its listen() */
	const char *also;           /* appended to the fix: advice_syn_also(), "" */
	/* The listener's process name (comm), or NULL: a server whose
	 * backlog setting is known (php-fpm's listen.backlog, ...) is told
	 * that setting's name instead of "the backlog in the application". */
	const char *comm;
};

/* " (4096)" after a sysctl name, "" when v < 0 (unknown), in buf: the
 * advice here and the journal's other sentences (message.c) name a
 * sysctl's value the one way. Returns buf. */
const char *advice_value(int32_t v, char *buf, size_t len);

/* Whether source names a setting advice_binding() has a sentence for. */
bool advice_known_source(const char *source);

/* The clause the SYN cookie mode (a syn.mode name) adds to the fix of a
 * full SYN queue: with cookies off, enabling them; with cookies on
 * overflow and load_note, that raising limits is for legitimate load.
 * "" otherwise. */
const char *advice_syn_also(const char *mode, bool load_note);

/* The sentence for a, NUL-terminated in buf: "its listen() backlog binds,
 * not net.core.somaxconn (4096): raise the backlog in the application ...".
 * Returns its length, or -ENOBUFS when it was cut to fit (-EINVAL for no
 * buffer). */
int advice_binding(const struct advice_limit *a, char *buf, size_t len);
