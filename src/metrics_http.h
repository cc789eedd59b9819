/* The metrics endpoint (DESIGN.md "Metrics for Prometheus"): libmicrohttpd
 * in external-epoll mode on the manager's sd-event loop, never a thread,
 * never a blocking call. Its epoll fd is an io source and MHD_get_timeout()
 * a timer, both below the poll timer's priority: a scrape is served
 * between polls.
 *
 * GET and HEAD /metrics get the exposition with exactly METRICS_CONTENT_TYPE
 * whatever Accept says; / a one-line page linking to it; other paths 404,
 * other methods 405, a request with a body 413. Clients outside allow are
 * closed at accept; connections are bounded in all and per address, idle
 * ones closed after the timeout, as is one whose request has not come whole
 * within it (a slowloris), and each has a fixed memory pool (request line
 * and headers beyond it get 431 or a close).
 *
 * The body is shared: every scrape between two polls serves the same
 * reference-counted buffer (struct sw_metrics_body), so concurrent scrapes
 * cost one exposition, not one each. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

struct sw_cidr;
struct sw_metrics_http;

/* A built exposition; freed with its last reference. */
struct sw_metrics_body {
	unsigned refs;
	size_t len;
	char *data;
};

/* Takes data (malloc'd): a body with one reference, or NULL (data freed). */
struct sw_metrics_body *metrics_body_new(char *data, size_t len);
struct sw_metrics_body *metrics_body_ref(struct sw_metrics_body *b);
void metrics_body_unref(struct sw_metrics_body *b);     /* NULL-safe */

struct sw_metrics_source {
	/* A reference to the exposition as of now: 0, or a negative errno
	 * (the client gets 500). */
	int (*body)(void *userdata, struct sw_metrics_body **ret);
	/* Families written fresh for each HTTP answer after the body (the
	 * process ones): their length in buf, or a negative errno (none). */
	int (*tail)(void *userdata, char *buf, size_t size);
	void *userdata;
};

struct sw_metrics_http_limits {
	unsigned max_connections;
	unsigned max_per_ip;
	/* Idle connections are closed after it (whole seconds, at least 1),
	 * and so is one whose request line and headers have not all come
	 * within it of its accept, however it trickles. */
	uint64_t timeout_usec;
};

/* Memory each connection may use for its request line and headers. */
#define SW_METRICS_CONN_MEMORY (32u * 1024)

/* Serves the listening socket fd (taken: closed by metrics_http_free, or
 * here on failure) on e. allow: the CIDRs that may connect (copied).
 * Errors: -ENOMEM, -EINVAL (libmicrohttpd refused to start), or the errno
 * of a failed sd-event call. */
int metrics_http_new(sd_event *e, int fd, const struct sw_metrics_http_limits *lim,
		     const struct sw_cidr *allow, size_t n_allow,
		     const struct sw_metrics_source *src, struct sw_metrics_http **ret);
void metrics_http_free(struct sw_metrics_http *h);      /* NULL-safe */

/* A reload's allow list (copied): connections from then on. 0 or -ENOMEM
 * (the old list stays). */
int metrics_http_set_allow(struct sw_metrics_http *h, const struct sw_cidr *allow, size_t n);

/* What it did since start, for the status document. */
struct sw_metrics_http_stats {
	uint64_t scrapes;               /* GET and HEAD /metrics answered 200 */
	uint64_t refused;               /* connections closed at accept: not in allow */
	uint64_t errors;                /* requests answered 4xx or 5xx */
	uint64_t expired;               /* closed: no whole request within the timeout */
};
void metrics_http_get_stats(const struct sw_metrics_http *h, struct sw_metrics_http_stats *ret);

/* A listening TCP socket on sa (non-blocking, close-on-exec, SO_REUSEADDR;
 * the IPv6 wildcard takes IPv4 too). 0 and *ret_fd, or -errno. */
int metrics_http_listen(const struct sockaddr *sa, socklen_t len, int *ret_fd);
