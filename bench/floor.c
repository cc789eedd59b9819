/* floor: the least a user-space program can spend to get what sockwatchd
 * gets from the kernel. It issues the same sock_diag dumps the collector
 * does (src/diag.c: TCP_LISTEN with INET_DIAG_SKMEMINFO, then TCP_SYN_RECV
 * plus TCP_NEW_SYN_RECV, each for AF_INET and AF_INET6), receives every
 * byte of every reply and parses nothing: it walks only the netlink message
 * headers, to see where the dump ends. The kernel's work (walking the
 * listening hash or the whole established hash and filling the replies)
 * and the copies to user space are all it pays for.
 *
 *   floor [-n RUNS] [-w WARMUP] [-m recv|mmsg|both] [-u] [-c MIB] [-p PREFIX]
 *
 * RUNS listener dumps come first, then RUNS SYN_RECV dumps, each timed on
 * its own (CPU of this process, user + system, and wall time). Prints per
 * receive mode M and dump kind K ("listen", "syn") the medians
 * "PREFIX.M.K.cpu_us", ".user_us", ".sys_us", ".wall_us", and ".bytes",
 * ".msgs" (sockets) of the last run; and "PREFIX.K.cpu_us" etc. for the
 * cheaper mode, the floor proper. Modes: one recv() per datagram, or
 * recvmmsg() batches of 8 as the collector does.
 *
 * -u also measures mode "compat", which is NOT what sockwatchd issues and
 * never counts as the floor: the old TCPDIAG_GETSOCK request, which the
 * kernel serves as one AF_UNSPEC dump, one walk of the listening or
 * established hash for both families instead of one walk per family.
 * It says what the collector would save by asking that way.
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
#include <netinet/tcp.h>

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
enum floor_mode { FLOOR_RECV, FLOOR_MMSG, FLOOR_COMPAT, _FLOOR_MODE_MAX };

static const char *const floor_kind_name[] = { "listen", "syn" };
static const char *const floor_mode_name[] = { "recv", "mmsg", "compat" };

struct floor_sample {
	uint64_t cpu[FLOOR_MAX_RUNS], user[FLOOR_MAX_RUNS], sys[FLOOR_MAX_RUNS], wall[FLOOR_MAX_RUNS];
	uint64_t bytes, msgs;
};

static uint8_t floor_buf[FLOOR_SLOTS][FLOOR_SLOT_SIZE];

/* Evicts the caches: the buffer is written and read whole. */
static void floor_chill(uint8_t *junk, size_t len)
{
	volatile uint8_t sink = 0;

	if (!junk)
		return;
	memset(junk, (int)(len & 0xff) + 1, len);
	for (size_t i = 0; i < len; i += 64)
		sink ^= junk[i];
	(void)sink;
}

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

/* The old request: no family (the kernel dumps both), TCP implied. */
static int floor_send_compat(int fd, uint32_t states, uint8_t ext, uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req r;
	} req = {
		.h = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = TCPDIAG_GETSOCK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.r = {
			.idiag_family = AF_INET,
			.idiag_ext = ext,
			.idiag_states = states,
		},
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static int floor_send(int fd, int family, uint32_t states, uint8_t ext, uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.r = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = ext,
			.idiag_states = states,
		},
	};
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
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

/* One dump of one family, read to its end. */
static int floor_dump(int fd, enum floor_mode mode, int family, uint32_t states, uint8_t ext,
		      uint32_t seq, uint64_t *bytes, uint64_t *msgs)
{
	static struct iovec iov[FLOOR_SLOTS];
	static struct mmsghdr mm[FLOOR_SLOTS];
	int r = mode == FLOOR_COMPAT ? floor_send_compat(fd, states, ext, seq)
				     : floor_send(fd, family, states, ext, seq);

	if (r < 0)
		return r;
	for (;;) {
		if (mode != FLOOR_MMSG) {
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

/* Both families of one kind, timed. */
static int floor_measure(int fd, enum floor_mode mode, enum floor_kind kind, uint32_t *seq,
			 struct floor_sample *s, int k)
{
	uint32_t states = kind == FLOOR_LISTEN ? 1u << TCP_LISTEN
					       : 1u << TCP_SYN_RECV | 1u << TCP_NEW_SYN_RECV;
	uint8_t ext = kind == FLOOR_LISTEN ? 1 << (INET_DIAG_SKMEMINFO - 1) : 0;
	uint64_t bytes = 0, msgs = 0, w0, c0;
	struct rusage ru0, ru1;
	int r;

	getrusage(RUSAGE_SELF, &ru0);
	w0 = floor_ts_usec(CLOCK_MONOTONIC);
	c0 = floor_ts_usec(CLOCK_PROCESS_CPUTIME_ID);
	r = floor_dump(fd, mode, AF_INET, states, ext, ++*seq, &bytes, &msgs);
	/* compat: that one dump held both families. */
	if (r == 0 && mode != FLOOR_COMPAT)
		r = floor_dump(fd, mode, AF_INET6, states, ext, ++*seq, &bytes, &msgs);
	if (r < 0)
		return r;
	if (k >= 0) {
		s->cpu[k] = floor_ts_usec(CLOCK_PROCESS_CPUTIME_ID) - c0;
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
			const struct floor_sample *s, int runs)
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
}

int main(int argc, char **argv)
{
	static struct floor_sample sm[_FLOOR_MODE_MAX][_FLOOR_KIND_MAX];
	const char *prefix = "floor";
	bool use[_FLOOR_MODE_MAX] = { true, true, false };
	int runs = 21, warmup = 3, chill_mib = 0, c, fd, r;
	uint8_t *junk = NULL;
	uint32_t seq = 1;

	while ((c = getopt(argc, argv, "n:w:m:uc:p:h")) >= 0) {
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
			use[FLOOR_COMPAT] = true;
			break;
		case 'c':
			chill_mib = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'h':
			printf("usage: floor [-n RUNS] [-w WARMUP] [-m recv|mmsg|both] [-u] [-c MIB] [-p PREFIX]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (runs < 1 || runs > FLOOR_MAX_RUNS || warmup < 0 || warmup > 100 ||
	    chill_mib < 0 || chill_mib > 4096 || (!use[FLOOR_RECV] && !use[FLOOR_MMSG]) ||
	    optind < argc) {
		fprintf(stderr, "usage: floor [-n RUNS] [-w WARMUP] [-m recv|mmsg|both] [-u] [-c MIB] [-p PREFIX]\n");
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
				floor_chill(junk, (size_t)chill_mib << 20);
				r = floor_measure(fd, (enum floor_mode)m, (enum floor_kind)k, &seq,
						  &sm[m][k], i - warmup);
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
	for (int k = 0; k < _FLOOR_KIND_MAX; k++) {
		int best = -1;

		for (int m = 0; m < _FLOOR_MODE_MAX; m++) {
			if (!use[m])
				continue;
			floor_print(prefix, floor_mode_name[m], floor_kind_name[k], &sm[m][k], runs);
			if (m == FLOOR_COMPAT)
				continue;
			if (best < 0 || bench_median(sm[m][k].cpu, runs) < bench_median(sm[best][k].cpu, runs))
				best = m;
		}
		floor_print(prefix, NULL, floor_kind_name[k], &sm[best][k], runs);
		printf("%s.%s.mode %s\n", prefix, floor_kind_name[k], floor_mode_name[best]);
	}
	return 0;
}
