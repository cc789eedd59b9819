/* nsfloor: the floor of a listener poll over many network namespaces: the
 * least a user-space program can spend to get, from every namespace, what
 * sockwatchd's listener poll gets from it. For each namespace a
 * NETLINK_SOCK_DIAG socket is made inside it (setns there, socket(), setns
 * back: the socket belongs to that namespace for good) and kept, as the
 * daemon keeps its collectors; then the two dumps the collector issues
 * (TCP_LISTEN with INET_DIAG_SKMEMINFO, AF_INET then AF_INET6; as
 * bench/floor.c does), every byte received, nothing parsed but the netlink
 * headers that say where a dump ends.
 *
 *   nsfloor [-n RUNS] [-w WARMUP] [-c MIB] [-i MS] [-p PREFIX] [-o] [-a] [-P] [-D]
 *           [-u] [-x] [NSFILE...]
 *
 * Namespaces: every NSFILE (an nsfs file: /run/netns/NAME,
 * /proc/PID/ns/net); -o adds the own one; -a every one that can be seen
 * (the own, every /proc/PID/ns/net, every nsfs mount under /run/netns and
 * /var/run/docker/netns, as the daemon's discovery looks), deduplicated by
 * inode (unique among live namespaces).
 *
 * A sweep dumps every namespace in turn, as one poll of the daemon does,
 * each namespace timed on its own (CPU of this process, CLOCK_PROCESS_
 * CPUTIME_ID, in ns). WARMUP sweeps, then RUNS. -c MIB: before every sweep,
 * write and read MIB MiB (untimed), as a second of other work does between
 * two polls. Two ways of reading (one recv() per datagram; recvmmsg()
 * batches of 8 as the collector does) alternate sweep by sweep, each
 * after its own chill; the cheaper is the floor.
 *
 * Prints per mode M: "PREFIX.M.listen.cpu_us" (the sum over namespaces of
 * each one's median: the floor as issue 13 defines it), ".sweep_cpu_us",
 * ".sweep_wall_us", ".sweep_user_us", ".sweep_sys_us" (medians of whole
 * sweeps, one clock read each), ".per_ns_us" (median namespace),
 * ".max_ns_us" (costliest namespace's median); then the same without M for
 * the cheaper mode and "PREFIX.listen.mode"; "PREFIX.namespaces",
 * "PREFIX.listeners" (sockets the last sweep returned), "PREFIX.bytes",
 * "PREFIX.clock_ns" (what one timed interval costs empty).
 *
 * -P: also the /proc reads a listener poll does per namespace, from fds
 * opened inside it (somaxconn, tcp_max_syn_backlog, tcp_syncookies, and
 * /proc/thread-self/net/netstat read whole), timed apart in the recvmmsg
 * sweeps: "PREFIX.proc.cpu_us" (sum of medians). Not part of the floor.
 * -u: also mode "compat", NOT what sockwatchd issues and never the floor:
 * the old TCPDIAG_GETSOCK request, which the kernel serves as one
 * AF_UNSPEC walk of the listening hash for both families (bench/floor.c
 * -u). Every namespace's dump walks every listener of the host (the hash
 * is shared): one walk instead of two halves that.
 * -x: each namespace's figure includes its UNIX listener dump too (unix_diag,
 * states LISTEN, UDIAG_SHOW_NAME | RQLEN | UID, as src/diag.c asks), right
 * after its TCP dumps, as a poll with [daemon] unix = yes (the default)
 * issues it; "PREFIX.with_unix 1" says so.
 * -i MS: sleep MS milliseconds before every sweep (after the chill): the
 * dumps at a daemon's cadence, the CPU idle in between, as the daemon's
 * own are (a dump woken once a second costs more than one of a tight
 * loop, however cold its caches: measured, bench/README.md).
 * -D: the bare discovery walk (readlink of every /proc/PID/ns/net, the
 * mountinfo read and filtered), RUNS times: "PREFIX.discovery.cpu_us",
 * ".wall_us", ".pids", ".found". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>

#include "diagreq.h"
#include "stats.h"

#define NSF_MAX_RUNS   1000
#define NSF_MAX_NS     8192
#define NSF_SLOTS      8
#define NSF_SLOT_SIZE  (64 * 1024)
#define NSF_RCVBUF     (2 * 1024 * 1024)
#define NSF_N_PROC     4

enum nsf_mode { NSF_RECV, NSF_MMSG, NSF_COMPAT, _NSF_MODE_MAX };
static const char *const nsf_mode_name[] = { "recv", "mmsg", "compat" };
static const char *const nsf_proc_path[NSF_N_PROC] = {
	"/proc/sys/net/core/somaxconn",
	"/proc/sys/net/ipv4/tcp_max_syn_backlog",
	"/proc/sys/net/ipv4/tcp_syncookies",
	"/proc/thread-self/net/netstat",
};

struct nsf_ns {
	char *path;
	ino_t ino;
	int diag;
	int proc[NSF_N_PROC];
	uint64_t *cpu[_NSF_MODE_MAX];    /* ns, per run */
	uint64_t *proc_cpu;              /* ns, per run */
};

struct nsf_sweeps {
	uint64_t cpu[NSF_MAX_RUNS], wall[NSF_MAX_RUNS], user[NSF_MAX_RUNS], sys[NSF_MAX_RUNS];
};

static uint8_t nsf_buf[NSF_SLOTS][NSF_SLOT_SIZE];
static uint8_t nsf_proc_buf[64 * 1024];

static struct nsf_ns *nsf_v;
static bool nsf_with_unix;
static size_t nsf_n;

static uint64_t nsf_ns_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* The collector's socket, made in the calling thread's namespace. */
static int nsf_open_diag(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int fd, v = NSF_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Adds the namespace of nsfs file path unless its inode is known. */
static int nsf_add(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	for (size_t i = 0; i < nsf_n; i++)
		if (nsf_v[i].ino == st.st_ino)
			return 0;
	if (nsf_n == NSF_MAX_NS)
		return -E2BIG;
	nsf_v[nsf_n] = (struct nsf_ns){ .path = strdup(path), .ino = st.st_ino, .diag = -1,
					.proc = { -1, -1, -1, -1 } };
	if (!nsf_v[nsf_n].path)
		return -ENOMEM;
	nsf_n++;
	return 0;
}

/* Mount points under /run/netns/ and /var/run/docker/netns/ (or
 * /run/docker/netns/) in mountinfo; calls fn on each unless fn is NULL.
 * The number found. */
static long nsf_mounts(int (*fn)(const char *))
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/docker/netns/",
					    "/run/docker/netns/" };
	char line[4096];
	long found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint ... */
		char *p = line, *mp;

		for (int k = 0; k < 4 && p; k++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		mp = p;
		p = strchr(mp, ' ');
		if (!p)
			continue;
		*p = '\0';
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			if (strncmp(mp, dirs[d], strlen(dirs[d])) == 0 && mp[strlen(dirs[d])]) {
				found++;
				if (fn)
					(void)fn(mp);
				break;
			}
		}
	}
	fclose(f);
	return found;
}

/* Every pid's namespace: readlink of /proc/PID/ns/net (calls fn with the
 * path unless NULL). Sets *pids; the number of distinct link targets is
 * not kept (the caller dedups). */
static long nsf_pids(int (*fn)(const char *), long *pids)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long n = 0, seen = 0;
	char path[300], link[64];

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		n++;
		if (readlink(path, link, sizeof(link)) > 0) {
			seen++;
			if (fn)
				(void)fn(path);
		}
	}
	closedir(d);
	*pids = n;
	return seen;
}

/* Opens namespace i's socket (and with proc its /proc files) inside it. */
static int nsf_enter(struct nsf_ns *ns, int home, bool proc)
{
	int fd = open(ns->path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	close(fd);
	ns->diag = nsf_open_diag();
	if (ns->diag < 0)
		r = ns->diag;
	for (int k = 0; proc && r == 0 && k < NSF_N_PROC; k++) {
		ns->proc[k] = open(nsf_proc_path[k], O_RDONLY | O_CLOEXEC);
		if (ns->proc[k] < 0)
			r = -errno;
	}
	if (setns(home, CLONE_NEWNET) < 0) {
		fprintf(stderr, "nsfloor: cannot go back to the own namespace: %s\n", strerror(errno));
		exit(1);
	}
	return r;
}

/* 1 at NLMSG_DONE, -errno for an error or a bad length, else 0. */
static int nsf_frame(const uint8_t *b, size_t len, uint64_t *msgs)
{
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(b + off);

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
			return -EBADMSG;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR)
			return -EPROTO;
		(*msgs)++;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (off > len)
			break;
	}
	return 0;
}

static int nsf_dump(int fd, enum nsf_mode mode, int family, uint32_t seq, uint64_t *bytes,
		    uint64_t *msgs)
{
	static struct iovec iov[NSF_SLOTS];
	static struct mmsghdr mm[NSF_SLOTS];
	const uint32_t states = 1u << TCP_LISTEN;
	const uint8_t ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	int r = family == AF_UNIX    ? bench_send_unix(fd, seq)
		: mode == NSF_COMPAT ? bench_send_walk(fd, states, ext, seq)
				     : bench_send_inet(fd, family, states, ext, seq);

	if (r < 0)
		return r;
	for (;;) {
		if (mode != NSF_MMSG) {
			ssize_t n = recv(fd, nsf_buf[0], NSF_SLOT_SIZE, 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			*bytes += (uint64_t)n;
			r = nsf_frame(nsf_buf[0], (size_t)n, msgs);
			if (r != 0)
				return r < 0 ? r : 0;
		} else {
			int n;

			for (int i = 0; i < NSF_SLOTS; i++) {
				iov[i].iov_base = nsf_buf[i];
				iov[i].iov_len = NSF_SLOT_SIZE;
				memset(&mm[i], 0, sizeof(mm[i]));
				mm[i].msg_hdr.msg_iov = &iov[i];
				mm[i].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(fd, mm, NSF_SLOTS, MSG_WAITFORONE, NULL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			for (int i = 0; i < n; i++) {
				*bytes += mm[i].msg_len;
				r = nsf_frame(nsf_buf[i], mm[i].msg_len, msgs);
				if (r != 0)
					return r < 0 ? r : 0;
			}
		}
	}
}

/* The /proc reads of one namespace's poll. */
static int nsf_proc_read(const struct nsf_ns *ns)
{
	for (int k = 0; k < NSF_N_PROC; k++) {
		off_t off = 0;
		ssize_t n;

		do {
			n = pread(ns->proc[k], nsf_proc_buf, sizeof(nsf_proc_buf), off);
			if (n < 0)
				return -errno;
			off += n;
		} while (n > 0 && k == NSF_N_PROC - 1);
	}
	return 0;
}

/* One sweep in mode m; run k < 0 is a warm-up. */
static int nsf_sweep(enum nsf_mode m, bool proc, int k, struct nsf_sweeps *sw, uint32_t *seq,
		     uint64_t *bytes, uint64_t *msgs)
{
	struct rusage ru0, ru1;
	uint64_t w0, c0;

	*bytes = *msgs = 0;
	getrusage(RUSAGE_SELF, &ru0);
	w0 = nsf_ns_now(CLOCK_MONOTONIC);
	c0 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < nsf_n; i++) {
		struct nsf_ns *ns = &nsf_v[i];
		uint64_t t0, t1;
		int r;

		if (proc) {
			t0 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
			r = nsf_proc_read(ns);
			t1 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
			if (r < 0) {
				fprintf(stderr, "nsfloor: %s: /proc read: %s\n", ns->path, strerror(-r));
				return r;
			}
			if (k >= 0)
				ns->proc_cpu[k] = t1 - t0;
		}
		t0 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
		r = nsf_dump(ns->diag, m, AF_INET, ++*seq, bytes, msgs);
		/* compat: that one dump held both families. */
		if (r == 0 && m != NSF_COMPAT)
			r = nsf_dump(ns->diag, m, AF_INET6, ++*seq, bytes, msgs);
		if (r == 0 && nsf_with_unix)
			r = nsf_dump(ns->diag, m, AF_UNIX, ++*seq, bytes, msgs);
		t1 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
		if (r < 0) {
			fprintf(stderr, "nsfloor: %s: dump: %s\n", ns->path, strerror(-r));
			return r;
		}
		if (k >= 0)
			ns->cpu[m][k] = t1 - t0;
	}
	if (k >= 0) {
		sw->cpu[k] = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		sw->wall[k] = nsf_ns_now(CLOCK_MONOTONIC) - w0;
		getrusage(RUSAGE_SELF, &ru1);
		sw->user[k] = (bench_tv_usec(&ru1.ru_utime) - bench_tv_usec(&ru0.ru_utime)) * 1000;
		sw->sys[k] = (bench_tv_usec(&ru1.ru_stime) - bench_tv_usec(&ru0.ru_stime)) * 1000;
	}
	return 0;
}

static void nsf_us(const char *prefix, const char *key, uint64_t ns)
{
	printf("%s.%s %.1f\n", prefix, key, (double)ns / 1000.0);
}

/* Sum over namespaces of each one's median, and the median and largest of
 * those medians. */
static uint64_t nsf_sum_medians(uint64_t *const *per, int runs, uint64_t *med, uint64_t *max)
{
	uint64_t sum = 0, *m = calloc(nsf_n, sizeof(*m));

	*med = *max = 0;
	if (!m)
		return 0;
	for (size_t i = 0; i < nsf_n; i++) {
		m[i] = bench_median(per[i], (size_t)runs);
		sum += m[i];
		if (m[i] > *max)
			*max = m[i];
	}
	*med = bench_median(m, nsf_n);
	free(m);
	return sum;
}

static void nsf_print_mode(const char *prefix, const char *mode, enum nsf_mode m,
			   const struct nsf_sweeps *sw, int runs)
{
	uint64_t **per = calloc(nsf_n, sizeof(*per)), med, max, sum;
	char p[256];

	if (!per)
		return;
	for (size_t i = 0; i < nsf_n; i++)
		per[i] = nsf_v[i].cpu[m];
	sum = nsf_sum_medians(per, runs, &med, &max);
	free(per);
	if (mode)
		snprintf(p, sizeof(p), "%s.%s.listen", prefix, mode);
	else
		snprintf(p, sizeof(p), "%s.listen", prefix);
	nsf_us(p, "cpu_us", sum);
	nsf_us(p, "sweep_cpu_us", bench_median(sw->cpu, (size_t)runs));
	nsf_us(p, "sweep_wall_us", bench_median(sw->wall, (size_t)runs));
	nsf_us(p, "sweep_user_us", bench_median(sw->user, (size_t)runs));
	nsf_us(p, "sweep_sys_us", bench_median(sw->sys, (size_t)runs));
	nsf_us(p, "per_ns_us", med);
	nsf_us(p, "max_ns_us", max);
}

static int nsf_discovery(const char *prefix, int runs)
{
	uint64_t *cpu = calloc((size_t)runs, sizeof(*cpu)), *wall = calloc((size_t)runs, sizeof(*wall));
	long pids = 0, seen = 0, mounts = 0;

	if (!cpu || !wall)
		return -ENOMEM;
	for (int k = 0; k < runs; k++) {
		uint64_t c0 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID), w0 = nsf_ns_now(CLOCK_MONOTONIC);

		seen = nsf_pids(NULL, &pids);
		mounts = nsf_mounts(NULL);
		cpu[k] = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall[k] = nsf_ns_now(CLOCK_MONOTONIC) - w0;
	}
	nsf_us(prefix, "discovery.cpu_us", bench_median(cpu, (size_t)runs));
	nsf_us(prefix, "discovery.wall_us", bench_median(wall, (size_t)runs));
	printf("%s.discovery.pids %ld\n%s.discovery.links %ld\n%s.discovery.mounts %ld\n", prefix,
	       pids, prefix, seen, prefix, mounts);
	free(cpu);
	free(wall);
	return 0;
}

static void nsf_usage(FILE *f)
{
	fputs("usage: nsfloor [-n RUNS] [-w WARMUP] [-c MIB] [-i MS] [-p PREFIX] [-o] [-a] [-P] [-D] [-u] [-x] [NSFILE...]\n",
	      f);
}

int main(int argc, char **argv)
{
	static struct nsf_sweeps sw[_NSF_MODE_MAX];
	const char *prefix = "nsfloor";
	int runs = 21, warmup = 2, chill_mib = 0, pause_ms = 0, c, home, r;
	bool own = false, all = false, proc = false, disc = false, compat = false;
	uint64_t bytes = 0, msgs = 0, t0, clock_ns;
	uint32_t seq = 1;
	uint8_t *junk = NULL;
	long pids;

	while ((c = getopt(argc, argv, "n:w:c:i:p:oaPDuxh")) >= 0) {
		switch (c) {
		case 'i': pause_ms = atoi(optarg); break;
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'c': chill_mib = atoi(optarg); break;
		case 'p': prefix = optarg; break;
		case 'o': own = true; break;
		case 'a': all = true; break;
		case 'P': proc = true; break;
		case 'D': disc = true; break;
		case 'u': compat = true; break;
		case 'x': nsf_with_unix = true; break;
		case 'h': nsf_usage(stdout); return 0;
		default: nsf_usage(stderr); return 2;
		}
	}
	if (runs < 1 || runs > NSF_MAX_RUNS || warmup < 0 || warmup > 100 || chill_mib < 0 ||
	    chill_mib > 4096 || pause_ms < 0 || pause_ms > 60000) {
		nsf_usage(stderr);
		return 2;
	}
	nsf_v = calloc(NSF_MAX_NS, sizeof(*nsf_v));
	if (!nsf_v || (chill_mib > 0 && !(junk = malloc((size_t)chill_mib << 20)))) {
		fprintf(stderr, "nsfloor: out of memory\n");
		return 1;
	}
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		perror("nsfloor: /proc/self/ns/net");
		return 1;
	}
	if (own || all)
		(void)nsf_add("/proc/self/ns/net");
	if (all) {
		(void)nsf_pids(nsf_add, &pids);
		(void)nsf_mounts(nsf_add);
	}
	for (int i = optind; i < argc; i++) {
		r = nsf_add(argv[i]);
		if (r < 0) {
			fprintf(stderr, "nsfloor: %s: %s\n", argv[i], strerror(-r));
			return 1;
		}
	}
	if (nsf_n == 0) {
		nsf_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < nsf_n; i++) {
		struct nsf_ns *ns = &nsf_v[i];

		r = nsf_enter(ns, home, proc);
		/* -a: a process gone since the listing took its namespace's
		 * path with it; not one of ours. */
		if (r < 0 && all && (r == -ENOENT || r == -ESRCH)) {
			if (ns->diag >= 0)
				close(ns->diag);
			for (int k = 0; k < NSF_N_PROC; k++)
				if (ns->proc[k] >= 0)
					close(ns->proc[k]);
			free(ns->path);
			nsf_v[i--] = nsf_v[--nsf_n];
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "nsfloor: %s: %s\n", ns->path, strerror(-r));
			return 1;
		}
		for (int m = 0; m < _NSF_MODE_MAX; m++)
			if (!(ns->cpu[m] = calloc((size_t)runs, sizeof(uint64_t))))
				return 1;
		if (!(ns->proc_cpu = calloc((size_t)runs, sizeof(uint64_t))))
			return 1;
	}
	/* What an empty timed interval costs (two clock reads). */
	{
		uint64_t e[101];

		for (int i = 0; i < 101; i++) {
			t0 = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID);
			e[i] = nsf_ns_now(CLOCK_PROCESS_CPUTIME_ID) - t0;
		}
		clock_ns = bench_median(e, 101);
	}
	for (int k = 0; k < warmup + runs; k++) {
		for (int j = 0; j < _NSF_MODE_MAX; j++) {
			/* Alternate which mode goes first, so neither gets the
			 * quieter moments. */
			enum nsf_mode m = (enum nsf_mode)((j + k) % _NSF_MODE_MAX);

			if (m == NSF_COMPAT && !compat)
				continue;
			bench_chill(junk, (size_t)chill_mib << 20);
			if (pause_ms > 0) {
				struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L };

				while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
					;
			}
			r = nsf_sweep(m, proc && m == NSF_MMSG, k - warmup, &sw[m], &seq, &bytes, &msgs);
			if (r < 0)
				return 1;
		}
	}

	printf("%s.with_unix %d\n", prefix, nsf_with_unix);
	printf("%s.runs %d\n%s.namespaces %zu\n%s.listeners %" PRIu64 "\n%s.bytes %" PRIu64 "\n"
	       "%s.clock_ns %" PRIu64 "\n", prefix, runs, prefix, nsf_n, prefix, msgs, prefix, bytes,
	       prefix, clock_ns);
	{
		enum nsf_mode best = NSF_RECV;
		uint64_t s[_NSF_MODE_MAX], med, max;

		for (int m = 0; m < _NSF_MODE_MAX; m++) {
			uint64_t **per;

			if (m == NSF_COMPAT && !compat)
				continue;
			per = calloc(nsf_n, sizeof(*per));
			if (!per)
				return 1;
			for (size_t i = 0; i < nsf_n; i++)
				per[i] = nsf_v[i].cpu[m];
			s[m] = nsf_sum_medians(per, runs, &med, &max);
			free(per);
			nsf_print_mode(prefix, nsf_mode_name[m], (enum nsf_mode)m, &sw[m], runs);
			if (m != NSF_COMPAT && s[m] < s[best])
				best = (enum nsf_mode)m;
		}
		nsf_print_mode(prefix, NULL, best, &sw[best], runs);
		printf("%s.listen.mode %s\n", prefix, nsf_mode_name[best]);
	}
	if (proc) {
		uint64_t **per = calloc(nsf_n, sizeof(*per)), med, max, sum;

		if (!per)
			return 1;
		for (size_t i = 0; i < nsf_n; i++)
			per[i] = nsf_v[i].proc_cpu;
		sum = nsf_sum_medians(per, runs, &med, &max);
		free(per);
		nsf_us(prefix, "proc.cpu_us", sum);
		nsf_us(prefix, "proc.per_ns_us", med);
	}
	if (disc && nsf_discovery(prefix, runs) < 0)
		return 1;
	return 0;
}
