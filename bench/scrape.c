/* The cost of a Prometheus scrape at 10k listeners (issue 15), measured on
 * the real daemon:
 *
 *     build/bench/scrape [--listeners N] [--rounds R] [--reuse K]
 *                        [--concurrent C] [--crowds M] [--interval-ms MS]
 *                        [--daemon PATH] [--ctl PATH] [--kv PREFIX]
 *     defaults: 10000 listeners, 5 rounds, 3 reuse scrapes a round,
 *     3 crowds of 10 concurrent scrapes, interval 1000 ms, and the
 *     sockwatchd and sockwatchctl beside this binary's directory (../);
 *     root. `make bench-metrics` runs it.
 *
 * In a network namespace of its own: N TCP listeners on 0.0.0.0:20000..
 * (held by child processes, at most 5000 each: a process may hold 20000
 * fds here), and sockwatchd with `namespaces = own`, `syn_scan = off` (a
 * scan's cost would land in whatever window it falls in), the default
 * [metrics] limits and `listen = 127.0.0.1:9099`. Its CPU is utime + stime
 * of the monitor process from /proc/PID/stat (clock ticks: 10 ms) and, for
 * the per-scrape figures, the first field of /proc/PID/schedstat (the same
 * run time in ns), read before and after each window. The helper process
 * (privileges, owner attribution) takes no part in a scrape.
 *
 *  - poll: daemon.last_poll_us of the status document (the CPU of one
 *    listener poll as the daemon counts it), median over the rounds; and
 *    the whole daemon's CPU over an idle window of 10 intervals divided by
 *    the polls in it (timers, owner refresh and all).
 *  - first scrape after a poll: each round waits for a poll (status
 *    queries, outside the window), then scrapes once; that scrape builds
 *    the exposition. Then K more scrapes reuse it, each measured alone.
 *    A scrape counts as "reuse" only when no poll completed since the
 *    round's first; a window a poll fell into has the idle figure per poll
 *    taken off, and the table says how many windows needed that.
 *  - bytes: the body of one scrape (Content-Length, checked against what
 *    came); wall: connect to the server's close, in this process.
 *  - peak RSS: VmHWM of the monitor (reset with clear_refs 5 before each
 *    crowd), and its VmRSS sampled every 20 ms, during M crowds of C
 *    concurrent scrapes from C source addresses (127.0.0.10.., so the
 *    per-address limit does not cut them).
 * The temporary directory goes on every way out (exit, SIGTERM, SIGINT,
 * SIGHUP). One table on stdout; with --kv, then the figures as "PREFIX.KEY VALUE"
 * lines (bench/run.sh reads them: poll_us, first_cpu_us, reuse_cpu_us,
 * idle_per_poll_us, bytes, ratio_first, ratio_reuse, peak_rss_kb); the daemon's stderr in the temporary directory,
 * removed at the end. Everything stops with this process (PDEATHSIG). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/limits.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonget.h"
#include "stats.h"

#define SCRAPE_PORT        9099
#define SCRAPE_FIRST_PORT  20000
#define SCRAPE_PER_HOLDER  5000
#define SCRAPE_MAX_CROWD   64
#define SCRAPE_TIMEOUT_MS  (300 * 1000)

static char dir[] = "/tmp/sw-scrape.XXXXXX";
static char conf[PATH_MAX], sock[PATH_MAX], errlog[PATH_MAX];
static const char *ctl_bin;
static pid_t daemon_pid;
static volatile sig_atomic_t dir_made;

/* The temporary directory and what is in it; async-signal-safe. The
 * daemon and the holders die with this process (PDEATHSIG). */
static void remove_dir(void)
{
	if (!dir_made)
		return;
	dir_made = 0;
	unlink(conf);
	unlink(errlog);
	unlink(sock);
	rmdir(dir);
}

static void on_signal(int sig)
{
	remove_dir();
	_exit(128 + sig);
}

static void die(const char *what)
{
	fprintf(stderr, "scrape: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_usec(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the population ------------------------------------------------------ */

/* A child holding listeners [first, first + n), until this process goes. */
static void hold(int first, int n)
{
	int p[2];
	pid_t pid;
	char c = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dir_made = 0;   /* the parent's to remove */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		close(p[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(1);
		for (int i = first; i < first + n; i++) {
			struct sockaddr_in sa = { .sin_family = AF_INET,
						  .sin_port = htons((uint16_t)(SCRAPE_FIRST_PORT + i)) };
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0)
				_exit(1);
		}
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "scrape: a holder failed (listeners %d..%d)\n", first, first + n - 1);
		exit(1);
	}
	close(p[0]);
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("lo up");
	close(fd);
}

/* ---- the daemon ---------------------------------------------------------- */

static void daemon_start(const char *bin, unsigned interval_ms)
{
	FILE *f = fopen(conf, "w");

	if (!f)
		die(conf);
	fprintf(f, "[daemon]\nnamespaces = own\ninterval = %ums\nfast_interval = %ums\n"
		   "syn_scan = off\nlog_target = stderr\n"
		   "[metrics]\nlisten = 127.0.0.1:%d\n", interval_ms, interval_ms, SCRAPE_PORT);
	if (fclose(f) != 0)
		die(conf);
	daemon_pid = fork();
	if (daemon_pid < 0)
		die("fork");
	if (daemon_pid == 0) {
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dir_made = 0;
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
		execl(bin, bin, "-c", conf, "--control-socket", sock, (char *)NULL);
		_exit(127);
	}
}

/* The status document, or NULL when the daemon does not answer. */
static struct json_object *status(void)
{
	char cmd[2 * PATH_MAX + 64], *buf = NULL;
	size_t len = 0, cap = 0;
	struct json_object *doc;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' status --json 2>/dev/null", ctl_bin, sock);
	p = popen(cmd, "r");
	if (!p)
		die("popen");
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = 0;
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	doc = json_tokener_parse(buf);
	free(buf);
	return doc;
}

static int64_t daemon_field(struct json_object *doc, const char *key)
{
	return jsonget_int_or(jsonget_obj(doc, "daemon"), key, -1);
}

struct dstat {
	int64_t polls, last_poll_us, age_ms, interval_ms;
};

static struct dstat dstat(void)
{
	struct json_object *doc;
	struct dstat d;

	for (int i = 0; i < 50; i++) {
		doc = status();
		if (doc)
			break;
		sleep_usec(100000);
	}
	if (!doc) {
		fprintf(stderr, "scrape: the daemon does not answer (its stderr: %s)\n", errlog);
		exit(1);
	}
	d = (struct dstat){
		.polls = daemon_field(doc, "polls"),
		.last_poll_us = daemon_field(doc, "last_poll_us"),
		.age_ms = daemon_field(doc, "last_poll_age_ms"),
		.interval_ms = daemon_field(doc, "current_interval_ms"),
	};
	json_object_put(doc);
	return d;
}

/* Waits for the next poll to complete and returns the status just after. */
static struct dstat after_next_poll(void)
{
	struct dstat d0 = dstat(), d;
	uint64_t t0 = now_usec();

	if (d0.age_ms >= 0 && d0.interval_ms > d0.age_ms)
		sleep_usec((uint64_t)(d0.interval_ms - d0.age_ms) * 1000);
	do {
		d = dstat();
		if (d.polls > d0.polls)
			return d;
		sleep_usec(10000);
	} while (now_usec() - t0 < 10 * 1000000ull);
	fprintf(stderr, "scrape: no poll in 10 s\n");
	exit(1);
}

/* utime + stime (us; clock ticks) and schedstat run time (us). */
struct cpu {
	uint64_t stat_us, sched_us;
};

static struct cpu cpu_of(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut = 0, st = 0, run = 0;
	struct cpu c = { 0 };
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		die(path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, utime 14, stime 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
		fprintf(stderr, "scrape: cannot read %s\n", path);
		exit(1);
	}
	c.stat_us = (ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%llu", &run) == 1)
		c.sched_us = run / 1000;
	if (f)
		fclose(f);
	return c;
}

static long status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* ---- the scrapers -------------------------------------------------------- */

struct scraper {
	int fd;
	size_t got, head_len, content_length;
	unsigned status;
	bool done;
	uint64_t t0, wall_us;
	char head[4096];
};

static void scraper_start(struct scraper *s, int k)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9099\r\n"
				  "Accept: text/plain\r\n\r\n";
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr = { htonl(INADDR_LOOPBACK + 10 + (uint32_t)k) } };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(SCRAPE_PORT),
				   .sin_addr = { htonl(INADDR_LOOPBACK) } };

	*s = (struct scraper){ .t0 = now_usec() };
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("connect to the metrics endpoint");
	if (send(s->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		die("send");
	if (fcntl(s->fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl");
}

/* Reads what is there; true once the server closed. */
static bool scraper_read(struct scraper *s)
{
	static char buf[1 << 16];

	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n <= 0) {
			s->wall_us = now_usec() - s->t0;
			s->done = true;
			close(s->fd);
			return true;
		}
		if (!s->head_len) {
			size_t room = sizeof(s->head) - 1 - s->got, m = (size_t)n < room ? (size_t)n : room;
			char *end, *cl;

			memcpy(s->head + s->got, buf, m);
			s->head[s->got + m] = 0;
			end = strstr(s->head, "\r\n\r\n");
			if (end) {
				s->head_len = (size_t)(end + 4 - s->head);
				sscanf(s->head, "HTTP/1.%*c %u", &s->status);
				cl = strcasestr(s->head, "\r\nContent-Length:");
				if (cl)
					s->content_length = strtoul(cl + 17, NULL, 10);
			}
		}
		s->got += (size_t)n;
	}
}

/* C scrapes at once; while they run, VmRSS is sampled every 20 ms into
 * *peak_rss_kb (when not NULL). */
static void scrape_crowd(struct scraper *s, int c, long *peak_rss_kb)
{
	struct pollfd p[SCRAPE_MAX_CROWD];
	int left = c;

	for (int i = 0; i < c; i++)
		scraper_start(&s[i], i);
	while (left > 0) {
		int n = 0;

		for (int i = 0; i < c; i++)
			if (!s[i].done)
				p[n++] = (struct pollfd){ .fd = s[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)n, 20) < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; i < c; i++)
			if (!s[i].done && scraper_read(&s[i]))
				left--;
		if (peak_rss_kb) {
			long r = status_kb(daemon_pid, "VmRSS");

			if (r > *peak_rss_kb)
				*peak_rss_kb = r;
		}
		for (int i = 0; i < c; i++)
			if (!s[i].done && now_usec() - s[i].t0 > SCRAPE_TIMEOUT_MS * 1000ull) {
				fprintf(stderr, "scrape: a scrape took over %d s\n", SCRAPE_TIMEOUT_MS / 1000);
				exit(1);
			}
	}
	for (int i = 0; i < c; i++)
		if (s[i].status != 200 || s[i].got != s[i].head_len + s[i].content_length) {
			fprintf(stderr, "scrape: a scrape answered %u with %zu bytes (headers %zu, "
				"Content-Length %zu)\n", s[i].status, s[i].got, s[i].head_len,
				s[i].content_length);
			exit(1);
		}
}

/* One scrape, measured: the daemon's CPU over it and the polls it
 * overlapped (from a status query after it, outside the window). */
struct sample {
	uint64_t sched_us, stat_us, wall_us;
	size_t bytes;
	int64_t polls_during, polls_after;
};

static struct sample scrape_one(int64_t polls_before)
{
	struct scraper s;
	struct cpu c0 = cpu_of(daemon_pid), c1;
	struct sample r;

	scrape_crowd(&s, 1, NULL);
	c1 = cpu_of(daemon_pid);
	r = (struct sample){
		.sched_us = c1.sched_us - c0.sched_us,
		.stat_us = c1.stat_us - c0.stat_us,
		.wall_us = s.wall_us,
		.bytes = s.content_length,
	};
	r.polls_after = dstat().polls;
	r.polls_during = r.polls_after - polls_before;
	return r;
}

/* ---- the table ----------------------------------------------------------- */

static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

struct series {
	uint64_t *v;
	size_t n;
};

static void series_add(struct series *s, uint64_t x)
{
	s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!s->v)
		die("realloc");
	s->v[s->n++] = x;
}

static uint64_t series_max(const struct series *s)
{
	uint64_t m = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] > m)
			m = s->v[i];
	return m;
}

static uint64_t series_median(const struct series *s)
{
	return bench_median(s->v, s->n);
}

static void usage(FILE *f)
{
	fputs("usage: scrape [--listeners N] [--rounds R] [--reuse K] [--concurrent C] [--crowds M]\n"
	      "              [--interval-ms MS] [--daemon PATH] [--ctl PATH] [--kv PREFIX]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listeners", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "reuse", required_argument, NULL, 'k' },
		{ "concurrent", required_argument, NULL, 'c' },
		{ "crowds", required_argument, NULL, 'm' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "kv", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int n = 10000, rounds = 5, reuse = 3, conc = 10, crowds = 3, interval_ms = 1000, o;
	char self[PATH_MAX], daemon_def[PATH_MAX + 32], ctl_def[PATH_MAX + 32], *slash;
	const char *daemon_bin = NULL, *kv = NULL;
	struct series poll_us = { 0 }, first_sched = { 0 }, first_stat = { 0 }, first_wall = { 0 };
	struct series reuse_sched = { 0 }, reuse_stat = { 0 }, reuse_wall = { 0 }, hwm = { 0 };
	struct series crowd_wall = { 0 }, first_raw = { 0 }, first_polls = { 0 };
	unsigned first_corrected = 0, reuse_corrected = 0, reuse_rebuilt = 0;
	uint64_t idle_per_poll_us, bytes = 0;
	long rss0_kb, peak_rss_kb = 0, hwm0_kb, rss_noscrape_kb;
	struct dstat d0, d1;
	struct cpu i0, i1;
	ssize_t sl;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (o) {
		case 'n': n = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'k': reuse = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'm': crowds = atoi(optarg); break;
		case 'i': interval_ms = atoi(optarg); break;
		case 'd': daemon_bin = optarg; break;
		case 'C': ctl_bin = optarg; break;
		case 'K': kv = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || n < 1 || n > 40000 || rounds < 1 || reuse < 0 || conc < 1 ||
	    conc > SCRAPE_MAX_CROWD || crowds < 1 || interval_ms < 100) {
		usage(stderr);
		return 2;
	}
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl < 0)
		die("/proc/self/exe");
	self[sl] = 0;
	slash = strrchr(self, '/');
	*slash = 0;   /* .../build/bench */
	snprintf(daemon_def, sizeof(daemon_def), "%s/../sockwatchd", self);
	snprintf(ctl_def, sizeof(ctl_def), "%s/../sockwatchctl", self);
	if (!daemon_bin)
		daemon_bin = daemon_def;
	if (!ctl_bin)
		ctl_bin = ctl_def;
	if (access(daemon_bin, X_OK) < 0 || access(ctl_bin, X_OK) < 0) {
		fprintf(stderr, "scrape: %s or %s not built (make bench-metrics builds them)\n",
			daemon_bin, ctl_bin);
		return 1;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (root?)");
		return 77;
	}
	lo_up();
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(conf, sizeof(conf), "%s/sockwatchd.conf", dir);
	snprintf(sock, sizeof(sock), "%s/control", dir);
	snprintf(errlog, sizeof(errlog), "%s/daemon.err", dir);
	/* Removed on every way out: exit (die() included) and the signals
	 * that stop a benchmark. */
	dir_made = 1;
	atexit(remove_dir);
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}

	for (int i = 0; i < n; i += SCRAPE_PER_HOLDER)
		hold(i, n - i < SCRAPE_PER_HOLDER ? n - i : SCRAPE_PER_HOLDER);
	daemon_start(daemon_bin, (unsigned)interval_ms);
	/* Two polls, then a scrape that sees every listener (the metrics
	 * endpoint's own among them). */
	after_next_poll();
	after_next_poll();
	rss_noscrape_kb = status_kb(daemon_pid, "VmRSS");
	{
		struct scraper s;

		scrape_crowd(&s, 1, NULL);
		bytes = s.content_length;
	}

	/* The poll, and the daemon's CPU per poll cycle with nobody asking. */
	d0 = after_next_poll();
	i0 = cpu_of(daemon_pid);
	sleep_usec((uint64_t)interval_ms * 10 * 1000);
	i1 = cpu_of(daemon_pid);
	d1 = dstat();
	idle_per_poll_us = d1.polls > d0.polls
		? (i1.sched_us - i0.sched_us) / (uint64_t)(d1.polls - d0.polls) : 0;
	series_add(&poll_us, (uint64_t)d1.last_poll_us);

	for (int r = 0; r < rounds; r++) {
		struct dstat d = after_next_poll();
		struct sample s;
		int64_t polls_round = d.polls, polls = d.polls;

		series_add(&poll_us, (uint64_t)d.last_poll_us);
		s = scrape_one(polls);
		series_add(&first_raw, s.sched_us);
		series_add(&first_polls, (uint64_t)s.polls_during);
		if (s.polls_during > 0) {
			uint64_t off = (uint64_t)s.polls_during * idle_per_poll_us;

			s.sched_us = s.sched_us > off ? s.sched_us - off : 0;
			first_corrected++;
		}
		series_add(&first_sched, s.sched_us);
		series_add(&first_stat, s.stat_us);
		series_add(&first_wall, s.wall_us);
		bytes = s.bytes;
		polls = s.polls_after;
		for (int k = 0; k < reuse; k++) {
			s = scrape_one(polls);
			/* A poll since the round's first scrape dropped the
			 * body: this one built it again. */
			if (polls != polls_round) {
				reuse_rebuilt++;
				polls = s.polls_after;
				continue;
			}
			if (s.polls_during > 0) {
				uint64_t off = (uint64_t)s.polls_during * idle_per_poll_us;

				s.sched_us = s.sched_us > off ? s.sched_us - off : 0;
				reuse_corrected++;
			}
			series_add(&reuse_sched, s.sched_us);
			series_add(&reuse_stat, s.stat_us);
			series_add(&reuse_wall, s.wall_us);
			polls = s.polls_after;
		}
	}

	rss0_kb = status_kb(daemon_pid, "VmRSS");
	hwm0_kb = status_kb(daemon_pid, "VmHWM");
	for (int m = 0; m < crowds; m++) {
		struct scraper s[SCRAPE_MAX_CROWD];
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)daemon_pid);
		f = fopen(path, "w");
		if (f) {
			fputs("5", f);
			fclose(f);
		}
		scrape_crowd(s, conc, &peak_rss_kb);
		series_add(&hwm, (uint64_t)status_kb(daemon_pid, "VmHWM"));
		for (int i = 0; i < conc; i++)
			series_add(&crowd_wall, s[i].wall_us);
	}

	printf("scrape: %d listeners (+ the endpoint's own), interval %d ms, syn_scan off; daemon %s\n",
	       n, interval_ms, daemon_bin);
	printf("CPU: the monitor process; sched = /proc/PID/schedstat (ns), stat = utime+stime (10 ms ticks)\n\n");
	printf("| figure | value |\n|---|---|\n");
	printf("| bytes of one scrape (body) | %zu (%.2f MiB) |\n", bytes, (double)bytes / 1048576.0);
	printf("| listener poll CPU (daemon.last_poll_us, median of %zu) | %.2f ms |\n", poll_us.n,
	       ms(series_median(&poll_us)));
	printf("| daemon CPU per poll cycle, idle (10 intervals, nobody asking) | %.2f ms |\n",
	       ms(idle_per_poll_us));
	printf("| first scrape after a poll (builds the body): CPU sched, median of %zu [max] | %.2f ms [%.2f] |\n",
	       first_sched.n, ms(series_median(&first_sched)), ms(series_max(&first_sched)));
	printf("| ... its CPU by utime+stime, median | %.1f ms |\n", ms(series_median(&first_stat)));
	if (first_corrected)
		printf("| ... its window before the polls were taken off: CPU sched, median; polls in it, median | %.2f ms; %llu |\n",
		       ms(series_median(&first_raw)), (unsigned long long)series_median(&first_polls));
	printf("| ... its wall time, median [max] | %.2f ms [%.2f] |\n", ms(series_median(&first_wall)),
	       ms(series_max(&first_wall)));
	if (reuse_sched.n) {
		printf("| scrape reusing the body: CPU sched, median of %zu [max] | %.2f ms [%.2f] |\n",
		       reuse_sched.n, ms(series_median(&reuse_sched)), ms(series_max(&reuse_sched)));
		printf("| ... its CPU by utime+stime, median | %.1f ms |\n", ms(series_median(&reuse_stat)));
		printf("| ... its wall time, median [max] | %.2f ms [%.2f] |\n",
		       ms(series_median(&reuse_wall)), ms(series_max(&reuse_wall)));
	} else {
		printf("| scrape reusing the body | n/a: a poll fell into every round (%u rebuilt) |\n",
		       reuse_rebuilt);
	}
	printf("| windows a poll fell into (its idle CPU taken off): first, reuse; reuse scrapes that rebuilt | %u of %zu, %u; %u |\n",
	       first_corrected, first_sched.n, reuse_corrected, reuse_rebuilt);
	printf("| ratio first scrape / listener poll (CPU) | %.2f |\n",
	       (double)series_median(&first_sched) / (double)(series_median(&poll_us) ?: 1));
	if (reuse_sched.n)
		printf("| ratio reuse scrape / listener poll (CPU) | %.2f |\n",
		       (double)series_median(&reuse_sched) / (double)(series_median(&poll_us) ?: 1));
	printf("| %d concurrent scrapes x %d: wall of one, median [max] | %.2f ms [%.2f] |\n", conc, crowds,
	       ms(series_median(&crowd_wall)), ms(series_max(&crowd_wall)));
	printf("| daemon RSS after two polls, before any scrape | %.1f MiB |\n",
	       (double)rss_noscrape_kb / 1024.0);
	printf("| daemon RSS before the crowds; VmHWM since start | %.1f MiB; %.1f MiB |\n",
	       (double)rss0_kb / 1024.0, (double)hwm0_kb / 1024.0);
	printf("| daemon peak RSS during the crowds: VmHWM max of %zu; VmRSS sampled every 20 ms | %.1f MiB; %.1f MiB |\n",
	       hwm.n, (double)series_max(&hwm) / 1024.0, (double)peak_rss_kb / 1024.0);

	if (kv) {
		uint64_t p = series_median(&poll_us) ?: 1;

		printf("%s.listeners %d\n", kv, n);
		printf("%s.bytes %zu\n", kv, bytes);
		printf("%s.poll_us %" PRIu64 "\n", kv, series_median(&poll_us));
		printf("%s.idle_per_poll_us %" PRIu64 "\n", kv, idle_per_poll_us);
		printf("%s.first_cpu_us %" PRIu64 "\n", kv, series_median(&first_sched));
		printf("%s.first_max_us %" PRIu64 "\n", kv, series_max(&first_sched));
		printf("%s.first_n %zu\n", kv, first_sched.n);
		printf("%s.first_corrected %u\n", kv, first_corrected);
		printf("%s.ratio_first %.3f\n", kv, (double)series_median(&first_sched) / (double)p);
		if (reuse_sched.n) {
			printf("%s.reuse_cpu_us %" PRIu64 "\n", kv, series_median(&reuse_sched));
			printf("%s.ratio_reuse %.3f\n", kv, (double)series_median(&reuse_sched) / (double)p);
		}
		printf("%s.peak_rss_kb %ld\n", kv,
		       peak_rss_kb > (long)series_max(&hwm) ? peak_rss_kb : (long)series_max(&hwm));
	}

	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	remove_dir();
	/* The holders die with this process (PDEATHSIG). */
	return 0;
}
