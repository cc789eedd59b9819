/* libmicrohttpd on sd-event, as systemd-journal-remote runs it: MHD_USE_EPOLL
 * without an internal thread, MHD's epoll fd watched by an io source,
 * MHD_get_timeout() (milliseconds, relative) arming a timer, MHD_run() on
 * either. */
#include "metrics_http.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "config.h"
#include "macro.h"
#include "metrics.h"
#include "util.h"

/* A connection whose request has not come whole yet: it has until
 * deadline_usec (libmicrohttpd's timeout counts idle time only, so a client
 * trickling a byte a second would keep its slot for hours). */
struct pending {
	struct pending *prev, *next;
	struct MHD_Connection *c;
	uint64_t deadline_usec;
	bool answered;
};

struct sw_metrics_http {
	struct MHD_Daemon *d;
	struct pending *pending;        /* oldest first: deadlines only grow */
	struct pending *pending_tail;
	uint64_t request_usec;
	sd_event_source *io, *timer;
	struct sw_metrics_source src;
	struct sw_cidr *allow;
	size_t n_allow;
	struct sw_metrics_http_stats stats;
};

/* ---- bodies --------------------------------------------------------------- */

struct sw_metrics_body *metrics_body_new(char *data, size_t len)
{
	struct sw_metrics_body *b = malloc(sizeof(*b));

	if (!b) {
		free(data);
		return NULL;
	}
	*b = (struct sw_metrics_body){ .refs = 1, .len = len, .data = data };
	return b;
}

struct sw_metrics_body *metrics_body_ref(struct sw_metrics_body *b)
{
	b->refs++;
	return b;
}

void metrics_body_unref(struct sw_metrics_body *b)
{
	if (!b || --b->refs > 0)
		return;
	free(b->data);
	free(b);
}

/* One answer to GET /metrics: the shared body, then its own tail. */
struct scrape {
	struct sw_metrics_body *body;
	size_t tail_len;
	char tail[METRICS_PROCESS_MAX];
};

static void scrape_free(void *cls)
{
	struct scrape *s = cls;

	metrics_body_unref(s->body);
	free(s);
}

/* ---- requests ------------------------------------------------------------- */

static enum MHD_Result answer_text(struct sw_metrics_http *h, struct MHD_Connection *c,
				   unsigned status, const char *type, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (status >= 400)
		h->stats.errors++;
	return ret;
}

static enum MHD_Result answer_metrics(struct sw_metrics_http *h, struct MHD_Connection *c)
{
	struct MHD_IoVec iov[2];
	struct MHD_Response *r;
	struct scrape *s;
	enum MHD_Result ret;
	int n;

	s = calloc(1, sizeof(*s));
	if (!s || h->src.body(h->src.userdata, &s->body) < 0) {
		free(s);
		return answer_text(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
				   "the metrics could not be built\n");
	}
	n = h->src.tail ? h->src.tail(h->src.userdata, s->tail, sizeof(s->tail)) : 0;
	s->tail_len = n > 0 ? (size_t)n : 0;
	/* sent from where they are (writev), never copied into MHD's blocks */
	iov[0] = (struct MHD_IoVec){ .iov_base = s->body->data, .iov_len = s->body->len };
	iov[1] = (struct MHD_IoVec){ .iov_base = s->tail, .iov_len = s->tail_len };
	r = MHD_create_response_from_iovec(iov, s->tail_len ? 2 : 1, scrape_free, s);
	if (!r) {
		scrape_free(s);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		h->stats.scrapes++;
	return ret;
}

static const char index_page[] =
	"<html><head><title>sockwatchd</title></head><body>"
	"<a href=\"/metrics\">/metrics</a></body></html>\n";

/* Called once the request line and headers are in (which ends the
 * connection's request deadline); answered at once, so a body is never
 * read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct sw_metrics_http *h = cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	const union MHD_ConnectionInfo *ci;
	const char *length, *te;

	if (*con_cls)   /* a body arriving after the answer: not read */
		return MHD_YES;
	*con_cls = h;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context)
		((struct pending *)ci->socket_context)->answered = true;
	if (!get && !head)
		return answer_text(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				   "only GET and HEAD\n");
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (te || (length && strcmp(length, "0") != 0))
		return answer_text(h, c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain; charset=utf-8",
				   "no request bodies\n");
	if (strcmp(url, "/metrics") == 0)
		return answer_metrics(h, c);
	if (strcmp(url, "/") == 0)
		return answer_text(h, c, MHD_HTTP_OK, "text/html; charset=utf-8", index_page);
	return answer_text(h, c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			   "not found: the metrics are at /metrics\n");
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct sw_metrics_http *h = cls;
	bool ok = false;

	/* A UNIX socket passed as "metrics": its file's permissions decide
	 * who connects; allow is for addresses. */
	if (sa->sa_family == AF_UNIX)
		ok = true;
	else if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		ok = config_cidrs_contain(h->allow, h->n_allow, AF_INET,
					  (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		ok = config_cidrs_contain(h->allow, h->n_allow, AF_INET6,
					  (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
	if (!ok)
		h->stats.refused++;
	return ok ? MHD_YES : MHD_NO;
}

static void pending_unlink(struct sw_metrics_http *h, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		h->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		h->pending_tail = p->prev;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct sw_metrics_http *h = cls;
	struct pending *p;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		p = *socket_context;
		if (p) {
			pending_unlink(h, p);
			free(p);
			*socket_context = NULL;
		}
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return;   /* not tracked: the idle timeout still bounds it */
	*p = (struct pending){ .c = c, .deadline_usec = util_now_usec() + h->request_usec,
			       .prev = h->pending_tail };
	if (h->pending_tail)
		h->pending_tail->next = p;
	else
		h->pending = p;
	h->pending_tail = p;
	*socket_context = p;
}

/* Connections past their deadline without a whole request: shut down, so
 * that libmicrohttpd sees them end at its next run and frees the slot. */
static void expire(struct sw_metrics_http *h, uint64_t now)
{
	for (struct pending *p = h->pending; p && p->deadline_usec <= now; p = p->next) {
		const union MHD_ConnectionInfo *ci;

		if (p->answered || p->deadline_usec == 0)
			continue;
		ci = MHD_get_connection_info(p->c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			(void)shutdown(ci->connect_fd, SHUT_RDWR);
		p->deadline_usec = 0;   /* shut down once */
		h->stats.expired++;
	}
}

/* The next deadline of a connection still waiting for its request; 0 none. */
static uint64_t next_deadline(const struct sw_metrics_http *h)
{
	for (const struct pending *p = h->pending; p; p = p->next)
		if (!p->answered && p->deadline_usec)
			return p->deadline_usec;
	return 0;
}

/* ---- the loop ------------------------------------------------------------- */

static int rearm(struct sw_metrics_http *h)
{
	uint64_t now = util_now_usec(), deadline = next_deadline(h), at = UINT64_MAX;
	MHD_UNSIGNED_LONG_LONG ms;
	int r;

	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		at = now + (uint64_t)ms * USEC_PER_MSEC;
	if (deadline && deadline < at)
		at = deadline > now ? deadline : now;
	if (at == UINT64_MAX)
		return sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	r = sd_event_source_set_time(h->timer, at);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static unsigned n_connections(struct sw_metrics_http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

static int run(struct sw_metrics_http *h)
{
	unsigned before = n_connections(h);

	/* MHD_NO here is a failure of one connection's processing, which
	 * MHD has closed; the endpoint goes on. */
	(void)MHD_run(h->d);
	/* At max_connections libmicrohttpd takes the listening socket out of
	 * its epoll set, and puts it back only at the start of a later run:
	 * when this run closed connections, nothing else would wake it (no
	 * fd ready, no timeout left) and clients would wait in the kernel's
	 * queue for ever. One more run puts it back and accepts them. */
	if (n_connections(h) < before)
		(void)MHD_run(h->d);
	expire(h, util_now_usec());
	return rearm(h);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return run(userdata);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	return run(userdata);
}

int metrics_http_set_allow(struct sw_metrics_http *h, const struct sw_cidr *allow, size_t n)
{
	struct sw_cidr *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (n)
		memcpy(v, allow, n * sizeof(*v));
	free(h->allow);
	h->allow = v;
	h->n_allow = n;
	return 0;
}

int metrics_http_new(sd_event *e, int fd, const struct sw_metrics_http_limits *lim,
		     const struct sw_cidr *allow, size_t n_allow,
		     const struct sw_metrics_source *src, struct sw_metrics_http **ret)
{
	struct sw_metrics_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	unsigned timeout = (unsigned)SW_MAX(lim->timeout_usec / USEC_PER_SEC, 1);
	int r;

	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->src = *src;
	h->request_usec = SW_MAX(lim->timeout_usec, USEC_PER_SEC);
	r = metrics_http_set_allow(h, allow, n_allow);
	if (r < 0) {
		close(fd);
		free(h);
		return r;
	}
	h->d = MHD_start_daemon(MHD_USE_EPOLL, 0, on_accept, h, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, lim->max_connections,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->max_per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, timeout,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SW_METRICS_CONN_MEMORY,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_END);
	if (!h->d) {
		close(fd);
		metrics_http_free(h);
		return -EINVAL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		metrics_http_free(h);
		return -EINVAL;
	}
	r = sd_event_add_io(e, &h->io, info->epoll_fd, EPOLLIN, on_io, h);
	if (r >= 0)
		/* Accuracy 1 us, not 0 (sd-event's default, 250 ms): while
		 * an answer is being sent MHD_get_timeout() says 0, and each
		 * run sends one block; at 250 ms a turn a 5 MiB scrape took
		 * 34 s. */
		r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, h);
	/* Below the poll timer and the control socket: a scrape waits for
	 * both. */
	if (r >= 0)
		r = sd_event_source_set_priority(h->io, SD_EVENT_PRIORITY_NORMAL + 10);
	if (r >= 0)
		r = sd_event_source_set_priority(h->timer, SD_EVENT_PRIORITY_NORMAL + 10);
	if (r >= 0)
		r = rearm(h);
	if (r < 0) {
		metrics_http_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void metrics_http_free(struct sw_metrics_http *h)
{
	if (!h)
		return;
	sd_event_source_disable_unref(h->io);
	sd_event_source_disable_unref(h->timer);
	if (h->d) {
		/* MHD closes a listen socket it was given. */
		MHD_stop_daemon(h->d);
	}
	while (h->pending) {   /* MHD_stop_daemon() said CLOSED for each: none left */
		struct pending *p = h->pending;

		pending_unlink(h, p);
		free(p);
	}
	free(h->allow);
	free(h);
}

void metrics_http_get_stats(const struct sw_metrics_http *h, struct sw_metrics_http_stats *ret)
{
	*ret = h ? h->stats : (struct sw_metrics_http_stats){ 0 };
}

int metrics_http_listen(const struct sockaddr *sa, socklen_t len, int *ret_fd)
{
	int fd, one = 1, zero = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) ||
	    bind(fd, sa, len) < 0 || listen(fd, 64) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
