/* httpabuse: the HTTP clients no scraper is, for the tests of the metrics
 * endpoint (89-metrics-abuse.sh). IPv4 only; every mode can bind its
 * source address (--from), so a test namespace can play many clients.
 *
 *   httpabuse request [--from ADDR] [--timeout MS] ADDR PORT  <REQUEST
 *       Sends stdin as it is (NUL bytes and all; at most 16 MiB), never
 *       half-closes, and reads the answer until the server closes the
 *       connection or the timeout (default 5000 ms from the connect)
 *       passes. Sending stops at the first byte of answer, or when the
 *       server closes or resets: a server refusing an overlong request
 *       does that. The answer goes to stdout; stderr gets one line,
 *         httpabuse: sent S of N bytes, received R bytes, ENDED after T ms
 *       ENDED being "closed", "reset" or "timed out". Exit 0 when the
 *       server closed or reset, 1 on a timeout or an error.
 *
 *   httpabuse slow [--from ADDR] [--interval MS] [--chunk BYTES]
 *                  [--max-secs S] ADDR PORT
 *       A slowloris client: the start of a GET /metrics request, then
 *       CHUNK bytes (default 1) of one header line every INTERVAL ms
 *       (default 500), never ending it, until the server answers, closes
 *       or resets, or S seconds (default 10) pass. stdout, one line:
 *         slow: OUTCOME after T ms, S bytes sent[, status NNN]
 *       OUTCOME: "answered", "closed", "reset" or "open" (still open at
 *       the end: the client gave up). Exit 0, 1 on an error.
 *
 *   httpabuse idle [--from ADDR] [--spread K] [--count N] [--hold-secs S]
 *                  [--ready FILE] ADDR PORT
 *       N (default 100) connections that say nothing, from ADDR, ADDR+1,
 *       ... ADDR+K-1 in turn (default K 1, ADDR 127.0.0.1), all started
 *       at once (non-blocking connect); FILE is created once every
 *       connect() is issued. Held S seconds (default 3), watching which
 *       ones the server closes, then all closed. stdout, one line:
 *         idle: N opened, C connected, A closed within 500 ms, X closed in
 *         all, first close at F ms, last close at L ms, O still open
 *       (times from the start; -1 when none). Exit 0, 1 on an error. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HA_MAX_REQUEST (16u << 20)
#define HA_MAX_IDLE    10000

struct ha_opts {
	struct in_addr from;
	bool have_from;
	long timeout_ms, interval_ms, chunk, max_secs, spread, count, hold_secs;
	const char *ready;
	struct sockaddr_in to;
};

static void ha_usage(FILE *f)
{
	fputs("usage: httpabuse request [--from ADDR] [--timeout MS] ADDR PORT <REQUEST\n"
	      "       httpabuse slow [--from ADDR] [--interval MS] [--chunk BYTES] [--max-secs S] ADDR PORT\n"
	      "       httpabuse idle [--from ADDR] [--spread K] [--count N] [--hold-secs S] [--ready FILE] ADDR PORT\n",
	      f);
}

static int64_t ha_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ha_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static long ha_number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

/* A non-blocking TCP socket from src (port 0) connecting to o->to: the fd,
 * or -1 with errno set. */
static int ha_connect(const struct ha_opts *o, const struct in_addr *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -1;
	if (src)
		sa.sin_addr = *src;
	if ((!src || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) &&
	    (connect(fd, (const struct sockaddr *)&o->to, sizeof(o->to)) == 0 || errno == EINPROGRESS))
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Waits up to ms for fd's connect to complete: 0, or -1 with errno. */
static int ha_wait_connected(int fd, int64_t ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, n;

	do
		n = poll(&p, 1, (int)ms);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int ha_read_stdin(char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= HA_MAX_REQUEST) {
				free(buf);
				return -E2BIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int ha_request(const struct ha_opts *o)
{
	size_t len = 0, sent = 0, received = 0;
	const char *ended = "timed out";
	bool sending = true;
	int64_t t0, deadline;
	char *req = NULL;
	int fd, r, rc = 1;

	r = ha_read_stdin(&req, &len);
	if (r < 0) {
		fprintf(stderr, "httpabuse: reading stdin: %s\n", strerror(-r));
		return 1;
	}
	t0 = ha_now_ms();
	deadline = t0 + o->timeout_ms;
	fd = ha_connect(o, o->have_from ? &o->from : NULL);
	if (fd < 0 || ha_wait_connected(fd, o->timeout_ms) < 0) {
		fprintf(stderr, "httpabuse: connect: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(req);
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sending && sent < len ? POLLOUT : 0) };
		int64_t left = deadline - ha_now_ms();
		char buf[65536];
		ssize_t n;

		if (left <= 0)
			break;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "httpabuse: poll: %s\n", strerror(errno));
			goto out;
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n > 0) {
				sending = false;   /* answered: the rest is moot */
				if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
					goto out;
				received += (size_t)n;
				continue;
			}
			if (n == 0) {
				ended = "closed";
				rc = 0;
				break;
			}
			if (errno == ECONNRESET || errno == EPIPE) {
				ended = "reset";
				rc = 0;
				break;
			}
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "httpabuse: recv: %s\n", strerror(errno));
				goto out;
			}
		}
		if (sending && sent < len && (p.revents & POLLOUT)) {
			n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
				sending = false;   /* what came back is still read */
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "httpabuse: send: %s\n", strerror(errno));
				goto out;
			}
		}
	}
	fflush(stdout);
	fprintf(stderr, "httpabuse: sent %zu of %zu bytes, received %zu bytes, %s after %lld ms\n",
		sent, len, received, ended, (long long)(ha_now_ms() - t0));
out:
	close(fd);
	free(req);
	return rc;
}

static int ha_slow(const struct ha_opts *o)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: sockwatchd\r\nX-Slow: ";
	const char *outcome = "open";
	char status[4] = "";
	size_t sent = 0, off = 0;
	int64_t t0, end, next;
	char *chunk;
	int fd, rc = 1;

	chunk = malloc((size_t)o->chunk);
	if (!chunk)
		return 1;
	memset(chunk, 'a', (size_t)o->chunk);
	t0 = ha_now_ms();
	end = t0 + o->max_secs * 1000;
	fd = ha_connect(o, o->have_from ? &o->from : NULL);
	if (fd < 0 || ha_wait_connected(fd, 5000) < 0) {
		fprintf(stderr, "httpabuse: connect: %s\n", strerror(errno));
		free(chunk);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* The request line and the first header at once, then the trickle. */
	while (off < sizeof(head) - 1) {
		ssize_t n = send(fd, head + off, sizeof(head) - 1 - off, MSG_NOSIGNAL);

		if (n < 0) {
			fprintf(stderr, "httpabuse: send: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	sent = off;
	next = ha_now_ms() + o->interval_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t now = ha_now_ms(), wait = ha_min(next, end) - now;
		char buf[4096];
		ssize_t n;

		if (now >= end)
			break;
		n = poll(&p, 1, (int)(wait > 0 ? wait : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "httpabuse: poll: %s\n", strerror(errno));
			goto out;
		}
		if (n > 0) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n > 0) {
				outcome = "answered";
				if (n >= 12 && memcmp(buf, "HTTP/1.", 7) == 0)
					memcpy(status, buf + 9, 3);
				break;
			}
			if (n == 0) {
				outcome = "closed";
				break;
			}
			if (errno == ECONNRESET) {
				outcome = "reset";
				break;
			}
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "httpabuse: recv: %s\n", strerror(errno));
				goto out;
			}
			continue;
		}
		if (ha_now_ms() >= next) {
			n = send(fd, chunk, (size_t)o->chunk, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
				outcome = "reset";
				break;
			} else if (n < 0 && errno != EAGAIN) {
				fprintf(stderr, "httpabuse: send: %s\n", strerror(errno));
				goto out;
			}
			next += o->interval_ms;
		}
	}
	printf("slow: %s after %lld ms, %zu bytes sent%s%s\n", outcome, (long long)(ha_now_ms() - t0),
	       sent, status[0] ? ", status " : "", status);
	rc = 0;
out:
	close(fd);
	free(chunk);
	return rc;
}

static int ha_idle(const struct ha_opts *o)
{
	struct in_addr base = o->have_from ? o->from : (struct in_addr){ htonl(INADDR_LOOPBACK) };
	long n = o->count, connected = 0, closed = 0, early = 0, open_left;
	int64_t *closed_at = calloc((size_t)n, sizeof(*closed_at));
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	int *fds = malloc((size_t)n * sizeof(*fds));
	int64_t t0, end, first = -1, last = -1;
	struct rlimit rl;
	int rc = 1;

	if (!closed_at || !p || !fds)
		goto out;
	for (long i = 0; i < n; i++)
		fds[i] = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur = (rlim_t)ha_min((int64_t)rl.rlim_max, n + 16);
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	t0 = ha_now_ms();
	for (long i = 0; i < n; i++) {
		struct in_addr src = { htonl(ntohl(base.s_addr) + (uint32_t)(i % o->spread)) };

		p[i].fd = fds[i] = ha_connect(o, &src);
		if (fds[i] < 0) {
			fprintf(stderr, "httpabuse: connection %ld: %s\n", i, strerror(errno));
			goto out;
		}
		p[i].events = POLLOUT;
		closed_at[i] = -1;
	}
	if (o->ready) {
		FILE *f = fopen(o->ready, "w");

		if (!f || fclose(f) != 0) {
			fprintf(stderr, "httpabuse: %s: %s\n", o->ready, strerror(errno));
			goto out;
		}
	}
	end = t0 + o->hold_secs * 1000;
	for (;;) {
		int64_t left = end - ha_now_ms();
		int r;

		if (left <= 0)
			break;
		r = poll(p, (nfds_t)n, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "httpabuse: poll: %s\n", strerror(errno));
			goto out;
		}
		for (long i = 0; i < n && r > 0; i++) {
			char c;

			if (!p[i].revents)
				continue;
			r--;
			if (p[i].events & POLLOUT) {
				/* Connected (or failed): from now on, watch for
				 * the server's close. */
				int err = 0;
				socklen_t len = sizeof(err);

				(void)getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (!err)
					connected++;
				p[i].events = POLLIN | POLLRDHUP;
				if (!err)
					continue;
			} else if (recv(p[i].fd, &c, 1, MSG_DONTWAIT) > 0) {
				continue;   /* the server said something: not a close */
			}
			closed_at[i] = ha_now_ms() - t0;
			if (first < 0)
				first = closed_at[i];
			last = closed_at[i];
			closed++;
			if (closed_at[i] <= 500)
				early++;
			p[i].fd = -1;   /* poll() skips it from now on */
		}
	}
	open_left = n - closed;
	printf("idle: %ld opened, %ld connected, %ld closed within 500 ms, %ld closed in all, "
	       "first close at %lld ms, last close at %lld ms, %ld still open\n",
	       n, connected, early, closed, (long long)first, (long long)last, open_left);
	rc = 0;
out:
	for (long i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(p);
	free(closed_at);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "max-secs", required_argument, NULL, 'm' },
		{ "spread", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "hold-secs", required_argument, NULL, 'H' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ha_opts o = {
		.timeout_ms = 5000, .interval_ms = 500, .chunk = 1, .max_secs = 10,
		.spread = 1, .count = 100, .hold_secs = 3,
	};
	const char *mode;
	long port, *num = NULL, lo = 0, hi = 0;
	int c;

	if (argc < 2) {
		ha_usage(stderr);
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 'f':
			if (inet_pton(AF_INET, optarg, &o.from) != 1) {
				fprintf(stderr, "httpabuse: bad --from '%s'\n", optarg);
				return 2;
			}
			o.have_from = true;
			continue;
		case 'r':
			o.ready = optarg;
			continue;
		case 't': num = &o.timeout_ms; lo = 1; hi = 3600 * 1000; break;
		case 'i': num = &o.interval_ms; lo = 1; hi = 3600 * 1000; break;
		case 'c': num = &o.chunk; lo = 1; hi = 1 << 20; break;
		case 'm': num = &o.max_secs; lo = 1; hi = 3600; break;
		case 's': num = &o.spread; lo = 1; hi = 65536; break;
		case 'n': num = &o.count; lo = 1; hi = HA_MAX_IDLE; break;
		case 'H': num = &o.hold_secs; lo = 1; hi = 3600; break;
		case 'h':
			ha_usage(stdout);
			return 0;
		default:
			ha_usage(stderr);
			return 2;
		}
		*num = ha_number(optarg, lo, hi);
		if (*num < 0) {
			fprintf(stderr, "httpabuse: bad value '%s' (%ld..%ld)\n", optarg, lo, hi);
			return 2;
		}
	}
	if (optind != argc - 2) {
		ha_usage(stderr);
		return 2;
	}
	o.to.sin_family = AF_INET;
	port = ha_number(argv[optind + 1], 1, 65535);
	if (inet_pton(AF_INET, argv[optind], &o.to.sin_addr) != 1 || port < 0) {
		fprintf(stderr, "httpabuse: bad address '%s %s'\n", argv[optind], argv[optind + 1]);
		return 2;
	}
	o.to.sin_port = htons((uint16_t)port);
	if (strcmp(mode, "request") == 0)
		return ha_request(&o);
	if (strcmp(mode, "slow") == 0)
		return ha_slow(&o);
	if (strcmp(mode, "idle") == 0)
		return ha_idle(&o);
	ha_usage(stderr);
	return 2;
}
