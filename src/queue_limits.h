/* Pure: the limits the kernel enforces on a listener's two queues, and which
 * setting binds each (KERNEL-NOTES.md "The limits, exactly"). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

enum sw_limit_source {
	SW_SRC_UNKNOWN,
	SW_SRC_LISTEN_BACKLOG,     /* "listen-backlog" */
	SW_SRC_SOMAXCONN,          /* "net.core.somaxconn" */
	SW_SRC_MAX_SYN_BACKLOG,    /* "net.ipv4.tcp_max_syn_backlog" */
};

enum sw_syn_mode {
	SW_SYN_COOKIES_ON_OVERFLOW,  /* tcp_syncookies=1: "cookies-on-overflow" */
	SW_SYN_DROP_ON_OVERFLOW,     /* tcp_syncookies=0: "drop-on-overflow" */
	SW_SYN_COOKIES_ALWAYS,       /* tcp_syncookies=2: "cookies-always" */
};

struct sw_limits {
	uint32_t accept_limit;             /* M: the queue is full when depth > limit */
	enum sw_limit_source accept_source;
	uint32_t syn_limit;                /* full when depth > limit (>= on old kernels) */
	enum sw_limit_source syn_source;
	enum sw_syn_mode syn_mode;
	bool somaxconn_stale;              /* somaxconn changed since this listener's listen() */
};

const char *limits_source_name(enum sw_limit_source s);
const char *limits_syn_mode_name(enum sw_syn_mode m);

/* wqueue: the listener's idiag_wqueue (M). sc: the live sysctls.
 * somaxconn_at_listen: somaxconn when the listener was first seen, or -1 when
 * unknown; it tells a somaxconn-bound listener from a backlog-bound one
 * after somaxconn changed. */
void limits_compute(uint32_t wqueue, const struct sw_sysctl *sc,
		    int32_t somaxconn_at_listen, struct sw_limits *ret);

/* Whether the running kernel counts a SYN queue as full at depth >= limit
 * (before 6.13) rather than depth > limit. release: uname -r. */
bool limits_kernel_full_at_limit(const char *release);

/* The one "full" rule: whether a queue holding depth of limit is full as
 * the kernel counts it. An accept queue, and a SYN queue from Linux 6.13
 * on, is full at depth > limit; a SYN queue of an older kernel already at
 * depth >= limit (full_at_limit, see limits_kernel_full_at_limit). */
bool limits_queue_full(uint32_t depth, uint32_t limit, bool full_at_limit);

/* Percentage of limit held by depth (may exceed 100). A limit of 0
 * (listen(0)) still holds one: then any depth counts as 100% per entry. */
double limits_percent(uint32_t depth, uint32_t limit);
