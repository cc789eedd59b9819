/* swabuse: hostile and busy clients of sockwatchd's control socket, for the
 * robustness tests (tests/integration/8x-*.sh) and the soak
 * (tests/soak/run.sh). One poll(2) loop keeps up, for --duration seconds:
 *
 *   --idle N      connections that never send anything (the daemon drops
 *                 them after its request timeout; they connect again)
 *   --slow N      clients that ask for the whole status and never read the
 *                 reply, with a tiny receive buffer
 *   --garbage N   clients that send --garbage-bytes (default 1 MiB) of junk
 *                 without a newline, as fast as the socket takes it
 *   --queries-per-sec Q   well-behaved status requests, read to the end and
 *                 timed (at most 10 in flight)
 *
 * and prints one line of figures:
 *   connects=.. refused=.. dropped=.. garbage_bytes=.. queries_ok=..
 *   queries_failed=.. busy=.. query_max_ms=.. query_avg_ms=..
 * "busy" counts queries answered "too many clients" (the daemon's cap on
 * clients is a feature, not a failure).
 *
 *   swabuse --socket PATH --request LINE
 * sends LINE (a newline is added) as it is, however malformed, and prints
 * the reply line: for tests of what the daemon refuses.
 *
 * Exit: 0 done, 1 error (no daemon, say), 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define ABUSE_MAX_CLIENTS   5000
#define ABUSE_MAX_QUERIES   10
/* A reply is read to its newline; anything past this is not a status. */
#define ABUSE_REPLY_MAX     (64u << 20)
/* A query not answered in this long has failed. */
#define ABUSE_QUERY_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* A dropped client connects again after this long. */
#define ABUSE_RECONNECT_USEC (100 * USEC_PER_MSEC)

enum abuse_kind { AB_IDLE, AB_SLOW, AB_GARBAGE, AB_QUERY };

struct abuse_conn {
	enum abuse_kind kind;
	int fd;                     /* -1: to (re)connect */
	bool connecting;
	size_t sent;                /* request or garbage bytes sent */
	char *in;                   /* query: the reply so far */
	size_t in_len, in_cap;
	uint64_t start_usec;
	uint64_t retry_usec;        /* not before then: no connect storm of our own */
};

struct abuse {
	struct sockaddr_un sa;
	const char *garbage;
	size_t garbage_len;
	uint64_t connects, refused, dropped, garbage_bytes;
	uint64_t q_ok, q_failed, q_busy, q_total_usec, q_max_usec;
};

static const char slow_request[] = "{\"command\":\"status\",\"all\":true}\n";
static const char query_request[] = "{\"command\":\"status\"}\n";

/* --request: one raw line, one reply. */
static int abuse_request(const struct sockaddr_un *sa, const char *line)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 10 };
	char buf[65536];
	size_t len = strlen(line), off = 0;
	ssize_t n;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		fprintf(stderr, "swabuse: connect: %s\n", strerror(errno));
		return 1;
	}
	/* The daemon may refuse an oversized line before it is all sent
	 * (EPIPE): its reply is still there to read. */
	if (send(fd, line, len, MSG_NOSIGNAL) == (ssize_t)len)
		(void)send(fd, "\n", 1, MSG_NOSIGNAL);
	while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0) {
		off += (size_t)n;
		if (memchr(buf + off - n, '\n', (size_t)n))
			break;
	}
	buf[off] = 0;
	fputs(buf, stdout);
	if (!off || buf[off - 1] != '\n')
		putchar('\n');
	return 0;
}

static int abuse_usage(const char *why)
{
	fprintf(stderr, "swabuse: %s (see the comment at the top of tests/soak/swabuse.c)\n", why);
	return 2;
}

static int abuse_num(const char *s, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void abuse_close(struct abuse_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->retry_usec = util_now_usec() + ABUSE_RECONNECT_USEC;
	c->connecting = false;
	c->sent = 0;
	c->in_len = 0;
}

/* A new non-blocking connection for c. */
static int abuse_connect(struct abuse *a, struct abuse_conn *c, uint64_t now)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (c->kind == AB_SLOW) {
		/* The smallest buffer the kernel allows: the reply stays in
		 * the daemon's hands. */
		int one = 1;

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	}
	if (connect(fd, (struct sockaddr *)&a->sa, sizeof(a->sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		int r = -errno;

		close(fd);
		a->refused++;
		return r;
	}
	c->fd = fd;
	c->connecting = errno == EINPROGRESS || errno == EAGAIN;
	c->sent = 0;
	c->in_len = 0;
	c->start_usec = now;
	a->connects++;
	return 0;
}

static short abuse_events(const struct abuse *a, const struct abuse_conn *c)
{
	switch (c->kind) {
	case AB_IDLE:
		return POLLIN;
	case AB_SLOW:
		return c->sent < sizeof(slow_request) - 1 ? POLLOUT : 0;
	case AB_GARBAGE:
		return (short)(POLLIN | (c->sent < a->garbage_len ? POLLOUT : 0));
	case AB_QUERY:
		return (short)(POLLIN | (c->sent < sizeof(query_request) - 1 ? POLLOUT : 0));
	}
	return 0;
}

static void abuse_query_done(struct abuse *a, struct abuse_conn *c, uint64_t now, bool ok)
{
	uint64_t t = now - c->start_usec;

	if (ok && c->in_len && strstr(c->in, "too many clients")) {
		a->q_busy++;
	} else if (ok && c->in_len > 1 && c->in[0] == '{' && !strstr(c->in, "\"error\"")) {
		a->q_ok++;
		a->q_total_usec += t;
		if (t > a->q_max_usec)
			a->q_max_usec = t;
	} else {
		a->q_failed++;
	}
	abuse_close(c);
}

/* Reads what is there; for a query, into its reply buffer. */
static void abuse_read(struct abuse *a, struct abuse_conn *c, uint64_t now)
{
	char junk[4096];

	for (;;) {
		char *dst = junk;
		size_t room = sizeof(junk);
		ssize_t n;

		if (c->kind == AB_QUERY) {
			if (c->in_cap - c->in_len < 65536 + 1) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
				char *p;

				if (cap > ABUSE_REPLY_MAX || !(p = realloc(c->in, cap))) {
					abuse_query_done(a, c, now, false);
					return;
				}
				c->in = p;
				c->in_cap = cap;
			}
			dst = c->in + c->in_len;
			room = c->in_cap - c->in_len - 1;
		}
		n = read(c->fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The daemon closed: a finished reply, or it dropped us. */
			if (c->kind == AB_QUERY) {
				c->in[c->in_len] = 0;
				abuse_query_done(a, c, now, c->in_len > 0);
			} else {
				a->dropped++;
				abuse_close(c);
			}
			return;
		}
		if (c->kind == AB_QUERY) {
			c->in_len += (size_t)n;
			c->in[c->in_len] = 0;
			if (memchr(c->in + c->in_len - n, '\n', (size_t)n)) {
				abuse_query_done(a, c, now, true);
				return;
			}
		}
	}
}

static void abuse_write(struct abuse *a, struct abuse_conn *c)
{
	const char *buf;
	size_t len;
	ssize_t n;

	switch (c->kind) {
	case AB_SLOW:
		buf = slow_request, len = sizeof(slow_request) - 1;
		break;
	case AB_QUERY:
		buf = query_request, len = sizeof(query_request) - 1;
		break;
	case AB_GARBAGE:
		buf = a->garbage, len = a->garbage_len;
		break;
	default:
		return;
	}
	while (c->sent < len) {
		n = send(c->fd, buf + c->sent, len - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			if (c->kind == AB_QUERY) {
				/* Refused before we were done asking: its notice
				 * ("too many clients") is still there to read. */
				c->sent = len;
				return;
			}
			a->dropped++;
			abuse_close(c);
			return;
		}
		c->sent += (size_t)n;
		if (c->kind == AB_GARBAGE)
			a->garbage_bytes += (uint64_t)n;
	}
}

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_IDLE, OPT_SLOW, OPT_GARBAGE, OPT_GBYTES, OPT_QPS, OPT_DURATION,
	       OPT_REQUEST };
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "idle", required_argument, NULL, OPT_IDLE },
		{ "slow", required_argument, NULL, OPT_SLOW },
		{ "garbage", required_argument, NULL, OPT_GARBAGE },
		{ "garbage-bytes", required_argument, NULL, OPT_GBYTES },
		{ "queries-per-sec", required_argument, NULL, OPT_QPS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "request", required_argument, NULL, OPT_REQUEST },
		{ 0 }
	};
	long idle = 0, slow = 0, garbage = 0, gbytes = 1 << 20, qps = 0, duration = 10, v;
	struct abuse a = { .sa.sun_family = AF_UNIX };
	struct abuse_conn *conns;
	struct pollfd *pfd;
	struct rlimit rl;
	const char *path = NULL, *request = NULL;
	uint64_t start, end, next_query;
	size_t n;
	int c;
	char *g;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		long *dst = NULL, max = ABUSE_MAX_CLIENTS;

		switch (c) {
		case OPT_SOCKET: path = optarg; continue;
		case OPT_REQUEST: request = optarg; continue;
		case OPT_IDLE: dst = &idle; break;
		case OPT_SLOW: dst = &slow; break;
		case OPT_GARBAGE: dst = &garbage; break;
		case OPT_GBYTES: dst = &gbytes; max = 1 << 28; break;
		case OPT_QPS: dst = &qps; max = 1000; break;
		case OPT_DURATION: dst = &duration; max = 7 * 86400; break;
		default: return abuse_usage("unknown option");
		}
		if (abuse_num(optarg, max, &v) < 0)
			return abuse_usage("bad number");
		*dst = v;
	}
	if (!path || optind != argc)
		return abuse_usage("--socket PATH is needed, and no other arguments");
	if (strlen(path) >= sizeof(a.sa.sun_path))
		return abuse_usage("socket path too long");
	memcpy(a.sa.sun_path, path, strlen(path) + 1);
	if (request)
		return abuse_request(&a.sa, request);
	if (idle + slow + garbage > ABUSE_MAX_CLIENTS)
		return abuse_usage("too many clients");
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	g = malloc((size_t)gbytes + 1);
	n = (size_t)(idle + slow + garbage) + ABUSE_MAX_QUERIES;
	conns = calloc(n, sizeof(*conns));
	pfd = calloc(n, sizeof(*pfd));
	if (!g || !conns || !pfd) {
		fputs("swabuse: out of memory\n", stderr);
		return 1;
	}
	/* Printable junk, never a newline: the daemon must give up on it by
	 * length alone. */
	for (long i = 0; i < gbytes; i++)
		g[i] = (char)('A' + i % 26);
	a.garbage = g;
	a.garbage_len = (size_t)gbytes;
	for (size_t i = 0; i < n; i++) {
		conns[i].fd = -1;
		conns[i].kind = i < (size_t)idle ? AB_IDLE : i < (size_t)(idle + slow) ? AB_SLOW :
				i < (size_t)(idle + slow + garbage) ? AB_GARBAGE : AB_QUERY;
	}

	start = util_now_usec();
	end = start + (uint64_t)duration * USEC_PER_SEC;
	next_query = start;
	for (;;) {
		uint64_t now = util_now_usec();
		int timeout_ms = 20, r;
		size_t np = 0;

		if (now >= end)
			break;
		for (size_t i = 0; i < n; i++) {
			struct abuse_conn *cn = &conns[i];

			if (cn->kind == AB_QUERY) {
				if (cn->fd >= 0 && now - cn->start_usec > ABUSE_QUERY_TIMEOUT_USEC) {
					a.q_failed++;
					abuse_close(cn);
				}
				if (cn->fd < 0 && qps > 0 && now >= next_query) {
					next_query += USEC_PER_SEC / (uint64_t)qps;
					if (next_query < now)
						next_query = now;
					if (abuse_connect(&a, cn, now) < 0)
						a.q_failed++;
				}
			} else if (cn->fd < 0 && now >= cn->retry_usec) {
				(void)abuse_connect(&a, cn, now);
			}
			if (cn->fd >= 0) {
				pfd[np].fd = cn->fd;
				pfd[np].events = abuse_events(&a, cn);
				pfd[np].revents = 0;
				np++;
			}
		}
		r = poll(pfd, np, timeout_ms);
		if (r < 0 && errno != EINTR) {
			perror("swabuse: poll");
			return 1;
		}
		now = util_now_usec();
		np = 0;
		for (size_t i = 0; i < n && r > 0; i++) {
			struct abuse_conn *cn = &conns[i];
			short re;

			if (cn->fd < 0)
				continue;
			re = pfd[np++].revents;
			if (!re)
				continue;
			cn->connecting = false;
			if (re & POLLOUT)
				abuse_write(&a, cn);
			if (cn->fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR)))
				abuse_read(&a, cn, now);
		}
		if (a.connects == 0 && a.refused > 100) {
			fprintf(stderr, "swabuse: cannot connect to %s\n", path);
			return 1;
		}
	}
	printf("connects=%" PRIu64 " refused=%" PRIu64 " dropped=%" PRIu64
	       " garbage_bytes=%" PRIu64 " queries_ok=%" PRIu64 " queries_failed=%" PRIu64
	       " busy=%" PRIu64 " query_max_ms=%" PRIu64 " query_avg_ms=%" PRIu64 "\n",
	       a.connects, a.refused, a.dropped, a.garbage_bytes, a.q_ok, a.q_failed, a.q_busy,
	       (uint64_t)(a.q_max_usec / USEC_PER_MSEC),
	       (uint64_t)(a.q_ok ? a.q_total_usec / a.q_ok / USEC_PER_MSEC : 0));
	for (size_t i = 0; i < n; i++) {
		abuse_close(&conns[i]);
		free(conns[i].in);
	}
	free(conns);
	free(pfd);
	free(g);
	return 0;
}
