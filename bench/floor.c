/* floor: the least a user-space program can spend to get what sockwatchd
 * gets from the kernel. It issues the same sock_diag dumps the collector
 * does (src/diag.c: TCP_LISTEN with INET_DIAG_SKMEMINFO, then TCP_SYN_RECV
 * plus TCP_NEW_SYN_RECV, each for AF_INET and AF_INET6), receives every
 * byte of every reply and parses nothing: it walks only the netlink message
 * headers, to see where the dump ends. The kernel's work (walking the
 * listening hash or the whole established hash and filling the replies)
 * and the copies to user space are all it pays for.
 *
 *   floor [-n RUNS] [-w WARMUP] [-m recv|mmsg|both] [-u] [-x] [-c MIB] [-p PREFIX]
 *
 * RUNS listener dumps come first, then RUNS SYN_RECV dumps, each timed on
 * its own (CPU of this process, user + system, and wall time). Prints per
 * receive mode M and dump kind K ("listen", "syn") the medians
 * "PREFIX.M.K.cpu_us", ".user_us", ".sys_us", ".wall_us", and ".bytes",
 * ".msgs" (sockets) of the last run; and "PREFIX.K.cpu_us" etc. for the
 * cheaper mode, the floor proper. Modes: one recv() per datagram, or
 * recvmmsg() batches of 8 as the collector does.
 *
 * -x: the listener figure includes the UNIX listener dump too (unix_diag,
 * states LISTEN, UDIAG_SHOW_NAME | RQLEN | UID, as src/diag.c asks), right
 * after the TCP ones and in the same timed run, as a poll with [daemon]
 * unix = yes (the default) issues it; "PREFIX.M.listen.tcp_cpu_us" and
 * ".unix_cpu_us" are the two parts (medians of each run's part).
 *
 * -u also measures the modes "compat" (recv()) and "compat_mmsg"
 * (recvmmsg()): the old TCPDIAG_GETSOCK request, which the kernel serves
 * as one AF_UNSPEC dump, one walk of the listening or established hash
 * for both families instead of one walk per family. They never count as
 * the per-family floor ("PREFIX.K"); the cheaper of the two is printed as
 * "PREFIX.walk1.K.*": the floor of a collector that asks that way (the
 * SYN scan does, falling back to per-family dumps where the kernel
 * refuses it).
 *
 * -c MIB: before every run, write and read MIB MiB of memory (untimed), so
 * that each dump starts with caches as cold as a daemon's poll does a
 * second after the last one; poll -c does the same. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>

#include "diagreq.h"
#include "stats.h"

#ifndef TCP_NEW_SYN_RECV
#define TCP_NEW_SYN_RECV 12
#endif

#define FLOOR_MAX_RUNS  1000
#define FLOOR_SLOTS     8
/* The kernel sizes dump parts after the buffer offered, up to 32 KiB. */
#define FLOOR_SLOT_SIZE (64 * 1024)
#define FLOOR_RCVBUF    (2 * 1024 * 1024)

enum floor_kind { FLOOR_LISTEN, FLOOR_SYN, _FLOOR_KIND_MAX };
enum floor_mode { FLOOR_RECV, FLOOR_MMSG, FLOOR_COMPAT, FLOOR_COMPAT_MMSG, _FLOOR_MODE_MAX };

static const char *const floor_kind_name[] = { "listen", "syn" };
static const char *const floor_mode_name[] = { "recv", "mmsg", "compat", "compat_mmsg" };

struct floor_sample {
	uint64_t cpu[FLOOR_MAX_RUNS], user[FLOOR_MAX_RUNS], sys[FLOOR_MAX_RUNS], wall[FLOOR_MAX_RUNS];
	/* With -x, the listener figure's two parts. */
	uint64_t tcp[FLOOR_MAX_RUNS], unx[FLOOR_MAX_RUNS];
	uint64_t bytes, msgs;
};

static bool floor_compat(enum floor_mode m)
{
	return m == FLOOR_COMPAT || m == FLOOR_COMPAT_MMSG;
}

static bool floor_mmsg(enum floor_mode m)
{
	return m == FLOOR_MMSG || m == FLOOR_COMPAT_MMSG;
}

static uint8_t floor_buf[FLOOR_SLOTS][FLOOR_SLOT_SIZE];

static uint64_t floor_ts_usec(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int floor_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int fd, v = FLOOR_RCVBUF;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	/* The collector's buffer size, so both see the same part sizes. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	/* A dump that never ends must not hang the benchmark. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Walks the headers of one datagram: 1 at NLMSG_DONE, -errno for an
 * NLMSG_ERROR or a bad length, else 0. Counts the messages. */
static int floor_frame(const uint8_t *b, size_t len, uint64_t *msgs)
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

/* One dump of one family (AF_UNIX: the UNIX listener dump), read to its
 * end. */
static int floor_dump(int fd, enum floor_mode mode, int family, uint32_t states, uint8_t ext,
		      uint32_t seq, uint64_t *bytes, uint64_t *msgs)
{
	static struct iovec iov[FLOOR_SLOTS];
	static struct mmsghdr mm[FLOOR_SLOTS];
	int r = family == AF_UNIX   ? bench_send_unix(fd, seq)
		: floor_compat(mode) ? bench_send_walk(fd, states, ext, seq)
				     : bench_send_inet(fd, family, states, ext, seq);

	if (r < 0)
		return r;
	for (;;) {
		if (!floor_mmsg(mode)) {
			ssize_t n = recv(fd, floor_buf[0], FLOOR_SLOT_SIZE, 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			*bytes += (uint64_t)n;
			r = floor_frame(floor_buf[0], (size_t)n, msgs);
			if (r != 0)
				return r < 0 ? r : 0;
		} else {
			int n;

			for (int i = 0; i < FLOOR_SLOTS; i++) {
				iov[i].iov_base = floor_buf[i];
				iov[i].iov_len = FLOOR_SLOT_SIZE;
				memset(&mm[i], 0, sizeof(mm[i]));
				mm[i].msg_hdr.msg_iov = &iov[i];
				mm[i].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(fd, mm, FLOOR_SLOTS, MSG_WAITFORONE, NULL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			for (int i = 0; i < n; i++) {
				*bytes += mm[i].msg_len;
				r = floor_frame(floor_buf[i], mm[i].msg_len, msgs);
				if (r != 0)
					return r < 0 ? r : 0;
			}
		}
	}
}

/* Both families of one kind (and with_unix the UNIX listener dump after
 * the TCP listener dumps), timed. */
static int floor_measure(int fd, enum floor_mode mode, enum floor_kind kind, bool with_unix,
			 uint32_t *seq, struct floor_sample *s, int k)
{
	uint32_t states = kind == FLOOR_LISTEN ? 1u << TCP_LISTEN
					       : 1u << TCP_SYN_RECV | 1u << TCP_NEW_SYN_RECV;
	uint8_t ext = kind == FLOOR_LISTEN ? 1 << (INET_DIAG_SKMEMINFO - 1) : 0;
	uint64_t bytes = 0, msgs = 0, w0, c0, ct;
	struct rusage ru0, ru1;
	int r;

	getrusage(RUSAGE_SELF, &ru0);
	w0 = floor_ts_usec(CLOCK_MONOTONIC);
	c0 = floor_ts_usec(CLOCK_PROCESS_CPUTIME_ID);
	r = floor_dump(fd, mode, AF_INET, states, ext, ++*seq, &bytes, &msgs);
	/* compat: that one dump held both families. */
	if (r == 0 && !floor_compat(mode))
		r = floor_dump(fd, mode, AF_INET6, states, ext, ++*seq, &bytes, &msgs);
	ct = floor_ts_usec(CLOCK_PROCESS_CPUTIME_ID);
	if (r == 0 && with_unix && kind == FLOOR_LISTEN)
		r = floor_dump(fd, mode, AF_UNIX, 0, 0, ++*seq, &bytes, &msgs);
	if (r < 0)
		return r;
	if (k >= 0) {
		s->cpu[k] = floor_ts_usec(CLOCK_PROCESS_CPUTIME_ID) - c0;
		s->tcp[k] = ct - c0;
		s->unx[k] = s->cpu[k] - s->tcp[k];
		s->wall[k] = floor_ts_usec(CLOCK_MONOTONIC) - w0;
		getrusage(RUSAGE_SELF, &ru1);
		s->user[k] = bench_tv_usec(&ru1.ru_utime) - bench_tv_usec(&ru0.ru_utime);
		s->sys[k] = bench_tv_usec(&ru1.ru_stime) - bench_tv_usec(&ru0.ru_stime);
		s->bytes = bytes;
		s->msgs = msgs;
	}
	return 0;
}

static void floor_print(const char *prefix, const char *mode, const char *kind,
			const struct floor_sample *s, int runs, bool with_unix)
{
	char p[256];

	if (mode)
		snprintf(p, sizeof(p), "%s.%s.%s", prefix, mode, kind);
	else
		snprintf(p, sizeof(p), "%s.%s", prefix, kind);
	printf("%s.cpu_us %" PRIu64 "\n", p, bench_median(s->cpu, runs));
	printf("%s.user_us %" PRIu64 "\n", p, bench_median(s->user, runs));
	printf("%s.sys_us %" PRIu64 "\n", p, bench_median(s->sys, runs));
	printf("%s.wall_us %" PRIu64 "\n", p, bench_median(s->wall, runs));
	printf("%s.bytes %" PRIu64 "\n", p, s->bytes);
	printf("%s.msgs %" PRIu64 "\n", p, s->msgs);
	if (with_unix && strcmp(kind, "listen") == 0) {
		printf("%s.tcp_cpu_us %" PRIu64 "\n", p, bench_median(s->tcp, runs));
		printf("%s.unix_cpu_us %" PRIu64 "\n", p, bench_median(s->unx, runs));
	}
}

/* The cheaper of modes a and b (either unused: the other). */
static int floor_best(const bool *use, const struct floor_sample *sm, int runs, int a, int b)
{
	if (!use[a])
		return use[b] ? b : -1;
	if (!use[b])
		return a;
	return bench_median(sm[b].cpu, runs) < bench_median(sm[a].cpu, runs) ? b : a;
}

int main(int argc, char **argv)
{
	static struct floor_sample sm[_FLOOR_KIND_MAX][_FLOOR_MODE_MAX];
	const char *prefix = "floor", *usage =
		"usage: floor [-n RUNS] [-w WARMUP] [-m recv|mmsg|both] [-u] [-x] [-c MIB] [-p PREFIX]\n";
	bool use[_FLOOR_MODE_MAX] = { true, true, false, false }, with_unix = false;
	int runs = 21, warmup = 3, chill_mib = 0, c, fd, r;
	uint8_t *junk = NULL;
	uint32_t seq = 1;

	while ((c = getopt(argc, argv, "n:w:m:uxc:p:h")) >= 0) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'm':
			use[FLOOR_RECV] = strcmp(optarg, "recv") == 0 || strcmp(optarg, "both") == 0;
			use[FLOOR_MMSG] = strcmp(optarg, "mmsg") == 0 || strcmp(optarg, "both") == 0;
			break;
		case 'u':
			use[FLOOR_COMPAT] = use[FLOOR_COMPAT_MMSG] = true;
			break;
		case 'x':
			with_unix = true;
			break;
		case 'c':
			chill_mib = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (runs < 1 || runs > FLOOR_MAX_RUNS || warmup < 0 || warmup > 100 ||
	    chill_mib < 0 || chill_mib > 4096 || (!use[FLOOR_RECV] && !use[FLOOR_MMSG]) ||
	    optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (chill_mib > 0 && !(junk = malloc((size_t)chill_mib << 20))) {
		fprintf(stderr, "floor: out of memory\n");
		return 1;
	}
	fd = floor_open();
	if (fd < 0) {
		fprintf(stderr, "floor: netlink socket: %s\n", strerror(-fd));
		return 1;
	}
	/* One kind after the other, as poll does (a SYN_RECV dump walks every
	 * socket and leaves the caches cold for what runs next); the modes
	 * alternate run by run, so that neither gets the quieter moments. */
	for (int k = 0; k < _FLOOR_KIND_MAX; k++) {
		for (int i = 0; i < warmup + runs; i++) {
			for (int m = 0; m < _FLOOR_MODE_MAX; m++) {
				if (!use[m])
					continue;
				bench_chill(junk, (size_t)chill_mib << 20);
				r = floor_measure(fd, (enum floor_mode)m, (enum floor_kind)k,
						  with_unix, &seq, &sm[k][m], i - warmup);
				if (r < 0) {
					fprintf(stderr, "floor: %s dump: %s\n", floor_kind_name[k],
						strerror(-r));
					close(fd);
					free(junk);
					return 1;
				}
			}
		}
	}
	close(fd);
	free(junk);

	printf("%s.runs %d\n", prefix, runs);
	printf("%s.with_unix %d\n", prefix, with_unix);
	for (int k = 0; k < _FLOOR_KIND_MAX; k++) {
		const char *kn = floor_kind_name[k];
		int best = floor_best(use, sm[k], runs, FLOOR_RECV, FLOOR_MMSG);
		int best1 = floor_best(use, sm[k], runs, FLOOR_COMPAT, FLOOR_COMPAT_MMSG);

		for (int m = 0; m < _FLOOR_MODE_MAX; m++)
			if (use[m])
				floor_print(prefix, floor_mode_name[m], kn, &sm[k][m], runs, with_unix);
		floor_print(prefix, NULL, kn, &sm[k][best], runs, with_unix);
		printf("%s.%s.mode %s\n", prefix, kn, floor_mode_name[best]);
		if (best1 >= 0) {
			floor_print(prefix, "walk1", kn, &sm[k][best1], runs, with_unix);
			printf("%s.walk1.%s.mode %s\n", prefix, kn, floor_mode_name[best1]);
		}
	}
	return 0;
}
