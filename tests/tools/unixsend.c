/* unixsend: sends bytes to an AF_UNIX stream socket and prints what comes
 * back, for the tests that feed sockwatchd's control socket requests no
 * well-behaved client sends (garbage, an overlong line).
 *
 *   unixsend [--timeout MS] [--max BYTES] PATH  <REQUEST
 *
 * Reads stdin (at most --max bytes, default 16 MiB) first, then connects
 * to PATH, sends it, shuts down its sending side once all is sent (as a
 * pipe's end would), and reads the reply until the peer closes the
 * connection or the timeout (default 5000 ms, counted from the connect)
 * passes. A peer that answers and closes before taking everything is
 * normal here (a server refusing an overlong request): sending stops at
 * the first byte of reply or at EPIPE/ECONNRESET, and the reply is still
 * read. The reply goes to stdout as received; one line on stderr says
 *
 *   unixsend: sent S of N bytes, received R bytes, <how it ended>
 *
 * with <how it ended> one of "peer closed", "reset", "timed out". Exit
 * status: 0 when the peer closed or reset the connection, 1 on a timeout
 * or an error (connect failing included), 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define UNIXSEND_MAX_DEFAULT (16u << 20)
#define UNIXSEND_MAX_LIMIT   (256u << 20)

static void unixsend_usage(FILE *f)
{
	fputs("usage: unixsend [--timeout MS] [--max BYTES] PATH <REQUEST\n", f);
}

static int64_t unixsend_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* All of stdin, up to max bytes: -E2BIG beyond, -errno on a read error. */
static int unixsend_read_stdin(size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > max) {
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
	if (len > max) {
		free(buf);
		return -E2BIG;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static long unixsend_number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long timeout_ms = 5000, max = UNIXSEND_MAX_DEFAULT;
	size_t len = 0, sent = 0, received = 0;
	const char *ended = "timed out";
	bool sending = true;
	int64_t deadline;
	char *req = NULL;
	int c, fd, r, rc = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 't':
			timeout_ms = unixsend_number(optarg, 1, 3600 * 1000);
			if (timeout_ms < 0) {
				fprintf(stderr, "unixsend: bad --timeout '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			max = unixsend_number(optarg, 0, UNIXSEND_MAX_LIMIT);
			if (max < 0) {
				fprintf(stderr, "unixsend: bad --max '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			unixsend_usage(stdout);
			return 0;
		default:
			unixsend_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof(sa.sun_path)) {
		unixsend_usage(stderr);
		return 2;
	}
	memcpy(sa.sun_path, argv[optind], strlen(argv[optind]) + 1);

	r = unixsend_read_stdin((size_t)max, &req, &len);
	if (r < 0) {
		fprintf(stderr, "unixsend: reading stdin: %s\n", strerror(-r));
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "unixsend: socket: %s\n", strerror(errno));
		free(req);
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "unixsend: connect %s: %s\n", sa.sun_path, strerror(errno));
		goto out;
	}
	/* Non-blocking from here: a peer that stops reading must not hang
	 * the test past its timeout. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		fprintf(stderr, "unixsend: fcntl: %s\n", strerror(errno));
		goto out;
	}
	deadline = unixsend_now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - unixsend_now_ms();
		char buf[65536];
		ssize_t n;

		if (sending && sent == len) {
			/* The end of the request, as a shell's pipe would give
			 * it: a request without its newline is complete too. */
			(void)shutdown(fd, SHUT_WR);
			sending = false;
		}
		if (sending)
			p.events |= POLLOUT;
		if (left <= 0)
			break;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "unixsend: poll: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			/* A reply, an end or an error: no more sending either way. */
			sending = false;
			n = read(fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0 && errno == ECONNRESET) {
				ended = "reset";
				rc = 0;
				break;
			}
			if (n < 0) {
				fprintf(stderr, "unixsend: read: %s\n", strerror(errno));
				goto out;
			}
			if (n == 0) {
				ended = "peer closed";
				rc = 0;
				break;
			}
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
				fprintf(stderr, "unixsend: writing stdout failed\n");
				goto out;
			}
			received += (size_t)n;
			continue;
		}
		if (sending && (p.revents & POLLOUT)) {
			n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
				/* Refused midway: what it said is still to be read. */
				sending = false;
				continue;
			}
			if (n < 0) {
				fprintf(stderr, "unixsend: send: %s\n", strerror(errno));
				goto out;
			}
			sent += (size_t)n;
		}
	}
	fprintf(stderr, "unixsend: sent %zu of %zu bytes, received %zu bytes, %s\n", sent, len,
		received, ended);
out:
	if (fflush(stdout) != 0)
		rc = 1;
	close(fd);
	free(req);
	return rc;
}
