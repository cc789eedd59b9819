/* The cost of the UNIX listener dump (issue 14): diag_dump_unix() at N
 * UNIX-domain listeners beside N TCP ones, against diag_dump_listeners()
 * (the TCP listener dump of both families) on the same population, and
 * both before the UNIX listeners exist.
 *
 *     build/bench/udump [N [RUNS]]        defaults 10000 21; root
 *
 * Then the daemon's whole listener poll (measure_poll: the dumps, the
 * sysctls, snapshot_index and tracker_update in steady state) with and
 * without the UNIX listeners, and its ratio to the floor, the two dumps
 * alone.
 *
 * Runs in a network namespace of its own (so the host's sockets do not
 * count). Each population is held by a child process (a process here may
 * hold at most 20000 fds): TCP listeners on 0.0.0.0:20000.., UNIX stream
 * listeners bound to paths in a fresh /tmp directory, listen(128), never
 * accepted; and, last, 9000 connected socket pairs (18000 sockets that
 * do not listen: unix_diag walks every UNIX socket of the namespace and
 * filters by state in the kernel). Per dump it reports the median over RUNS of this process's CPU
 * time (user + system: the kernel builds each part inside our recvmsg(),
 * so its work is counted here) and of the wall time, after one warm-up. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include "config.h"
#include "diag.h"
#include "netstat.h"
#include "snapshot.h"
#include "sysctl.h"
#include "tracker.h"
#include "stats.h"
#include "usnap.h"
#include "util.h"

static char dir[] = "/tmp/sw-udump.XXXXXX";

enum hold_kind { HOLD_TCP, HOLD_UNIX, HOLD_PAIRS };

/* Forks a child that makes n listeners (TCP or UNIX) or n connected UNIX
 * socket pairs, says so on a pipe and waits for the parent to go. Returns
 * its pid. */
static pid_t hold(enum hold_kind kind, int n)
{
	int p[2], q[2];
	pid_t pid;
	char c = 0;

	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		close(q[1]);
		for (int i = 0; i < n; i++) {
			int fd, r, sv[2];

			if (kind == HOLD_PAIRS) {
				if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
					perror("socketpair");
					_exit(1);
				}
				continue;
			}
			fd = socket(kind == HOLD_UNIX ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0) {
				perror("socket");
				_exit(1);
			}
			if (kind == HOLD_UNIX) {
				struct sockaddr_un sa = { .sun_family = AF_UNIX };

				snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/worker-%05d.sock", dir, i);
				r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
			} else {
				struct sockaddr_in sa = { .sin_family = AF_INET,
							  .sin_port = htons((uint16_t)(20000 + i)) };

				r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
			}
			if (r < 0 || listen(fd, 128) < 0) {
				perror("bind/listen");
				_exit(1);
			}
		}
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		/* Until the parent closes its end (or dies). */
		while (read(q[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "udump: a holder failed\n");
		exit(1);
	}
	close(p[0]);
	/* q[1] stays open (close-on-exec) until we exit. */
	return pid;
}

struct fig {
	uint64_t cpu, sys, wall;
	size_t n;
};

static uint64_t sys_usec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return bench_tv_usec(&ru.ru_stime);
}

static struct fig measure(struct sw_diag *d, bool unix_dump, int runs)
{
	uint64_t *cpu = calloc((size_t)runs, sizeof(*cpu)), *wall = calloc((size_t)runs, sizeof(*wall));
	uint64_t *sys = calloc((size_t)runs, sizeof(*sys));
	struct sw_unix_snapshot u;
	struct sw_snapshot s;
	struct fig f = { 0 };

	usnap_init(&u);
	snapshot_init(&s);
	for (int i = -1; i < runs; i++) {
		uint64_t c0, w0, s0;
		int r;

		usnap_reset(&u);
		snapshot_reset(&s);
		s0 = sys_usec();
		c0 = util_cpu_usec();
		w0 = util_now_usec();
		r = unix_dump ? diag_dump_unix(d, &u, 0) : diag_dump_listeners(d, &s, 0);
		if (r < 0) {
			fprintf(stderr, "udump: dump: %s\n", strerror(-r));
			exit(1);
		}
		if (i >= 0) {
			cpu[i] = util_cpu_usec() - c0;
			sys[i] = sys_usec() - s0;
			wall[i] = util_now_usec() - w0;
		}
	}
	f.cpu = bench_median(cpu, (size_t)runs);
	f.wall = bench_median(wall, (size_t)runs);
	f.sys = bench_median(sys, (size_t)runs);
	f.n = unix_dump ? u.n_listeners : s.n_listeners;
	usnap_clear(&u);
	snapshot_clear(&s);
	free(cpu);
	free(wall);
	free(sys);
	return f;
}

/* The daemon's whole listener poll of one namespace, as src/poll.c runs it:
 * sysctls and TcpExt counters, the TCP listener dump, snapshot_index, and
 * with_unix the UNIX dump too, then tracker_update (rules included) in
 * steady state (the tracker kept across runs, after one warm-up). */
static struct fig measure_poll(struct sw_diag *d, bool with_unix, int runs)
{
	uint64_t *cpu = calloc((size_t)runs, sizeof(*cpu)), *wall = calloc((size_t)runs, sizeof(*wall));
	uint64_t *sys = calloc((size_t)runs, sizeof(*sys));
	struct sw_config *cfg = NULL;
	struct sw_tracker *t = NULL;
	struct sw_events ev = { 0 };
	struct sw_unix_snapshot u;
	struct sw_snapshot s;
	struct fig f = { 0 };

	if (config_new_default(&cfg) < 0 || tracker_new(&t) < 0) {
		fprintf(stderr, "udump: out of memory\n");
		exit(1);
	}
	cfg->watch_unix = with_unix;
	usnap_init(&u);
	snapshot_init(&s);
	for (int i = -2; i < runs; i++) {
		uint64_t c0, w0, s0, now;
		int r;

		s0 = sys_usec();
		c0 = util_cpu_usec();
		w0 = now = util_now_usec();
		snapshot_reset(&s);
		usnap_reset(&u);
		(void)netstat_read("/proc/net/netstat", &s.netstat);
		(void)sysctl_read("/proc", &s.sysctl);
		r = diag_dump_listeners(d, &s, 0);
		if (r >= 0)
			r = snapshot_index(&s);
		if (r >= 0 && with_unix)
			r = diag_dump_unix(d, &u, 0);
		if (r >= 0)
			r = tracker_update(t, &s, with_unix ? &u : NULL, cfg, now, &ev);
		events_clear(&ev);
		if (r < 0) {
			fprintf(stderr, "udump: poll: %s\n", strerror(-r));
			exit(1);
		}
		if (i >= 0) {
			cpu[i] = util_cpu_usec() - c0;
			sys[i] = sys_usec() - s0;
			wall[i] = util_now_usec() - w0;
		}
	}
	f.cpu = bench_median(cpu, (size_t)runs);
	f.wall = bench_median(wall, (size_t)runs);
	f.sys = bench_median(sys, (size_t)runs);
	f.n = tracker_count(t);
	tracker_free(t);
	config_free(cfg);
	events_free(&ev);
	usnap_clear(&u);
	snapshot_clear(&s);
	free(cpu);
	free(wall);
	free(sys);
	return f;
}

static void report(const char *what, struct fig f)
{
	printf("%-34s %6zu listeners  cpu %6llu us (system %6llu)  wall %6llu us\n", what, f.n,
	       (unsigned long long)f.cpu, (unsigned long long)f.sys, (unsigned long long)f.wall);
}

/* `ss -xl` on the same population, for comparison: wall time of the
 * whole command (fork, exec, dump, print to /dev/null), median of 5. */
static void report_ss(void)
{
	uint64_t w[5];

	for (int i = 0; i < 5; i++) {
		uint64_t w0 = util_now_usec();

		if (system("ss -xl > /dev/null 2>&1") != 0) {
			printf("ss -xl: failed\n");
			return;
		}
		w[i] = util_now_usec() - w0;
	}
	printf("%-34s                  wall %6llu us\n", "ss -xl (whole command)",
	       (unsigned long long)bench_median(w, 5));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int runs = argc > 2 ? atoi(argv[2]) : 21;
	struct sw_diag *d = NULL;
	pid_t tcp, ux, pairs;
	int r;

	if (n < 1 || n > 19000 || runs < 1) {
		fprintf(stderr, "usage: %s [N (1..19000) [RUNS]]\n", argv[0]);
		return 2;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (root?)");
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = diag_open(&d);
	if (r < 0) {
		fprintf(stderr, "udump: diag_open: %s\n", strerror(-r));
		return 1;
	}
	printf("udump: N=%d runs=%d (medians; cpu = user + system of the dumping process)\n", n, runs);
	tcp = hold(HOLD_TCP, n);
	report("TCP dump, no UNIX listeners", measure(d, false, runs));
	report("UNIX dump, no UNIX listeners", measure(d, true, runs));
	{
		struct fig p0 = measure_poll(d, false, runs);
		struct fig p1, ft, fu;

		report("poll, N TCP, no UNIX listeners", p0);
		ux = hold(HOLD_UNIX, n);
		ft = measure(d, false, runs);
		fu = measure(d, true, runs);
		report("TCP dump, beside N UNIX", ft);
		report("UNIX dump, N UNIX beside N TCP", fu);
		report("poll, unix = no, beside N UNIX", measure_poll(d, false, runs));
		p1 = measure_poll(d, true, runs);
		report("poll, unix = yes: N TCP + N UNIX", p1);
		printf("poll with UNIX / without: %.3f; poll with UNIX / its floor (both dumps): "
		       "%.3f\n", (double)p1.cpu / (double)(p0.cpu ? p0.cpu : 1),
		       (double)p1.cpu / (double)(ft.cpu + fu.cpu ? ft.cpu + fu.cpu : 1));
	}
	report_ss();
	pairs = hold(HOLD_PAIRS, 9000);
	report("UNIX dump, + 9000 socket pairs", measure(d, true, runs));
	kill(pairs, SIGTERM);
	waitpid(pairs, NULL, 0);

	kill(tcp, SIGTERM);
	kill(ux, SIGTERM);
	waitpid(tcp, NULL, 0);
	waitpid(ux, NULL, 0);
	for (int i = 0; i < n; i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/worker-%05d.sock", dir, i);
		unlink(p);
	}
	rmdir(dir);
	diag_close(d);
	return 0;
}
