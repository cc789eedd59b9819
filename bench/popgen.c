/* popgen: the socket population the benchmarks measure against. Run it in a
 * network namespace of its own (bench/run.sh does); it only binds loopback
 * addresses.
 *
 *   popgen pop [-L N] [-C N] [-S N] [--listen-addr A] [--listen-port P]
 *              [--conn-port P] [--syn-port P] [--probe-port P [--probes N]]
 *              [--per-proc N] [--timeout SECS] [--ready-file F]
 *       L listeners on A:P..P+L-1 (backlog 128, never accept()ed);
 *       C established connections to 127.0.0.1:conn-port, the client side
 *       bound to 127.0.0.(10+k) for client process k (so no source address
 *       runs out of ephemeral ports), the server side accept()ed;
 *       S half-open connections to 127.0.0.1:syn-port: non-blocking
 *       connect()s whose SYN-ACKs nftables drops (the caller sets that up
 *       for that port only), each leaving one request socket;
 *       with --probe-port, N more listeners (default 1) on 127.0.0.1:P..,
 *       backlog 16, for the alert latency test: popgen burst fills the SYN
 *       queue of one; its requests expire about 3 s after their clients
 *       stop retransmitting SYNs (TCP_SYNCNT 1), so the next trial starts
 *       from a cleared alert.
 *   popgen churn [--addr A] [--port P] [--total N] [--batch B] [--hold-ms T]
 *       Creates and closes N listeners, B at a time on A:P..P+B-1, each
 *       batch held T ms so that a daemon polling meanwhile sees it.
 *   popgen burst --to A --port P --count N [--ready-file F]
 *       N non-blocking connect()s, held until SIGTERM/SIGINT.
 *
 * pop spreads its sockets over worker processes holding at most --per-proc
 * fds each (a process may hold 20000 here). Once every socket exists it
 * writes the ready file (atomically: written aside, then renamed) and waits
 * for SIGTERM, SIGINT or SIGHUP; then it stops its workers, waits for them
 * and exits 0. Workers die with it (PR_SET_PDEATHSIG) whatever happens.
 * A worker that fails, or a population not built within --timeout, makes
 * pop stop everything and exit 1. Usage errors exit 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* fds a worker may hold besides its sockets: stdio, the report pipe, the
 * inherited listeners. */
#define POPGEN_FD_SPARE     64
#define POPGEN_FD_MAX       20000
#define POPGEN_MAX_WORKERS  256
#define POPGEN_MAX_COUNT    5000000L
#define POPGEN_LISTEN_BACKLOG 128
#define POPGEN_PROBE_BACKLOG  16
#define POPGEN_MAX_PROBES     64
/* The connection listener's backlog: connects outrunning accept() would
 * otherwise be dropped and retried a second later. The kernel caps it at
 * net.core.somaxconn, which bench/run.sh raises in its namespace. */
#define POPGEN_CONN_BACKLOG 65535

#define POPGEN_MIN(a, b) ((a) < (b) ? (a) : (b))

enum popgen_role { POPGEN_LISTENERS, POPGEN_SERVER, POPGEN_CLIENT, POPGEN_HALFOPEN };

struct popgen_worker {
	pid_t pid;
	enum popgen_role role;
	long count;
	bool ready;
};

struct popgen_opts {
	long listeners, established, halfopen;
	const char *listen_addr;
	long listen_port, conn_port, syn_port, probe_port, probes;
	long per_proc;
	long timeout_sec;
	const char *ready_file;
	/* churn and burst */
	const char *addr;
	long port, total, batch, hold_ms, count;
};

static volatile sig_atomic_t popgen_stop;

static void popgen_on_signal(int sig)
{
	popgen_stop = sig;
}

static void popgen_usage(FILE *f)
{
	fputs("usage: popgen pop [-L N] [-C N] [-S N] [--listen-addr A] [--listen-port P]\n"
	      "                  [--conn-port P] [--syn-port P] [--probe-port P [--probes N]]\n"
	      "                  [--per-proc N] [--timeout SECS] [--ready-file F]\n"
	      "       popgen churn [--addr A] [--port P] [--total N] [--batch B] [--hold-ms T]\n"
	      "       popgen burst --to A --port P --count N [--ready-file F]\n", f);
}

static uint64_t popgen_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int popgen_parse_long(const char *s, long lo, long hi, long *ret)
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

static int popgen_sockaddr(const char *addr, long port, struct sockaddr_in *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, addr, &ret->sin_addr) == 1 ? 0 : -EINVAL;
}

/* A listener on addr:port; the fd or -errno. */
static int popgen_listen(const struct sockaddr_in *sa, int backlog)
{
	int fd, one = 1, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A port left in TIME_WAIT by an earlier run must not fail the bind. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void popgen_write_ready(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "popgen: ready file name too long\n");
		return;
	}
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "popgen: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		fprintf(stderr, "popgen: %s: %s\n", path, strerror(errno));
}

/* ---- workers ----------------------------------------------------------- */

/* Listeners first..first+count-1 of the population. */
static int popgen_work_listeners(const struct popgen_opts *o, long first, long count)
{
	struct sockaddr_in sa;

	if (popgen_sockaddr(o->listen_addr, 0, &sa) < 0)
		return -EINVAL;
	for (long i = 0; i < count; i++) {
		int fd;

		sa.sin_port = htons((uint16_t)(o->listen_port + first + i));
		fd = popgen_listen(&sa, POPGEN_LISTEN_BACKLOG);
		if (fd < 0) {
			fprintf(stderr, "popgen: listener %s:%ld: %s\n", o->listen_addr,
				o->listen_port + first + i, strerror(-fd));
			return fd;
		}
	}
	return 0;
}

/* accept()s count connections from the shared listener, then lets go of
 * its copy of the listener (the parent keeps it). Waits at most until
 * deadline_ms: clients that fail would otherwise leave it blocked. */
static int popgen_work_server(int lfd, long count, uint64_t deadline_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	long got = 0;
	int fl;

	/* Non-blocking: several servers share the listener, and a connection
	 * another one took must not leave this one blocked in accept(). */
	fl = fcntl(lfd, F_GETFL);
	if (fl < 0 || fcntl(lfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	while (got < count) {
		uint64_t now = popgen_now_ms();
		int fd;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			got++;
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (poll(&p, 1, (int)POPGEN_MIN(deadline_ms - now, 1000)) < 0 && errno != EINTR)
			return -errno;
	}
	close(lfd);
	return 0;
}

/* count blocking connect()s from src (port chosen per connection). On
 * loopback the handshake completes inside connect(). */
static int popgen_work_client(const char *src, const struct sockaddr_in *dst, long count,
			      bool nonblock)
{
	struct sockaddr_in from;
	int one = 1;

	if (src && popgen_sockaddr(src, 0, &from) < 0)
		return -EINVAL;
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

		if (fd < 0)
			return -errno;
		if (src) {
			/* Port picked at connect() time, per 4-tuple: a source
			 * address then serves a whole ephemeral range per
			 * destination. */
			(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
			if (bind(fd, (const struct sockaddr *)&from, sizeof(from)) < 0)
				return -errno;
		}
		while (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
			if (errno == EINTR)
				continue;
			if (nonblock && errno == EINPROGRESS)
				break;
			fprintf(stderr, "popgen: connect #%ld from %s: %s\n", i, src ? src : "*",
				strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* ---- pop ---------------------------------------------------------------- */

struct popgen_pop {
	struct popgen_worker w[POPGEN_MAX_WORKERS];
	int n;
	int report[2];           /* workers write one byte: 0 ok, else failed */
};

static void popgen_kill_all(struct popgen_pop *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->w[i].pid > 0)
			kill(p->w[i].pid, SIGTERM);
	for (int i = 0; i < p->n; i++) {
		if (p->w[i].pid > 0) {
			while (waitpid(p->w[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
			p->w[i].pid = 0;
		}
	}
}

/* Runs fn in a new worker; the worker reports on p->report and then waits
 * to be killed. */
static int popgen_spawn(struct popgen_pop *p, enum popgen_role role, long count,
			const struct popgen_opts *o, long arg, int lfd, uint64_t deadline_ms)
{
	pid_t parent = getpid(), pid;

	if (p->n >= POPGEN_MAX_WORKERS)
		return -E2BIG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		uint8_t status;
		int r = 0;

		/* Never outlive pop, whatever kills it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(p->report[0]);
		switch (role) {
		case POPGEN_LISTENERS:
			r = popgen_work_listeners(o, arg, count);
			break;
		case POPGEN_SERVER:
			r = popgen_work_server(lfd, count, deadline_ms);
			break;
		case POPGEN_CLIENT:
		case POPGEN_HALFOPEN: {
			struct sockaddr_in dst;
			char src[INET_ADDRSTRLEN];

			snprintf(src, sizeof(src), "127.0.0.%ld", arg);
			popgen_sockaddr("127.0.0.1", role == POPGEN_CLIENT ? o->conn_port : o->syn_port,
					&dst);
			r = popgen_work_client(src, &dst, count, role == POPGEN_HALFOPEN);
			break;
		}
		}
		if (r < 0)
			fprintf(stderr, "popgen: worker %d (role %d): %s\n", (int)getpid(), (int)role,
				strerror(-r));
		status = r < 0 ? 1 : 0;
		if (write(p->report[1], &status, 1) != 1)
			_exit(1);
		if (r < 0)
			_exit(1);
		for (;;)
			pause();
	}
	p->w[p->n++] = (struct popgen_worker){ .pid = pid, .role = role, .count = count };
	return 0;
}

/* Waits for every worker's report; -ETIMEDOUT, -ECHILD (a worker died) or
 * -EIO (a worker failed). */
static int popgen_wait_ready(struct popgen_pop *p, uint64_t deadline_ms)
{
	int ready = 0;

	while (ready < p->n) {
		struct pollfd pf = { .fd = p->report[0], .events = POLLIN };
		uint64_t now = popgen_now_ms();
		uint8_t st;
		int r;

		if (popgen_stop)
			return -EINTR;
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)POPGEN_MIN(deadline_ms - now, 200));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0) {
			ssize_t n = read(p->report[0], &st, 1);

			if (n == 1 && st != 0)
				return -EIO;
			if (n == 1)
				ready++;
		}
		/* A worker killed before it could report. */
		for (int i = 0; i < p->n; i++) {
			int ws;

			if (p->w[i].pid > 0 && waitpid(p->w[i].pid, &ws, WNOHANG) == p->w[i].pid) {
				p->w[i].pid = 0;
				return -ECHILD;
			}
		}
	}
	return 0;
}

static long popgen_procs_for(long count, long per_proc)
{
	return (count + per_proc - 1) / per_proc;
}

static int popgen_pop(const struct popgen_opts *o)
{
	static struct popgen_pop p;
	struct sockaddr_in sa;
	uint64_t t0 = popgen_now_ms(), deadline = t0 + (uint64_t)o->timeout_sec * 1000;
	int conn_fd = -1, r;
	long nprocs, share, done;
	char text[1024];

	if (o->listen_port + o->listeners - 1 > 65535) {
		fprintf(stderr, "popgen: %ld listeners from port %ld do not fit below 65536\n",
			o->listeners, o->listen_port);
		return 2;
	}
	if (pipe2(p.report, O_CLOEXEC) < 0) {
		perror("popgen: pipe");
		return 1;
	}

	/* The listeners the parent holds for the whole run; workers inherit
	 * them across fork() only. The parent exits without closing them. */
	if (o->established > 0) {
		popgen_sockaddr("127.0.0.1", o->conn_port, &sa);
		conn_fd = popgen_listen(&sa, POPGEN_CONN_BACKLOG);
		if (conn_fd < 0) {
			r = conn_fd;
			goto fail_listen;
		}
	}
	if (o->halfopen > 0) {
		popgen_sockaddr("127.0.0.1", o->syn_port, &sa);
		/* Twice S: a SYN queue over half full of young requests has its
		 * SYN-ACK retries cut, and the half-open population would shrink. */
		r = popgen_listen(&sa, (int)POPGEN_MIN(2 * o->halfopen + 16, 65535));
		if (r < 0)
			goto fail_listen;
	}
	for (long i = 0; o->probe_port > 0 && i < o->probes; i++) {
		int one = 1, fd;

		popgen_sockaddr("127.0.0.1", o->probe_port + i, &sa);
		fd = popgen_listen(&sa, POPGEN_PROBE_BACKLOG);
		if (fd < 0) {
			r = fd;
			goto fail_listen;
		}
		/* One SYN-ACK retry: a request outlives its client's last SYN by
		 * about 3 s, not by the namespace's tcp_synack_retries. */
		if (setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)) < 0) {
			r = -errno;
			goto fail_listen;
		}
	}

	/* Listeners. */
	nprocs = popgen_procs_for(o->listeners, o->per_proc);
	done = 0;
	for (long i = 0; i < nprocs; i++) {
		share = POPGEN_MIN(o->per_proc, o->listeners - done);
		r = popgen_spawn(&p, POPGEN_LISTENERS, share, o, done, -1, deadline);
		if (r < 0)
			goto fail;
		done += share;
	}
	/* Established: as many servers as clients, equal shares, so that every
	 * process stays under per_proc fds. */
	nprocs = popgen_procs_for(o->established, o->per_proc);
	if (nprocs > 200) {
		r = -E2BIG;
		goto fail;
	}
	done = 0;
	for (long i = 0; i < nprocs; i++) {
		share = (o->established - done) / (nprocs - i);
		r = popgen_spawn(&p, POPGEN_SERVER, share, o, 0, conn_fd, deadline);
		if (r < 0)
			goto fail;
		/* Client k binds 127.0.0.(10+k). */
		r = popgen_spawn(&p, POPGEN_CLIENT, share, o, 10 + i, -1, deadline);
		if (r < 0)
			goto fail;
		done += share;
	}
	/* Half-open: from 127.0.0.9. */
	nprocs = popgen_procs_for(o->halfopen, o->per_proc);
	done = 0;
	for (long i = 0; i < nprocs; i++) {
		share = POPGEN_MIN(o->per_proc, o->halfopen - done);
		r = popgen_spawn(&p, POPGEN_HALFOPEN, share, o, 9, -1, deadline);
		if (r < 0)
			goto fail;
		done += share;
	}

	r = popgen_wait_ready(&p, deadline);
	if (r < 0)
		goto fail;

	snprintf(text, sizeof(text),
		 "listeners %ld\nestablished %ld\nhalfopen %ld\nprocesses %d\nbuild_ms %" PRIu64 "\n",
		 o->listeners, o->established, o->halfopen, p.n + 1, popgen_now_ms() - t0);
	popgen_write_ready(o->ready_file, text);
	fputs(text, stdout);
	fflush(stdout);

	while (!popgen_stop) {
		/* Keep an eye on the workers: one killed from outside means the
		 * population is no longer what was promised. */
		for (int i = 0; i < p.n; i++) {
			if (p.w[i].pid > 0 && waitpid(p.w[i].pid, NULL, WNOHANG) == p.w[i].pid) {
				fprintf(stderr, "popgen: worker %d died\n", (int)p.w[i].pid);
				p.w[i].pid = 0;
				popgen_kill_all(&p);
				return 1;
			}
		}
		sleep(1);
	}
	popgen_kill_all(&p);
	return 0;
fail:
	fprintf(stderr, "popgen: population not built: %s\n", strerror(-r));
	popgen_kill_all(&p);
	return 1;
fail_listen:
	fprintf(stderr, "popgen: listener: %s\n", strerror(-r));
	return 1;
}

/* ---- churn -------------------------------------------------------------- */

static int popgen_churn(const struct popgen_opts *o)
{
	static int fds[POPGEN_FD_MAX];
	struct sockaddr_in sa;
	long made = 0;

	if (o->batch > POPGEN_FD_MAX - POPGEN_FD_SPARE || o->port + o->batch - 1 > 65535) {
		fprintf(stderr, "popgen: batch %ld from port %ld does not fit\n", o->batch, o->port);
		return 2;
	}
	if (popgen_sockaddr(o->addr, 0, &sa) < 0) {
		fprintf(stderr, "popgen: bad address %s\n", o->addr);
		return 2;
	}
	while (made < o->total && !popgen_stop) {
		long n = POPGEN_MIN(o->batch, o->total - made);
		struct timespec hold = { .tv_sec = o->hold_ms / 1000,
					 .tv_nsec = (o->hold_ms % 1000) * 1000000L };

		for (long i = 0; i < n; i++) {
			sa.sin_port = htons((uint16_t)(o->port + i));
			fds[i] = popgen_listen(&sa, POPGEN_LISTEN_BACKLOG);
			if (fds[i] < 0) {
				fprintf(stderr, "popgen: churn listener %s:%ld: %s\n", o->addr,
					o->port + i, strerror(-fds[i]));
				for (long j = 0; j < i; j++)
					close(fds[j]);
				return 1;
			}
		}
		while (nanosleep(&hold, &hold) < 0 && errno == EINTR && !popgen_stop)
			;
		for (long i = 0; i < n; i++)
			close(fds[i]);
		made += n;
		printf("churn %ld/%ld\n", made, o->total);
		fflush(stdout);
	}
	return popgen_stop ? 1 : 0;
}

/* ---- burst -------------------------------------------------------------- */

static int popgen_burst(const struct popgen_opts *o)
{
	struct sockaddr_in dst;
	char text[64];
	int r;

	if (!o->addr || o->port <= 0 || o->count <= 0 ||
	    o->count > POPGEN_FD_MAX - POPGEN_FD_SPARE || popgen_sockaddr(o->addr, o->port, &dst) < 0) {
		popgen_usage(stderr);
		return 2;
	}
	r = popgen_work_client(NULL, &dst, o->count, true);
	if (r < 0) {
		fprintf(stderr, "popgen: burst: %s\n", strerror(-r));
		return 1;
	}
	snprintf(text, sizeof(text), "burst %ld\n", o->count);
	popgen_write_ready(o->ready_file, text);
	while (!popgen_stop)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_LADDR = 256, O_LPORT, O_CPORT, O_SPORT, O_PPORT, O_PERPROC, O_TIMEOUT, O_READY,
	       O_ADDR, O_PORT, O_TOTAL, O_BATCH, O_HOLD, O_TO, O_COUNT, O_PROBES };
	static const struct option options[] = {
		{ "listen-addr", required_argument, NULL, O_LADDR },
		{ "listen-port", required_argument, NULL, O_LPORT },
		{ "conn-port",   required_argument, NULL, O_CPORT },
		{ "syn-port",    required_argument, NULL, O_SPORT },
		{ "probe-port",  required_argument, NULL, O_PPORT },
		{ "probes",      required_argument, NULL, O_PROBES },
		{ "per-proc",    required_argument, NULL, O_PERPROC },
		{ "timeout",     required_argument, NULL, O_TIMEOUT },
		{ "ready-file",  required_argument, NULL, O_READY },
		{ "addr",        required_argument, NULL, O_ADDR },
		{ "to",          required_argument, NULL, O_TO },
		{ "port",        required_argument, NULL, O_PORT },
		{ "total",       required_argument, NULL, O_TOTAL },
		{ "batch",       required_argument, NULL, O_BATCH },
		{ "hold-ms",     required_argument, NULL, O_HOLD },
		{ "count",       required_argument, NULL, O_COUNT },
		{ "help",        no_argument,       NULL, 'h' },
		{}
	};
	struct popgen_opts o = {
		.listeners = 10000, .established = 100000, .halfopen = 2000,
		.listen_addr = "127.0.0.1", .listen_port = 10000,
		.conn_port = 9000, .syn_port = 9001, .probe_port = 0, .probes = 1,
		.per_proc = POPGEN_FD_MAX - 1000, .timeout_sec = 300,
		.addr = "127.0.0.3", .port = 20000, .total = 100000, .batch = 5000, .hold_ms = 2000,
	};
	struct sigaction sa = { .sa_handler = popgen_on_signal };
	struct rlimit rl;
	const char *mode;
	int c, r = 0;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		popgen_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "L:C:S:h", options, NULL)) >= 0) {
		long *dst = NULL, lo = 0, hi = POPGEN_MAX_COUNT;

		switch (c) {
		case 'L': dst = &o.listeners; break;
		case 'C': dst = &o.established; break;
		case 'S': dst = &o.halfopen; break;
		case O_LADDR: o.listen_addr = optarg; break;
		case O_LPORT: dst = &o.listen_port; lo = 1; hi = 65535; break;
		case O_CPORT: dst = &o.conn_port; lo = 1; hi = 65535; break;
		case O_SPORT: dst = &o.syn_port; lo = 1; hi = 65535; break;
		case O_PPORT: dst = &o.probe_port; lo = 0; hi = 65535; break;
		case O_PROBES: dst = &o.probes; lo = 1; hi = POPGEN_MAX_PROBES; break;
		case O_PERPROC: dst = &o.per_proc; lo = 1; hi = POPGEN_FD_MAX - POPGEN_FD_SPARE; break;
		case O_TIMEOUT: dst = &o.timeout_sec; lo = 1; hi = 3600; break;
		case O_READY: o.ready_file = optarg; break;
		case O_ADDR: case O_TO: o.addr = optarg; break;
		case O_PORT: dst = &o.port; lo = 1; hi = 65535; break;
		case O_TOTAL: dst = &o.total; break;
		case O_BATCH: dst = &o.batch; lo = 1; break;
		case O_HOLD: dst = &o.hold_ms; hi = 600000; break;
		case O_COUNT: dst = &o.count; lo = 1; break;
		case 'h': popgen_usage(stdout); return 0;
		default: popgen_usage(stderr); return 2;
		}
		if (dst && popgen_parse_long(optarg, lo, hi, dst) < 0) {
			fprintf(stderr, "popgen: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		popgen_usage(stderr);
		return 2;
	}

	/* The hard limit is what the machine allows; use all of it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)(o.per_proc + POPGEN_FD_SPARE) > rl.rlim_cur)
		o.per_proc = (long)rl.rlim_cur - POPGEN_FD_SPARE;
	if (o.per_proc < 1) {
		fprintf(stderr, "popgen: fd limit too low\n");
		return 1;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (strcmp(mode, "pop") == 0)
		r = popgen_pop(&o);
	else if (strcmp(mode, "churn") == 0)
		r = popgen_churn(&o);
	else if (strcmp(mode, "burst") == 0)
		r = popgen_burst(&o);
	else {
		popgen_usage(stderr);
		r = 2;
	}
	return r;
}
