/* qfill: makes real TCP sockets for the integration tests and holds them
 * until SIGTERM or SIGINT, so that a test can fill a listener's accept queue
 * or SYN queue and compare what sockwatchd's collector sees with ss/nstat.
 *
 *   qfill listen  [-6] [--v6only 0|1] [--reuseport] [--bind ADDR] [--port P]
 *                 [--backlog N] [--count K] [--ready-file F]
 *   qfill connect [-6] --to ADDR --port P --count N [--from ADDR]
 *                 [--ready-file F]
 *
 * listen prints "LISTEN <addr> <port> <inode> <cookie>" per listener and
 * never accept()s; connect issues N non-blocking connect()s. Both write the
 * ready file (atomically, by rename) once every socket exists, then wait for
 * a signal. Exit status: 0 after a signal, 1 on any error, 2 on bad usage.
 * SIGUSR1 makes a listen-mode qfill accept() and close every connection
 * waiting in its accept queues (draining them), then wait again. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* The machine allows 20000 fds per process; leave room for stdio and the
 * ready file. Tests needing more spread over several processes. */
#define QFILL_MAX_SOCKETS 19500

struct qfill_opts {
	bool listen;          /* mode: listen, else connect */
	int family;
	int v6only;           /* -1: leave the kernel default */
	bool reuseport;
	const char *bind;     /* listen: local address; connect: --from */
	const char *to;
	long port;            /* -1 when not given */
	int backlog;
	long count;
	const char *ready_file;
};

static void qfill_usage(FILE *f)
{
	fputs("usage: qfill listen [-6] [--v6only 0|1] [--reuseport] [--bind ADDR] [--port P]\n"
	      "                    [--backlog N] [--count K] [--ready-file F]\n"
	      "       qfill connect [-6] --to ADDR --port P --count N [--from ADDR]\n"
	      "                    [--ready-file F]\n", f);
}

static int qfill_parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Fills sa from a numeric address of o->family; NULL means the loopback
 * address, so that a test never listens beyond its namespace by accident. */
static int qfill_sockaddr(const struct qfill_opts *o, const char *addr, uint16_t port,
			  struct sockaddr_storage *ret, socklen_t *ret_len)
{
	memset(ret, 0, sizeof(*ret));
	if (o->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr ? addr : "::1", &s6->sin6_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ret;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr ? addr : "127.0.0.1", &s4->sin_addr) != 1)
			return -EINVAL;
		*ret_len = sizeof(*s4);
	}
	return 0;
}

/* Raises the soft fd limit to the hard one: a test may ask for thousands of
 * sockets and the soft limit is often 1024. */
static int qfill_raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need + 16 > rl.rlim_cur)
		return -EMFILE;
	return 0;
}

/* Writes "ready <count>\n" to a temporary name and renames it, so a test
 * polling for the file never reads it half-written. */
static int qfill_write_ready(const char *path, long count)
{
	size_t len = strlen(path) + 8;
	char *tmp = malloc(len);
	FILE *f;
	int r = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		goto out;
	}
	fprintf(f, "ready %ld\n", count);
	if (fclose(f) != 0) {
		r = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0)
		r = -errno;
out:
	free(tmp);
	return r;
}

static int qfill_one_listener(const struct qfill_opts *o, int *ret_fd)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int one = 1, fd, r;

	r = qfill_sockaddr(o, o->bind, (uint16_t)(o->port < 0 ? 0 : o->port), &sa, &salen);
	if (r < 0) {
		fprintf(stderr, "qfill: bad --bind address '%s'\n", o->bind);
		return r;
	}
	fd = socket(o->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "qfill: socket: %s\n", strerror(-r));
		return r;
	}
	if (o->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (o->family == AF_INET6 && o->v6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &o->v6only, sizeof(o->v6only)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		goto fail;
	if (listen(fd, o->backlog) < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	r = -errno;
	fprintf(stderr, "qfill: listener on %s port %ld: %s\n",
		o->bind ? o->bind : "loopback", o->port < 0 ? 0 : o->port, strerror(-r));
	close(fd);
	return r;
}

/* One "LISTEN addr port inode cookie" line, from what the kernel says about
 * the socket rather than what was asked for. */
static int qfill_print_listener(int fd)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	char addr[INET6_ADDRSTRLEN];
	uint64_t cookie = 0;
	socklen_t clen = sizeof(cookie);
	struct stat st;
	unsigned port;

	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &clen) < 0 ||
	    fstat(fd, &st) < 0) {
		int r = -errno;

		fprintf(stderr, "qfill: inspecting listener: %s\n", strerror(-r));
		return r;
	}
	if (sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		port = ntohs(s4->sin_port);
	}
	printf("LISTEN %s %u %lu %llu\n", addr, port, (unsigned long)st.st_ino,
	       (unsigned long long)cookie);
	return 0;
}

static int qfill_one_connect(const struct qfill_opts *o, const struct sockaddr_storage *to,
			     socklen_t tolen, int *ret_fd)
{
	int one = 1, fd, r;

	fd = socket(o->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "qfill: socket: %s\n", strerror(-r));
		return r;
	}
	if (o->bind) {
		struct sockaddr_storage from;
		socklen_t fromlen;

		r = qfill_sockaddr(o, o->bind, 0, &from, &fromlen);
		if (r < 0) {
			fprintf(stderr, "qfill: bad --from address '%s'\n", o->bind);
			close(fd);
			return r;
		}
		/* Defer the port choice to connect(), where the kernel knows
		 * the 4-tuple and can reuse ports across destinations. */
		if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&from, fromlen) < 0) {
			r = -errno;
			fprintf(stderr, "qfill: bind to %s: %s\n", o->bind, strerror(-r));
			close(fd);
			return r;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, tolen) < 0 && errno != EINPROGRESS) {
		r = -errno;
		fprintf(stderr, "qfill: connect to %s port %ld: %s\n", o->to, o->port, strerror(-r));
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int qfill_make(const struct qfill_opts *o, int *fds, long *ret_n)
{
	struct sockaddr_storage to;
	socklen_t tolen = 0;
	long i;
	int r;

	*ret_n = 0;
	if (!o->listen) {
		r = qfill_sockaddr(o, o->to, (uint16_t)o->port, &to, &tolen);
		if (r < 0) {
			fprintf(stderr, "qfill: bad --to address '%s'\n", o->to);
			return r;
		}
	}
	for (i = 0; i < o->count; i++) {
		if (o->listen) {
			r = qfill_one_listener(o, &fds[i]);
			if (r >= 0)
				r = qfill_print_listener(fds[i]);
		} else {
			r = qfill_one_connect(o, &to, tolen, &fds[i]);
		}
		if (r < 0)
			return r;
		*ret_n = i + 1;
	}
	if (fflush(stdout) != 0)
		return -EIO;
	return 0;
}

static int qfill_parse_args(int argc, char **argv, struct qfill_opts *o)
{
	enum { OPT_V6ONLY = 256, OPT_REUSEPORT, OPT_BIND, OPT_PORT, OPT_BACKLOG,
	       OPT_COUNT, OPT_READY, OPT_TO, OPT_FROM };
	static const struct option longopts[] = {
		{ "v6only", required_argument, NULL, OPT_V6ONLY },
		{ "reuseport", no_argument, NULL, OPT_REUSEPORT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "backlog", required_argument, NULL, OPT_BACKLOG },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "to", required_argument, NULL, OPT_TO },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long v;
	int c;

	*o = (struct qfill_opts){ .family = AF_INET, .v6only = -1, .port = -1,
				  .backlog = 128, .count = -1 };
	if (argc < 2)
		return -EINVAL;
	if (strcmp(argv[1], "listen") == 0)
		o->listen = true;
	else if (strcmp(argv[1], "connect") != 0)
		return -EINVAL;
	optind = 2;
	while ((c = getopt_long(argc, argv, "6h", longopts, NULL)) != -1) {
		switch (c) {
		case '6':
			o->family = AF_INET6;
			break;
		case OPT_V6ONLY:
			if (qfill_parse_long(optarg, 0, 1, &v) < 0)
				return -EINVAL;
			o->v6only = (int)v;
			break;
		case OPT_REUSEPORT:
			o->reuseport = true;
			break;
		case OPT_BIND:
		case OPT_FROM:
			if ((c == OPT_BIND) != o->listen)
				return -EINVAL;
			o->bind = optarg;
			break;
		case OPT_TO:
			if (o->listen)
				return -EINVAL;
			o->to = optarg;
			break;
		case OPT_PORT:
			if (qfill_parse_long(optarg, 0, 65535, &o->port) < 0)
				return -EINVAL;
			break;
		case OPT_BACKLOG:
			if (qfill_parse_long(optarg, 0, 1 << 20, &v) < 0)
				return -EINVAL;
			o->backlog = (int)v;
			break;
		case OPT_COUNT:
			if (qfill_parse_long(optarg, 1, QFILL_MAX_SOCKETS, &o->count) < 0)
				return -EINVAL;
			break;
		case OPT_READY:
			o->ready_file = optarg;
			break;
		case 'h':
			qfill_usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc)
		return -EINVAL;
	if (o->listen) {
		if (o->count < 0)
			o->count = 1;
		if (o->v6only >= 0 && o->family != AF_INET6)
			return -EINVAL;
	} else if (!o->to || o->port <= 0 || o->count < 0 || o->v6only >= 0 ||
		   o->reuseport) {
		return -EINVAL;
	}
	return 0;
}

/* Empties every listener's accept queue: accept and close until EAGAIN. */
static void qfill_drain(const int *fds, long n)
{
	for (long i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl >= 0)
			fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
		for (;;) {
			int c = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);

			if (c < 0)
				break;
			close(c);
		}
	}
}

int main(int argc, char **argv)
{
	struct qfill_opts o;
	sigset_t mask;
	int *fds = NULL;
	long n = 0, i;
	int r, sig;

	r = qfill_parse_args(argc, argv, &o);
	if (r != 0) {
		qfill_usage(r > 0 ? stdout : stderr);
		return r > 0 ? 0 : 2;
	}
	/* Block the stop signals before making anything, so one that arrives
	 * early is held for sigwait() instead of killing us half-way. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("qfill: sigprocmask");
		return 1;
	}
	r = qfill_raise_nofile(o.count);
	if (r < 0) {
		fprintf(stderr, "qfill: cannot hold %ld sockets: %s\n", o.count, strerror(-r));
		return 1;
	}
	fds = calloc((size_t)o.count, sizeof(*fds));
	if (!fds) {
		fputs("qfill: out of memory\n", stderr);
		return 1;
	}
	r = qfill_make(&o, fds, &n);
	if (r >= 0 && o.ready_file) {
		r = qfill_write_ready(o.ready_file, n);
		if (r < 0)
			fprintf(stderr, "qfill: writing %s: %s\n", o.ready_file, strerror(-r));
	}
	while (r >= 0) {
		if (sigwait(&mask, &sig) != 0) {
			r = -EINTR;
			break;
		}
		if (sig != SIGUSR1)
			break;
		if (o.listen)
			qfill_drain(fds, n);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return r < 0 ? 1 : 0;
}
