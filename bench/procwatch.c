/* procwatch: samples a process's resident memory and open fds every few
 * milliseconds, and says the highest of each when told to stop. VmHWM alone
 * is not enough: the kernel records the high-water mark only at some events
 * (munmap, exit), so a peak that glibc hands back with madvise() can leave
 * no trace in it. procwatch takes the higher of its samples and VmHWM.
 *
 *   procwatch -p PID [-i MS] [-P PREFIX]
 *
 * Runs until PID is gone or SIGTERM/SIGINT, then prints
 * "PREFIX.peak_rss_kb", "PREFIX.max_fds", "PREFIX.samples". Reading
 * /proc/PID/statm and listing /proc/PID/fd costs some microseconds per
 * sample, charged to procwatch, not to PID. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t procwatch_stop;

static void procwatch_on_signal(int sig)
{
	procwatch_stop = sig;
}

/* Resident kB from /proc/PID/statm; -1 when the process is gone. */
static long procwatch_rss_kb(const char *statm, long page_kb)
{
	char buf[128];
	long size, resident;
	ssize_t n;
	int fd = open(statm, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident * page_kb;
}

static long procwatch_status_kb(const char *status, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen(status, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long procwatch_fds(const char *fddir)
{
	DIR *d = opendir(fddir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = procwatch_on_signal };
	char statm[64], status[64], fddir[64];
	const char *prefix = "proc";
	long pid = 0, interval_ms = 20, page_kb = sysconf(_SC_PAGESIZE) / 1024;
	long peak = 0, max_fds = 0, samples = 0, hwm;
	int c;

	while ((c = getopt(argc, argv, "p:i:P:h")) >= 0) {
		switch (c) {
		case 'p':
			pid = atol(optarg);
			break;
		case 'i':
			interval_ms = atol(optarg);
			break;
		case 'P':
			prefix = optarg;
			break;
		case 'h':
			printf("usage: procwatch -p PID [-i MS] [-P PREFIX]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (pid <= 0 || interval_ms < 1 || interval_ms > 10000 || optind < argc) {
		fprintf(stderr, "usage: procwatch -p PID [-i MS] [-P PREFIX]\n");
		return 2;
	}
	snprintf(statm, sizeof(statm), "/proc/%ld/statm", pid);
	snprintf(status, sizeof(status), "/proc/%ld/status", pid);
	snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	hwm = procwatch_status_kb(status, "VmHWM:");
	while (!procwatch_stop) {
		struct timespec ts = { .tv_sec = interval_ms / 1000,
				       .tv_nsec = (interval_ms % 1000) * 1000000L };
		long rss = procwatch_rss_kb(statm, page_kb), fds, h;

		if (rss < 0)
			break;
		fds = procwatch_fds(fddir);
		/* status is long to read; the mark it holds only grows. */
		h = samples % 50 == 0 ? procwatch_status_kb(status, "VmHWM:") : -1;
		if (rss > peak)
			peak = rss;
		if (fds > max_fds)
			max_fds = fds;
		if (h > hwm)
			hwm = h;
		samples++;
		nanosleep(&ts, NULL);
	}
	printf("%s.peak_rss_kb %ld\n", prefix, peak > hwm ? peak : hwm);
	printf("%s.sampled_rss_kb %ld\n", prefix, peak);
	printf("%s.max_fds %ld\n", prefix, max_fds);
	printf("%s.samples %ld\n", prefix, samples);
	return 0;
}
