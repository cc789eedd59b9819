/* track: what tracker_update (the rules included) costs per poll in steady
 * state, on synthetic snapshots: no sockets, no root, no netlink. L inet
 * listeners (and U UNIX ones) are built the way src/poll.c hands them over
 * (snapshot_reset, the listeners in dump order, snapshot_index; the UNIX
 * snapshot beside it), then fed to one tracker a poll interval apart.
 *
 *   track [-l L] [-u U] [-n RUNS] [-w WARMUP] [-m PERMILLE] [-s EVERY]
 *         [-c MIB] [-p PREFIX] [--full-path]
 *
 * -m: per mille of the listeners whose accept depth moves at every poll
 *     (the rest stand still: the steady state this measures);
 * -s: every EVERY-th poll also carries a SYN scan (all groups at depth 0);
 * -c: before every poll, write and read MIB MiB (untimed), so that each
 *     starts with caches as cold as a daemon's a second after its last
 *     poll (as poll -c does);
 * --full-path: tracker_set_fast_path(false), every listener through the
 *     full step, for the before/after ratio in one build.
 *
 * Warm-up polls come first (the first one tracks every listener). Each
 * run times tracker_update alone (CLOCK_PROCESS_CPUTIME_ID and wall); the
 * snapshot is rebuilt untimed before each, as the dump rewrites it in the
 * daemon. Prints medians as "PREFIX.cpu_us", ".wall_us", ".ns_per_listener"
 * and what was seen (tracked, events; fast_steps: listeners the last poll
 * took through the fast path). For instruction counts of the
 * measured polls alone: valgrind --tool=callgrind
 * --toggle-collect=track_measured (Ir / RUNS is one poll). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stats.h"
#include "config.h"
#include "event.h"
#include "snapshot.h"
#include "tracker.h"
#include "usnap.h"
#include "util.h"

#define TRACK_MAX_RUNS 10000
#define TRACK_MAX_LISTENERS 50000

struct track_ctx {
	struct sw_config *cfg;
	struct sw_tracker *tracker;
	struct sw_snapshot snap;
	struct sw_unix_snapshot usnap;
	struct sw_events events;
	size_t n_inet, n_unix;
	unsigned moving_permille;
	uint64_t events_total;
};

/* Listener i: alternately IPv4 and IPv6 loopback, one port each; every
 * 64th pair shares a port by SO_REUSEPORT (two members, one SYN group). */
static void track_inet(struct sw_listener *l, size_t i, uint32_t depth)
{
	size_t port_i = i - (i % 128 == 1 ? 1 : 0);

	memset(l, 0, sizeof(*l));
	l->cookie = 0x1000 + 2 * (uint64_t)i;
	l->family = (i / 2) % 2 ? AF_INET6 : AF_INET;
	if (l->family == AF_INET) {
		l->addr[0] = 127;
		l->addr[3] = 1;
	} else {
		l->addr[15] = 1;
	}
	l->port = (uint16_t)(10000 + port_i);
	l->inode = (uint32_t)(50000 + i);
	l->uid = 1000;
	l->cgroup_id = 4242;
	l->accept_depth = depth;
	l->accept_limit = 4096;
	l->drops = (uint32_t)(i % 7);    /* old drops: the baseline */
	l->has_drops = true;
	l->syn_group = -1;
}

static void track_unix(struct sw_unix_listener *l, size_t j, uint32_t depth)
{
	memset(l, 0, sizeof(*l));
	l->cookie = 0x1000 + 2 * (uint64_t)j + 1;
	l->inode = (uint32_t)(200000 + j);
	l->uid = 1000;
	l->type = SOCK_STREAM;
	l->depth = depth;
	l->limit = 4096;
	snprintf(l->path, sizeof(l->path), "/run/bench/%zu.sock", j);
	l->has_name = l->has_rqlen = l->has_uid = true;
}

/* Depth of listener i at poll k: the moving ones step between 0 and 9
 * (far below warn: movement, not alerts). */
static uint32_t track_depth(const struct track_ctx *p, size_t i, int k)
{
	if (i % 1000 >= p->moving_permille)
		return 0;
	return (uint32_t)((k + (int)i) % 10);
}

static int track_build(struct track_ctx *p, int k, bool scan)
{
	struct sw_listener l;
	struct sw_unix_listener ul;
	int r;

	snapshot_reset(&p->snap);
	p->snap.netns = 4026531840ULL;
	p->snap.sysctl = (struct sw_sysctl) { .somaxconn = 4096, .max_syn_backlog = 4096,
					      .syncookies = 1 };
	for (int c = 0; c < _SW_CTR_MAX; c++)
		p->snap.netstat.value[c] = 12345;
	p->snap.netstat.present = (1u << _SW_CTR_MAX) - 1;
	for (size_t i = 0; i < p->n_inet; i++) {
		track_inet(&l, i, track_depth(p, i, k));
		if ((r = snapshot_add_listener(&p->snap, &l)) < 0)
			return r;
	}
	if ((r = snapshot_index(&p->snap)) < 0)
		return r;
	p->snap.syn_scanned = scan;
	usnap_reset(&p->usnap);
	p->usnap.netns = p->snap.netns;
	for (size_t j = 0; j < p->n_unix; j++) {
		track_unix(&ul, j, track_depth(p, j, k));
		if ((r = usnap_add(&p->usnap, &ul)) < 0)
			return r;
	}
	return 0;
}

/* A measured poll: its own function, so that callgrind can count it alone
 * (--toggle-collect=track_measured), warm-ups left out. */
static __attribute__((noipa)) int track_measured(struct track_ctx *p, uint64_t now)
{
	return tracker_update(p->tracker, &p->snap, p->n_unix ? &p->usnap : NULL, p->cfg, now,
			      &p->events);
}

static void track_free(struct track_ctx *p)
{
	tracker_free(p->tracker);
	snapshot_clear(&p->snap);
	usnap_clear(&p->usnap);
	events_free(&p->events);
	config_free(p->cfg);
}

static void track_usage(FILE *f)
{
	fprintf(f, "usage: track [-l L] [-u U] [-n RUNS] [-w WARMUP] [-m PERMILLE] [-s EVERY]\n"
		   "             [-c MIB] [-p PREFIX] [--full-path]\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "full-path", no_argument, NULL, 'F' },
		{ "help",      no_argument, NULL, 'h' },
		{}
	};
	static uint64_t cpu[TRACK_MAX_RUNS], wall[TRACK_MAX_RUNS];
	static struct track_ctx p;
	const char *prefix = "track";
	int runs = 21, warmup = 5, scan_every = 0, chill_mib = 0, c, r;
	uint8_t *junk = NULL;
	long l_arg = 10000, u_arg = 0, m_arg = 0;
	bool full_path = false;
	uint64_t now = 1000 * USEC_PER_SEC, cpu_med;

	while ((c = getopt_long(argc, argv, "l:u:n:w:m:s:c:p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'l': l_arg = atol(optarg); break;
		case 'u': u_arg = atol(optarg); break;
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'm': m_arg = atol(optarg); break;
		case 's': scan_every = atoi(optarg); break;
		case 'c': chill_mib = atoi(optarg); break;
		case 'p': prefix = optarg; break;
		case 'F': full_path = true; break;
		case 'h': track_usage(stdout); return 0;
		default: track_usage(stderr); return 2;
		}
	}
	if (l_arg < 0 || l_arg > TRACK_MAX_LISTENERS || u_arg < 0 || u_arg > TRACK_MAX_LISTENERS ||
	    l_arg + u_arg == 0 || runs < 1 || runs > TRACK_MAX_RUNS || warmup < 1 || warmup > 100 ||
	    m_arg < 0 || m_arg > 1000 || scan_every < 0 || chill_mib < 0 || chill_mib > 4096 ||
	    optind < argc) {
		track_usage(stderr);
		return 2;
	}
	p.n_inet = (size_t)l_arg;
	p.n_unix = (size_t)u_arg;
	p.moving_permille = (unsigned)m_arg;
	if (chill_mib && !(junk = malloc((size_t)chill_mib << 20))) {
		fprintf(stderr, "track: out of memory\n");
		return 1;
	}

	snapshot_init(&p.snap);
	usnap_init(&p.usnap);
	if ((r = config_new_default(&p.cfg)) < 0 || (r = tracker_new(&p.tracker)) < 0) {
		fprintf(stderr, "track: setup: %s\n", strerror(-r));
		track_free(&p);
		return 1;
	}
	p.cfg->watch_unix = p.n_unix > 0;
	tracker_set_fast_path(p.tracker, !full_path);

	for (int i = 0; i < warmup + runs; i++) {
		bool scan = scan_every > 0 && i % scan_every == 0;
		uint64_t c0, w0;

		if ((r = track_build(&p, i, scan)) < 0)
			goto fail;
		now += p.cfg->interval_usec;
		events_clear(&p.events);
		bench_chill(junk, (size_t)chill_mib << 20);
		w0 = util_now_usec();
		c0 = util_cpu_usec();
		if (i < warmup)
			r = tracker_update(p.tracker, &p.snap, p.n_unix ? &p.usnap : NULL, p.cfg, now,
					   &p.events);
		else
			r = track_measured(&p, now);
		if (i >= warmup) {
			cpu[i - warmup] = util_cpu_usec() - c0;
			wall[i - warmup] = util_now_usec() - w0;
			p.events_total += p.events.n;
		}
		if (r < 0)
			goto fail;
	}

	cpu_med = bench_median(cpu, (size_t)runs);
	printf("%s.runs %d\n", prefix, runs);
	printf("%s.path %s\n", prefix, full_path ? "full" : "fast");
	printf("%s.cpu_us %" PRIu64 "\n", prefix, cpu_med);
	printf("%s.wall_us %" PRIu64 "\n", prefix, bench_median(wall, (size_t)runs));
	printf("%s.ns_per_listener %.1f\n", prefix, 1000.0 * (double)cpu_med / (double)(p.n_inet + p.n_unix));
	printf("%s.listeners %zu\n", prefix, p.n_inet + p.n_unix);
	printf("%s.tracked %zu\n", prefix, tracker_count(p.tracker));
	printf("%s.events %" PRIu64 "\n", prefix, p.events_total);
	printf("%s.fast_steps %zu\n", prefix, tracker_fast_steps(p.tracker));
	track_free(&p);
	free(junk);
	return 0;
fail:
	fprintf(stderr, "track: %s\n", strerror(-r));
	track_free(&p);
	free(junk);
	return 1;
}
