/* nspop: the population of bench/netns.sh: listeners and established
 * connections spread over many network namespaces, and the namespaces the
 * creation-to-status latency is timed on.
 *
 *   nspop pop --prefix P -N N [-K K] [-C C] [--conn-ns M] [--listen-port L]
 *             [--conn-port Q] [--pad X] [--timeout SECS] [--ready-file F]
 *       For each i in 0..N-1 a holder process enters the namespace whose
 *       nsfs file is P<i> (made beforehand, e.g. by `ip netns add`), brings
 *       its loopback up and listens on 127.0.0.1:L..L+K-1 (backlog 128, never
 *       accept()ed); it stays in the namespace, so it is a member that
 *       /proc/PID/ns/net shows. The first M holders also hold C/M (shares
 *       as equal as they come) established connections each, client and
 *       server side, to 127.0.0.1:Q inside their namespace. X more processes
 *       sit idle in the caller's namespace (a host has processes beyond its
 *       containers; discovery walks every pid).
 *   nspop hold --port P [--ready-file F]
 *       A new network namespace (unshare), loopback up and one listener on
 *       127.0.0.1:P, held by this process alone until SIGTERM/SIGINT. The
 *       ready file says when the listener existed (created_ns, CLOCK_REALTIME
 *       ns), the namespace's id (netns_id, SO_NETNS_COOKIE: NS_GET_ID's value)
 *       and pid.
 *
 * A process may hold at most 20000 fds here: a holder holds K + 2 C/M
 * sockets, checked against its limit before anything is made. Once every
 * holder is ready, pop writes the ready file (written aside, then renamed)
 * and waits for SIGTERM, SIGINT or SIGHUP; then it stops every child,
 * waits for them and exits 0. Children die with it (PR_SET_PDEATHSIG)
 * whatever happens. A holder that fails or dies, or a population not built
 * within --timeout, makes pop stop everything and exit 1. Usage errors
 * exit 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define NSPOP_FD_SPARE        64
#define NSPOP_MAX_NS          4096
#define NSPOP_MAX_PAD         20000
#define NSPOP_LISTEN_BACKLOG  128
/* A new namespace's somaxconn is 4096: the connection listener's backlog,
 * and connects go in batches well below it, each accept()ed before the
 * next, so no handshake is ever dropped. */
#define NSPOP_CONN_BACKLOG    4096
#define NSPOP_CONN_BATCH      1000

struct nspop_opts {
	const char *prefix;
	long n, k, c, conn_ns, listen_port, conn_port, pad, timeout_sec, port;
	const char *ready_file;
};

static volatile sig_atomic_t nspop_stop;

static void nspop_on_signal(int sig)
{
	nspop_stop = sig;
}

static void nspop_usage(FILE *f)
{
	fputs("usage: nspop pop --prefix P -N N [-K K] [-C C] [--conn-ns M] [--listen-port L]\n"
	      "                 [--conn-port Q] [--pad X] [--timeout SECS] [--ready-file F]\n"
	      "       nspop hold --port P [--ready-file F]\n", f);
}

static uint64_t nspop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int nspop_parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void nspop_write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "nspop: ready file name too long\n");
		return;
	}
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "nspop: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		fprintf(stderr, "nspop: %s: %s\n", path, strerror(errno));
}

/* Loopback up in the calling thread's namespace. */
static int nspop_lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

static void nspop_loopback(long port, struct sockaddr_in *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_port = htons((uint16_t)port);
	ret->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* A listener on 127.0.0.1:port; the fd or -errno. */
static int nspop_listen(long port, int backlog)
{
	struct sockaddr_in sa;
	int fd, one = 1, r;

	nspop_loopback(port, &sa);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* count established connections to lfd (listening on 127.0.0.1:port),
 * both ends held by this process: batches of connect()s (on loopback the
 * handshake completes inside connect()), each batch accept()ed. */
static int nspop_connections(int lfd, long port, long count)
{
	struct sockaddr_in dst;

	nspop_loopback(port, &dst);
	for (long done = 0; done < count;) {
		long n = count - done < NSPOP_CONN_BATCH ? count - done : NSPOP_CONN_BATCH;

		for (long i = 0; i < n; i++) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0)
				return -errno;
			while (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
				if (errno != EINTR)
					return -errno;
			}
		}
		for (long i = 0; i < n; i++) {
			int fd;

			while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
				if (errno != EINTR && errno != ECONNABORTED)
					return -errno;
			}
		}
		done += n;
	}
	return 0;
}

/* The holder of namespace i: enters it, then its listeners and share of
 * the connections. */
static int nspop_holder(const struct nspop_opts *o, long i, long conns)
{
	char path[4096];
	int nsfd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s%ld", o->prefix, i) >= sizeof(path))
		return -ENAMETOOLONG;
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = -errno;
		fprintf(stderr, "nspop: %s: %s\n", path, strerror(errno));
		return r;
	}
	r = setns(nsfd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(nsfd);
	if (r < 0) {
		fprintf(stderr, "nspop: setns %s: %s\n", path, strerror(-r));
		return r;
	}
	r = nspop_lo_up();
	if (r < 0) {
		fprintf(stderr, "nspop: %s: lo up: %s\n", path, strerror(-r));
		return r;
	}
	for (long j = 0; j < o->k; j++) {
		int fd = nspop_listen(o->listen_port + j, NSPOP_LISTEN_BACKLOG);

		if (fd < 0) {
			fprintf(stderr, "nspop: %s: listener 127.0.0.1:%ld: %s\n", path,
				o->listen_port + j, strerror(-fd));
			return fd;
		}
	}
	if (conns > 0) {
		int lfd = nspop_listen(o->conn_port, NSPOP_CONN_BACKLOG);

		if (lfd < 0) {
			fprintf(stderr, "nspop: %s: connection listener: %s\n", path, strerror(-lfd));
			return lfd;
		}
		r = nspop_connections(lfd, o->conn_port, conns);
		if (r < 0) {
			fprintf(stderr, "nspop: %s: connections: %s\n", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

struct nspop_children {
	pid_t *pid;
	long n, cap;
	int report[2];           /* holders write one byte: 0 ok, else failed */
};

static void nspop_kill_all(struct nspop_children *c)
{
	for (long i = 0; i < c->n; i++)
		if (c->pid[i] > 0)
			kill(c->pid[i], SIGKILL);
	for (long i = 0; i < c->n; i++) {
		if (c->pid[i] > 0) {
			while (waitpid(c->pid[i], NULL, 0) < 0 && errno == EINTR)
				;
			c->pid[i] = 0;
		}
	}
}

/* A child: a holder of namespace i (i >= 0, with conns connections) or an
 * idle process (i < 0). */
static int nspop_spawn(struct nspop_children *c, const struct nspop_opts *o, long i, long conns)
{
	pid_t parent = getpid(), pid;

	if (c->n == c->cap)
		return -E2BIG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		uint8_t status;
		int r;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(c->report[0]);
		if (i < 0) {
			close(c->report[1]);
			for (;;)
				pause();
		}
		r = nspop_holder(o, i, conns);
		status = r < 0 ? 1 : 0;
		if (write(c->report[1], &status, 1) != 1 || r < 0)
			_exit(1);
		close(c->report[1]);
		for (;;)
			pause();
	}
	c->pid[c->n++] = pid;
	return 0;
}

/* Waits for `want` holder reports: 0, -ETIMEDOUT, -EINTR, -ECHILD (a
 * child died) or -EIO (a holder failed). */
static int nspop_wait_ready(struct nspop_children *c, long want, uint64_t deadline_ms)
{
	long ready = 0;

	while (ready < want) {
		struct pollfd pf = { .fd = c->report[0], .events = POLLIN };
		uint64_t now = nspop_now_ms();
		uint8_t st[256];
		int r;

		if (nspop_stop)
			return -EINTR;
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)(deadline_ms - now < 200 ? deadline_ms - now : 200));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0) {
			ssize_t n = read(c->report[0], st, sizeof(st));

			for (ssize_t j = 0; j < n; j++) {
				if (st[j] != 0)
					return -EIO;
				ready++;
			}
		}
		for (long j = 0; j < c->n; j++) {
			if (c->pid[j] > 0 && waitpid(c->pid[j], NULL, WNOHANG) == c->pid[j]) {
				c->pid[j] = 0;
				return -ECHILD;
			}
		}
	}
	return 0;
}

static int nspop_pop(const struct nspop_opts *o)
{
	static struct nspop_children c;
	uint64_t t0 = nspop_now_ms(), deadline = t0 + (uint64_t)o->timeout_sec * 1000;
	long per = o->conn_ns > 0 ? (o->c + o->conn_ns - 1) / o->conn_ns : 0, done = 0;
	struct rlimit rl;
	char text[1024];
	int r;

	if (!o->prefix || o->n < 1 || (o->c > 0 && (o->conn_ns < 1 || o->conn_ns > o->n))) {
		nspop_usage(stderr);
		return 2;
	}
	if (o->listen_port + o->k - 1 > 65535 ||
	    (o->c > 0 && o->conn_port >= o->listen_port && o->conn_port < o->listen_port + o->k)) {
		fprintf(stderr, "nspop: ports: %ld listeners from %ld, connections to %ld\n", o->k,
			o->listen_port, o->conn_port);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)(o->k + 1 + 2 * per + NSPOP_FD_SPARE) > rl.rlim_cur) {
		fprintf(stderr, "nspop: a holder would hold %ld fds, the limit is %llu: "
			"more --conn-ns or fewer connections\n", o->k + 1 + 2 * per + NSPOP_FD_SPARE,
			(unsigned long long)rl.rlim_cur);
		return 2;
	}
	c.cap = o->n + o->pad;
	c.pid = calloc((size_t)c.cap, sizeof(*c.pid));
	if (!c.pid || pipe2(c.report, O_CLOEXEC) < 0) {
		perror("nspop");
		return 1;
	}
	for (long i = 0; i < o->n; i++) {
		long conns = 0;

		if (i < o->conn_ns && o->c > 0) {
			conns = (o->c - done) / (o->conn_ns - i);
			done += conns;
		}
		r = nspop_spawn(&c, o, i, conns);
		if (r < 0)
			goto fail;
	}
	for (long i = 0; i < o->pad; i++) {
		r = nspop_spawn(&c, o, -1, 0);
		if (r < 0)
			goto fail;
	}
	r = nspop_wait_ready(&c, o->n, deadline);
	if (r < 0)
		goto fail;

	snprintf(text, sizeof(text),
		 "namespaces %ld\nlisteners %ld\nestablished %ld\nconn_namespaces %ld\n"
		 "processes %ld\npadding %ld\nbuild_ms %" PRIu64 "\n",
		 o->n, o->n * o->k, o->c, o->c > 0 ? o->conn_ns : 0, c.n + 1, o->pad,
		 nspop_now_ms() - t0);
	nspop_write_ready(o->ready_file, text);
	fputs(text, stdout);
	fflush(stdout);

	while (!nspop_stop) {
		for (long j = 0; j < c.n; j++) {
			if (c.pid[j] > 0 && waitpid(c.pid[j], NULL, WNOHANG) == c.pid[j]) {
				fprintf(stderr, "nspop: child %d died\n", (int)c.pid[j]);
				c.pid[j] = 0;
				nspop_kill_all(&c);
				return 1;
			}
		}
		sleep(1);
	}
	nspop_kill_all(&c);
	return 0;
fail:
	fprintf(stderr, "nspop: population not built: %s\n", strerror(-r));
	nspop_kill_all(&c);
	return 1;
}

static int nspop_hold(const struct nspop_opts *o)
{
	struct timespec ts;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	char text[256];
	int fd, r;

	if (o->port < 1) {
		nspop_usage(stderr);
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("nspop: unshare");
		return 1;
	}
	r = nspop_lo_up();
	if (r < 0) {
		fprintf(stderr, "nspop: lo up: %s\n", strerror(-r));
		return 1;
	}
	fd = nspop_listen(o->port, NSPOP_LISTEN_BACKLOG);
	if (fd < 0) {
		fprintf(stderr, "nspop: listener: %s\n", strerror(-fd));
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	snprintf(text, sizeof(text), "created_ns %" PRIu64 "\nnetns_id %" PRIu64 "\npid %d\n",
		 (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec, cookie, (int)getpid());
	nspop_write_ready(o->ready_file, text);
	while (!nspop_stop)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_PREFIX = 256, O_CONNNS, O_LPORT, O_CPORT, O_PAD, O_TIMEOUT, O_READY, O_PORT };
	static const struct option options[] = {
		{ "prefix",      required_argument, NULL, O_PREFIX },
		{ "conn-ns",     required_argument, NULL, O_CONNNS },
		{ "listen-port", required_argument, NULL, O_LPORT },
		{ "conn-port",   required_argument, NULL, O_CPORT },
		{ "pad",         required_argument, NULL, O_PAD },
		{ "timeout",     required_argument, NULL, O_TIMEOUT },
		{ "ready-file",  required_argument, NULL, O_READY },
		{ "port",        required_argument, NULL, O_PORT },
		{ "help",        no_argument,       NULL, 'h' },
		{}
	};
	struct nspop_opts o = {
		.n = 0, .k = 50, .c = 0, .conn_ns = 10, .listen_port = 10000, .conn_port = 9000,
		.timeout_sec = 300,
	};
	struct sigaction sa = { .sa_handler = nspop_on_signal };
	struct rlimit rl;
	const char *mode;
	int c;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		nspop_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "N:K:C:h", options, NULL)) >= 0) {
		long *dst = NULL, lo = 0, hi = 10000000;

		switch (c) {
		case 'N': dst = &o.n; lo = 1; hi = NSPOP_MAX_NS; break;
		case 'K': dst = &o.k; hi = 20000; break;
		case 'C': dst = &o.c; break;
		case O_PREFIX: o.prefix = optarg; break;
		case O_CONNNS: dst = &o.conn_ns; lo = 1; hi = NSPOP_MAX_NS; break;
		case O_LPORT: dst = &o.listen_port; lo = 1; hi = 65535; break;
		case O_CPORT: dst = &o.conn_port; lo = 1; hi = 65535; break;
		case O_PAD: dst = &o.pad; hi = NSPOP_MAX_PAD; break;
		case O_TIMEOUT: dst = &o.timeout_sec; lo = 1; hi = 3600; break;
		case O_READY: o.ready_file = optarg; break;
		case O_PORT: dst = &o.port; lo = 1; hi = 65535; break;
		case 'h': nspop_usage(stdout); return 0;
		default: nspop_usage(stderr); return 2;
		}
		if (dst && nspop_parse_long(optarg, lo, hi, dst) < 0) {
			fprintf(stderr, "nspop: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		nspop_usage(stderr);
		return 2;
	}
	/* The hard limit is what the machine allows; use all of it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A caller killed outright (SIGKILL: no trap runs) still takes the
	 * population with it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);

	if (strcmp(mode, "pop") == 0)
		return nspop_pop(&o);
	if (strcmp(mode, "hold") == 0)
		return nspop_hold(&o);
	nspop_usage(stderr);
	return 2;
}
