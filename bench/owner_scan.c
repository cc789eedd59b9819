/* owner_scan: what a full /proc scan for listener owners costs with many
 * open fds. Forks PROCS helpers holding FDS sockets between them (a process
 * may hold at most 20000 fds here), asks the owner module for one socket of
 * each helper plus a real listener, and times:
 *   full     a fresh module's first refresh: list /proc, read every fd of
 *            every process (the helpers' and the system's), one call;
 *   steady   a refresh when every inode is known, holders re-checked
 *            (their /proc/PID/stat read): what a poll costs at most;
 *   budget   how many refreshes the default per-call budget spreads a full
 *            scan over.
 * Wall and CPU time (this process, user + system) are medians of ROUNDS.
 * With -H the module reads /proc through the privileged helper (as the
 * daemon does when it starts with capabilities), and CPU counts the
 * helper's too.
 * Usage: owner_scan [-H] [-n FDS] [-p PROCS] [-r ROUNDS]. Not run by make check. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "stats.h"
#include "owners.h"
#include "util.h"

#define BENCH_MAX_PROCS 64
#define BENCH_FD_LIMIT  20000

/* What a helper reports: helpers finish in any order. */
struct bench_report {
	int32_t pid;
	uint32_t inode;
};

/* A helper: opens n sockets, reports the inode of the last one, then waits
 * until the parent goes away (EOF on life). */
static void bench_helper(int n, int report, int life)
{
	struct bench_report r = { .pid = getpid() };
	struct stat st;
	char c;

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			_exit(2);
		if (i == n - 1 && fstat(fd, &st) == 0)
			r.inode = (uint32_t)st.st_ino;
	}
	if (write(report, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	while (read(life, &c, 1) != 0 && errno == EINTR)
		;
	_exit(0);
}

static struct sw_helper *bench_priv;    /* -H */

/* This process's CPU, and the helper's when there is one. */
static uint64_t bench_cpu(void)
{
	uint64_t cpu = util_cpu_usec();
	clockid_t cid;
	struct timespec ts;

	if (bench_priv && clock_getcpuclockid(helper_pid(bench_priv), &cid) == 0 &&
	    clock_gettime(cid, &ts) == 0)
		cpu += (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
	return cpu;
}

static int bench_owners_new(struct sw_owners **o)
{
	if (owners_new("/proc", "/sys/fs/cgroup", o) < 0)
		return -1;
	if (bench_priv && owners_use_helper(*o, bench_priv) < 0) {
		owners_free(*o);
		return -1;
	}
	return 0;
}

static int bench_refresh(struct sw_owners *o, const uint32_t *in, size_t n, uint64_t now,
			 uint64_t *wall, uint64_t *cpu)
{
	uint64_t w0 = util_now_usec(), c0 = bench_cpu();
	int r = owners_refresh(o, in, NULL, n, now);

	*wall = util_now_usec() - w0;
	*cpu = bench_cpu() - c0;
	return r;
}

int main(int argc, char **argv)
{
	int fds = 10000, procs = 4, rounds = 11, c, report[2], life[2];
	pid_t pids[BENCH_MAX_PROCS], holder[BENCH_MAX_PROCS];
	uint32_t inodes[BENCH_MAX_PROCS + 1];
	uint64_t full_wall[101], full_cpu[101], st_wall[101], st_cpu[101];
	struct sw_owners_stats stats = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stat st;
	int lfd, calls = 0, rc = 1;

	while ((c = getopt(argc, argv, "Hn:p:r:")) != -1) {
		switch (c) {
		case 'H': {
			int fd, r = helper_spawn(&bench_priv, &fd);

			if (r == 1)
				return helper_serve(fd);
			if (r < 0) {
				fprintf(stderr, "owner_scan: cannot start the helper\n");
				return 1;
			}
			break;
		}
		case 'n':
			fds = atoi(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: owner_scan [-H] [-n FDS] [-p PROCS] [-r ROUNDS]\n");
			return 1;
		}
	}
	if (procs < 1 || procs > BENCH_MAX_PROCS || fds < procs || rounds < 1 || rounds > 101 ||
	    fds / procs > BENCH_FD_LIMIT - 64) {
		fprintf(stderr, "owner_scan: need 1 <= PROCS <= %d, FDS/PROCS <= %d, ROUNDS <= 101\n",
			BENCH_MAX_PROCS, BENCH_FD_LIMIT - 64);
		return 1;
	}
	{
		struct rlimit rl;

		/* Raise the soft limit as far as the hard one allows. */
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(life, O_CLOEXEC) < 0) {
		perror("pipe2");
		return 1;
	}
	for (int i = 0; i < procs; i++) {
		int share = fds / procs + (i < fds % procs ? 1 : 0);

		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			procs = i;
			goto out;
		}
		if (pids[i] == 0) {
			close(life[1]);
			close(report[0]);
			bench_helper(share, report[1], life[0]);
		}
	}
	close(report[1]);
	close(life[0]);
	for (int i = 0; i < procs; i++) {
		struct bench_report r;

		if (read(report[0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
			fprintf(stderr, "owner_scan: a helper failed (fd limit?)\n");
			goto out;
		}
		holder[i] = r.pid;
		inodes[i] = r.inode;
	}
	/* And one real listener, held by this process. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0 ||
	    fstat(lfd, &st) < 0) {
		perror("listener");
		goto out;
	}
	inodes[procs] = (uint32_t)st.st_ino;

	for (int i = 0; i < rounds; i++) {
		struct sw_owners *o = NULL;
		struct sw_owners_params p = { .scan_budget = UINT32_MAX };
		struct sw_owner w;
		uint64_t now = 1000 * USEC_PER_SEC;

		if (bench_owners_new(&o) < 0) {
			fprintf(stderr, "owner_scan: owners_new failed\n");
			goto out;
		}
		owners_set_params(o, &p);
		if (bench_refresh(o, inodes, (size_t)procs + 1, now, &full_wall[i], &full_cpu[i]) < 0 ||
		    bench_refresh(o, inodes, (size_t)procs + 1, now + 2 * USEC_PER_SEC, &st_wall[i],
				  &st_cpu[i]) < 0) {
			fprintf(stderr, "owner_scan: refresh failed\n");
			owners_free(o);
			goto out;
		}
		/* The numbers mean nothing unless every helper was found. */
		for (int k = 0; k < procs; k++) {
			if (owners_lookup(o, inodes[k], 0, &w) < 0 || w.pid != holder[k]) {
				fprintf(stderr, "owner_scan: helper %d not attributed\n", (int)holder[k]);
				owners_free(o);
				goto out;
			}
		}
		if (i == 0)
			owners_get_stats(o, &stats);
		owners_free(o);
	}

	/* The same full scan under the default per-refresh budget. */
	{
		struct sw_owners *o = NULL;
		struct sw_owners_stats s2;
		uint64_t w_, c_;

		if (bench_owners_new(&o) < 0)
			goto out;
		do {
			if (bench_refresh(o, inodes, (size_t)procs + 1, (uint64_t)(calls + 1) * USEC_PER_SEC,
					  &w_, &c_) < 0)
				break;
			owners_get_stats(o, &s2);
			calls++;
		} while (s2.scan_in_progress && calls < 10000);
		owners_free(o);
	}

	printf("owner_scan:%s fds=%d procs=%d pids_scanned=%" PRIu64 " fds_examined=%" PRIu64
	       " full_scan wall_median_us=%" PRIu64 " cpu_median_us=%" PRIu64
	       " steady_refresh wall_median_us=%" PRIu64 " cpu_median_us=%" PRIu64
	       " default_budget_refreshes=%d rounds=%d\n",
	       bench_priv ? " helper" : "", fds, procs, stats.pids_scanned, stats.fds_examined,
	       bench_median(full_wall, rounds), bench_median(full_cpu, rounds),
	       bench_median(st_wall, rounds), bench_median(st_cpu, rounds), calls, rounds);
	rc = 0;
out:
	helper_free(bench_priv);
	close(life[1]);
	for (int i = 0; i < procs; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	return rc;
}
