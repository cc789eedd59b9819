/* poll: what one sockwatchd poll costs, measured inside the process with
 * the daemon's own modules, in the order src/manager.c runs them:
 *
 *   listener poll  TCP listener dump (diag) + TcpExt counters + sysctls +
 *                  snapshot_index + UNIX listener dump ([daemon] unix = yes,
 *                  the default; not with --no-unix) + tracker_update
 *                  (rules included), as src/poll.c's poll_dump_ns() and
 *                  the tracker step run them for one namespace;
 *   SYN scan       diag_dump_synrecv on that snapshot (the figure the
 *                  daemon itself reports as syn_scan.last_cost_us);
 *   owners         owners_refresh in steady state (every listener's owner,
 *                  TCP and UNIX, known; holders re-checked): the rest of a
 *                  daemon poll.
 *
 *   poll [-n RUNS] [-w WARMUP] [-c MIB] [-p PREFIX] [--no-owners] [--no-syn]
 *        [--no-unix]
 *
 * Warm-up polls come first: the first one tracks every listener (the
 * tracker allocates), the steady state is what a running daemon pays
 * every second. Each figure is timed on its own: CPU of this process
 * (user + system, CLOCK_PROCESS_CPUTIME_ID; the split from getrusage) and
 * wall time. Prints medians as "PREFIX.K.cpu_us", ".user_us", ".sys_us",
 * ".wall_us" for K in poll, syn, owners, and "PREFIX.phase.P.cpu_us" for
 * the listener poll's phases P (dump: the TCP dump; proc: counters and
 * sysctls; index; unix: the UNIX dump; track: tracker and rules), plus
 * what was seen (listeners, unix_listeners, requests, tracked) so the
 * caller can check the population.
 *
 * -c MIB: before every run, write and read MIB MiB of memory (untimed), so
 * that each poll starts with caches as cold as a daemon's does a second
 * after its last poll; floor -c does the same. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "stats.h"
#include "config.h"
#include "diag.h"
#include "netstat.h"
#include "owners.h"
#include "snapshot.h"
#include "sysctl.h"
#include "tracker.h"
#include "usnap.h"
#include "util.h"

#define POLL_MAX_RUNS 1000

enum poll_kind { POLL_LISTEN, POLL_SYN, POLL_OWNERS, _POLL_KIND_MAX };
static const char *const poll_kind_name[] = { "poll", "syn", "owners" };

/* Where a listener poll's CPU goes. */
enum poll_phase { PHASE_DUMP, PHASE_PROC, PHASE_INDEX, PHASE_UNIX, PHASE_TRACK, _PHASE_MAX };
static const char *const poll_phase_name[] = { "dump", "proc", "index", "unix", "track" };

struct poll_sample {
	uint64_t cpu[POLL_MAX_RUNS], user[POLL_MAX_RUNS], sys[POLL_MAX_RUNS], wall[POLL_MAX_RUNS];
};

struct poll_timer {
	uint64_t w0, c0;
	struct rusage ru0;
};

struct poll_ctx {
	uint64_t phase[_PHASE_MAX][POLL_MAX_RUNS];
	struct sw_config *cfg;
	struct sw_diag *diag;
	struct sw_tracker *tracker;
	struct sw_owners *owners;
	struct sw_snapshot snap;
	struct sw_unix_snapshot usnap;
	bool unix_dump;
	struct sw_events events;
	uint32_t *inodes;
	uint64_t *cgroups;
	size_t cap;
};

static void poll_start(struct poll_timer *t)
{
	getrusage(RUSAGE_SELF, &t->ru0);
	t->w0 = util_now_usec();
	t->c0 = util_cpu_usec();
}

static void poll_stop(const struct poll_timer *t, struct poll_sample *s, int k)
{
	struct rusage ru;
	uint64_t c = util_cpu_usec(), w = util_now_usec();

	if (k < 0)
		return;
	getrusage(RUSAGE_SELF, &ru);
	s->cpu[k] = c - t->c0;
	s->wall[k] = w - t->w0;
	s->user[k] = bench_tv_usec(&ru.ru_utime) - bench_tv_usec(&t->ru0.ru_utime);
	s->sys[k] = bench_tv_usec(&ru.ru_stime) - bench_tv_usec(&t->ru0.ru_stime);
}

/* The listener half of manager_poll(); run k < 0 is a warm-up. Each
 * phase's CPU is noted (the clock reads cost well under 1% of a poll). */
static int poll_listeners(struct poll_ctx *p, int k)
{
	uint64_t now = util_now_usec(), c[_PHASE_MAX + 1];
	int r;

	c[0] = util_cpu_usec();
	snapshot_reset(&p->snap);
	p->snap.taken_usec = now;
	r = diag_dump_listeners(p->diag, &p->snap, 0);
	if (r < 0)
		return r;
	c[1] = util_cpu_usec();
	(void)netstat_read("/proc/net/netstat", &p->snap.netstat);
	(void)sysctl_read("/proc", &p->snap.sysctl);
	c[2] = util_cpu_usec();
	r = snapshot_index(&p->snap);
	if (r < 0)
		return r;
	c[3] = util_cpu_usec();
	usnap_reset(&p->usnap);
	if (p->unix_dump) {
		p->usnap.taken_usec = now;
		r = diag_dump_unix(p->diag, &p->usnap, 0);
		if (r < 0)
			return r;
	}
	c[4] = util_cpu_usec();
	r = tracker_update(p->tracker, &p->snap, p->unix_dump ? &p->usnap : NULL, p->cfg, now,
			   &p->events);
	events_clear(&p->events);
	c[5] = util_cpu_usec();
	if (k >= 0)
		for (int i = 0; i < _PHASE_MAX; i++)
			p->phase[i][k] = c[i + 1] - c[i];
	return r;
}

static int poll_owners(struct poll_ctx *p)
{
	size_t nt = p->snap.n_listeners, n = nt + p->usnap.n_listeners;

	if (n > p->cap) {
		uint32_t *in = realloc(p->inodes, n * sizeof(*in));
		uint64_t *cg;

		if (!in)
			return -ENOMEM;
		p->inodes = in;
		cg = realloc(p->cgroups, n * sizeof(*cg));
		if (!cg)
			return -ENOMEM;
		p->cgroups = cg;
		p->cap = n;
	}
	for (size_t i = 0; i < nt; i++) {
		p->inodes[i] = p->snap.listeners[i].inode;
		p->cgroups[i] = p->snap.listeners[i].cgroup_id;
	}
	/* As src/poll.c: a UNIX listener's owner is found by inode only. */
	for (size_t i = nt; i < n; i++) {
		p->inodes[i] = p->usnap.listeners[i - nt].inode;
		p->cgroups[i] = 0;
	}
	return owners_refresh(p->owners, p->inodes, p->cgroups, n, util_now_usec());
}

/* Until every owner is known: one unbudgeted full scan, then the daemon's
 * own budget back for the measured calls. */
static int poll_owners_warm(struct poll_ctx *p)
{
	struct sw_owners_params saved, all = { .scan_budget = UINT32_MAX };
	struct sw_owners_stats st;
	int r = 0;

	owners_get_params(p->owners, &saved);
	owners_set_params(p->owners, &all);
	for (int i = 0; i < 3; i++) {
		r = poll_owners(p);
		if (r < 0)
			break;
		owners_get_stats(p->owners, &st);
		if (!st.scan_in_progress)
			break;
	}
	owners_set_params(p->owners, &saved);
	return r;
}

static void poll_free(struct poll_ctx *p)
{
	owners_free(p->owners);
	tracker_free(p->tracker);
	diag_close(p->diag);
	snapshot_clear(&p->snap);
	usnap_clear(&p->usnap);
	events_free(&p->events);
	config_free(p->cfg);
	free(p->inodes);
	free(p->cgroups);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "no-owners", no_argument, NULL, 'O' },
		{ "no-syn",    no_argument, NULL, 'S' },
		{ "no-unix",   no_argument, NULL, 'U' },
		{ "help",      no_argument, NULL, 'h' },
		{}
	};
	static struct poll_sample sm[_POLL_KIND_MAX];
	static struct poll_ctx p;
	struct poll_timer t;
	struct sw_owners_stats ost = { 0 };
	const char *prefix = "inproc", *what = NULL;
	bool owners = true, syn = true, unix_dump = true;
	const char *usage = "usage: poll [-n RUNS] [-w WARMUP] [-c MIB] [-p PREFIX] [--no-owners] "
			    "[--no-syn] [--no-unix]\n";
	int runs = 21, warmup = 5, chill_mib = 0, c, r;
	uint8_t *junk = NULL;
	size_t jlen;

	while ((c = getopt_long(argc, argv, "n:w:c:p:h", options, NULL)) >= 0) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'c':
			chill_mib = atoi(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'O':
			owners = false;
			break;
		case 'S':
			syn = false;
			break;
		case 'U':
			unix_dump = false;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (runs < 1 || runs > POLL_MAX_RUNS || warmup < 1 || warmup > 100 || chill_mib < 0 ||
	    chill_mib > 4096 || optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	jlen = (size_t)chill_mib << 20;
	if (jlen && !(junk = malloc(jlen))) {
		fprintf(stderr, "poll: out of memory\n");
		return 1;
	}

	snapshot_init(&p.snap);
	usnap_init(&p.usnap);
	p.unix_dump = unix_dump;
	if ((r = config_new_default(&p.cfg)) < 0 || (r = diag_open(&p.diag)) < 0 ||
	    (r = tracker_new(&p.tracker)) < 0 ||
	    (owners && (r = owners_new("/proc", "/sys/fs/cgroup", &p.owners)) < 0)) {
		fprintf(stderr, "poll: setup: %s\n", strerror(-r));
		poll_free(&p);
		return 1;
	}

	/* One kind after the other, as floor does: a SYN scan walks every
	 * socket of the namespace and leaves the caches cold for whatever
	 * runs next, while a daemon's listener polls mostly follow one
	 * another. */
	for (int i = 0; i < warmup + runs; i++) {
		bench_chill(junk, jlen);
		poll_start(&t);
		r = poll_listeners(&p, i - warmup);
		poll_stop(&t, &sm[POLL_LISTEN], i - warmup);
		if (r < 0) {
			what = "listener poll";
			goto fail;
		}
	}
	for (int i = 0; syn && i < warmup + runs; i++) {
		bench_chill(junk, jlen);
		poll_start(&t);
		r = diag_dump_synrecv(p.diag, &p.snap, 0);
		poll_stop(&t, &sm[POLL_SYN], i - warmup);
		if (r < 0) {
			what = "SYN scan";
			goto fail;
		}
	}
	if (owners) {
		what = "owners";
		r = poll_owners_warm(&p);
		if (r < 0)
			goto fail;
		for (int i = 0; i < warmup + runs; i++) {
			bench_chill(junk, jlen);
			poll_start(&t);
			r = poll_owners(&p);
			poll_stop(&t, &sm[POLL_OWNERS], i - warmup);
			if (r < 0)
				goto fail;
		}
	}

	printf("%s.runs %d\n", prefix, runs);
	for (int k = 0; k < _POLL_KIND_MAX; k++) {
		if ((k == POLL_OWNERS && !owners) || (k == POLL_SYN && !syn))
			continue;
		printf("%s.%s.cpu_us %" PRIu64 "\n", prefix, poll_kind_name[k], bench_median(sm[k].cpu, runs));
		printf("%s.%s.user_us %" PRIu64 "\n", prefix, poll_kind_name[k], bench_median(sm[k].user, runs));
		printf("%s.%s.sys_us %" PRIu64 "\n", prefix, poll_kind_name[k], bench_median(sm[k].sys, runs));
		printf("%s.%s.wall_us %" PRIu64 "\n", prefix, poll_kind_name[k], bench_median(sm[k].wall, runs));
	}
	for (int i = 0; i < _PHASE_MAX; i++)
		printf("%s.phase.%s.cpu_us %" PRIu64 "\n", prefix, poll_phase_name[i],
		       bench_median(p.phase[i], runs));
	printf("%s.listeners %zu\n", prefix, p.snap.n_listeners);
	printf("%s.unix %d\n", prefix, unix_dump);
	printf("%s.unix_listeners %zu\n", prefix, p.usnap.n_listeners);
	printf("%s.tracked %zu\n", prefix, tracker_count(p.tracker));
	printf("%s.syn_requests %" PRIu64 "\n", prefix, p.snap.syn_requests);
	printf("%s.syn_unmatched %" PRIu64 "\n", prefix, p.snap.syn_unmatched);
	printf("%s.dump_retries %" PRIu32 "\n", prefix, p.snap.dump_retries);
	if (owners) {
		owners_get_stats(p.owners, &ost);
		printf("%s.owners.full_scans %" PRIu64 "\n", prefix, ost.full_scans);
		printf("%s.owners.fds_examined %" PRIu64 "\n", prefix, ost.fds_examined);
	}
	poll_free(&p);
	free(junk);
	return 0;
fail:
	fprintf(stderr, "poll: %s: %s\n", what, strerror(-r));
	poll_free(&p);
	free(junk);
	return 1;
}
