/* The Prometheus text exposition (format 0.0.4, DESIGN.md "Metrics for
 * Prometheus") of the state the status document is built from: per
 * listener, per namespace, the daemon's own figures. Pure: no I/O, no
 * clock; the HTTP endpoint (metrics_http.h) and the textfile serve what it
 * writes.
 *
 * One series per (netns, listener, family): the sockets of a reuseport
 * group, and any other sockets that share a name, are one series, their
 * accept queues and drops summed, the SYN queue the group's (tracker.h).
 * Label values are escaped and made valid UTF-8 (a byte that is not is
 * written as U+FFFD), so no socket path or process name can break a
 * scrape; a namespace whose name an earlier one of the inputs has too gets
 * " (netns ID)" appended (the first keeps the plain name), so no two
 * series are the same. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The Content-Type of every answer to GET /metrics. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct sw_metrics_opts {
	/* Listener series groups written at most ([metrics] max_listeners):
	 * those plain status shows (not idle: protocol_facts_idle()) first,
	 * then the rest in order; the others are counted in
	 * sockwatch_listeners_omitted. */
	size_t max_listeners;
	const char *version;                 /* sockwatch_build_info */
	uint64_t last_poll_realtime_usec;    /* wall clock of the last completed poll; 0 none */
};

/* The exposition of in, in a malloc'd *ret (not NUL-terminated) of *ret_len
 * bytes. in->now_usec and in->daemon's figures are used as given. 0, or
 * -ENOMEM (nothing returned). */
int metrics_format(const struct sw_status_inputs *in, const struct sw_metrics_opts *o,
		   char **ret, size_t *ret_len);

/* What metrics_format_cached() keeps between scrapes: per namespace the
 * listeners' names, their series order and escaped label sets, rebuilt
 * when its tracker's listeners (cookies, in order) or its netns label
 * change; per series the labels of sockwatch_listener_info, rebuilt when
 * its owner's unit or comm, its limit source or SYN mode change. About 100
 * bytes per listener plus its label text. Namespaces absent from a
 * scrape's inputs leave it. */
struct sw_metrics_cache;
int metrics_cache_new(struct sw_metrics_cache **ret);      /* 0 or -ENOMEM */
void metrics_cache_free(struct sw_metrics_cache *c);       /* NULL-safe */

/* metrics_format() with the cache c: the same bytes, at a fraction of the
 * cost while the listeners stay. On -ENOMEM c stays usable. */
int metrics_format_cached(const struct sw_status_inputs *in, const struct sw_metrics_opts *o,
			  struct sw_metrics_cache *c, char **ret, size_t *ret_len);

/* The process_* families every exporter has, for the HTTP endpoint only
 * (the textfile is node_exporter's, whose process is not ours). */
struct sw_metrics_process {
	double cpu_seconds;                  /* user + system of the monitor */
	uint64_t resident_bytes;
	uint64_t virtual_bytes;
	uint64_t open_fds, max_fds;
	double start_time_seconds;           /* since the epoch */
};

/* Writes them into buf (size bytes): the length written, or -ENOBUFS when
 * they do not fit (METRICS_PROCESS_MAX always does). */
#define METRICS_PROCESS_MAX 1024
int metrics_format_process(const struct sw_metrics_process *p, char *buf, size_t size);

/* s as a label value, escaped (backslash, double quote, newline) and valid
 * UTF-8, into out (NUL-terminated; cut at a character boundary when it does
 * not fit). Returns the length written. */
size_t metrics_label_escape(const char *s, char *out, size_t size);
