/* cmdtime: what one run of an external command costs, as a median over
 * repeated runs: CPU time (user + system, from wait4()'s rusage of that
 * child alone), wall time and peak RSS. The command's stdout goes to
 * /dev/null (or, for the first measured run, to -o FILE, so the caller can
 * check what it printed); its stderr is passed through.
 *
 *   cmdtime [-n RUNS] [-w WARMUP] [-o FILE] [-p PREFIX] -- COMMAND [ARG]...
 *
 * Prints "PREFIX.cpu_us N", ".user_us", ".sys_us", ".wall_us", ".maxrss_kb"
 * (medians), ".cpu_min_us"/".cpu_max_us" and ".runs". Exits 1 when any run
 * fails (exit status other than 0), 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define CMDTIME_MAX_RUNS 1000

static uint64_t cmdtime_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One run; fills the figures. 0, or -1 when the command failed. */
static int cmdtime_run(char **argv, const char *out, uint64_t *user, uint64_t *sys,
		       uint64_t *wall, uint64_t *maxrss)
{
	struct rusage ru;
	uint64_t t0 = cmdtime_now_usec();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		perror("cmdtime: fork");
		return -1;
	}
	if (pid == 0) {
		int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
			     : open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cmdtime: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("cmdtime: wait4");
			return -1;
		}
	}
	*wall = cmdtime_now_usec() - t0;
	*user = bench_tv_usec(&ru.ru_utime);
	*sys = bench_tv_usec(&ru.ru_stime);
	*maxrss = (uint64_t)ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "cmdtime: %s: exit status %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint64_t user[CMDTIME_MAX_RUNS], sys[CMDTIME_MAX_RUNS], cpu[CMDTIME_MAX_RUNS],
		wall[CMDTIME_MAX_RUNS], rss[CMDTIME_MAX_RUNS];
	const char *out = NULL, *prefix = "cmd";
	int runs = 21, warmup = 2, c;

	while ((c = getopt(argc, argv, "+n:w:o:p:h")) >= 0) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'h':
			printf("usage: cmdtime [-n RUNS] [-w WARMUP] [-o FILE] [-p PREFIX] -- COMMAND [ARG]...\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc || runs < 1 || runs > CMDTIME_MAX_RUNS || warmup < 0 || warmup > 100) {
		fprintf(stderr, "usage: cmdtime [-n RUNS] [-w WARMUP] [-o FILE] [-p PREFIX] -- COMMAND [ARG]...\n");
		return 2;
	}
	argv += optind;

	/* Warm-up runs fill the page cache and dentry caches, as on a server
	 * that runs the command every few seconds. */
	for (int i = 0; i < warmup + runs; i++) {
		uint64_t u, s, w, m;
		int k = i - warmup;

		if (cmdtime_run(argv, k == 0 ? out : NULL, &u, &s, &w, &m) < 0)
			return 1;
		if (k < 0)
			continue;
		user[k] = u;
		sys[k] = s;
		cpu[k] = u + s;
		wall[k] = w;
		rss[k] = m;
	}
	printf("%s.runs %d\n", prefix, runs);
	qsort(cpu, (size_t)runs, sizeof(*cpu), bench_cmp_u64);    /* for min and max */
	printf("%s.cpu_us %" PRIu64 "\n", prefix, bench_median(cpu, runs));
	printf("%s.cpu_min_us %" PRIu64 "\n", prefix, cpu[0]);
	printf("%s.cpu_max_us %" PRIu64 "\n", prefix, cpu[runs - 1]);
	printf("%s.user_us %" PRIu64 "\n", prefix, bench_median(user, runs));
	printf("%s.sys_us %" PRIu64 "\n", prefix, bench_median(sys, runs));
	printf("%s.wall_us %" PRIu64 "\n", prefix, bench_median(wall, runs));
	printf("%s.maxrss_kb %" PRIu64 "\n", prefix, bench_median(rss, runs));
	return 0;
}
