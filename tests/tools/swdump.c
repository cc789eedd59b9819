/* swdump: one poll of the real collector modules (diag, snapshot, sysctl,
 * netstat, limits) in the caller's network namespace, printed as plain
 * "KEY=value" lines that the integration tests grep and compare with ss and
 * nstat run in the same namespace:
 *
 *   L ...   one per listener (accept queue, drops, SYN queue of its group)
 *   G ...   one per SYN group (family, address, port)
 *   S ...   one per remote address tallied in a group's SYN queue
 *   N ...   TcpExt counters; C ... sysctls; X ... scan statistics
 *
 * Usage: swdump [--no-syn] [--per-family]; --per-family makes the SYN scan
 * dump each family in turn, as on a kernel that refuses the one walk
 * (diag_refuse_walk()). Exits 1 with a message on any error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "diag.h"
#include "queue_limits.h"
#include "netstat.h"
#include "snapshot.h"
#include "sysctl.h"
#include "macro.h"

static const char *swdump_family(int family)
{
	return family == AF_INET6 ? "inet6" : family == AF_INET ? "inet" : "?";
}

static const struct sw_syn_group *swdump_group(const struct sw_snapshot *s,
					       const struct sw_listener *l)
{
	if (l->syn_group < 0 || (size_t)l->syn_group >= s->n_groups)
		return NULL;
	return &s->groups[l->syn_group];
}

static void swdump_listener(const struct sw_snapshot *s, const struct sw_listener *l)
{
	const struct sw_syn_group *g = swdump_group(s, l);
	char addr[ADDR_STRLEN];
	char depth[24] = "-", drops[24] = "-";
	struct sw_limits lim;

	limits_compute(l->accept_limit, &s->sysctl, -1, &lim);
	/* "-" rather than 0 where nothing was measured, so a test cannot
	 * mistake a missing value for an empty queue. */
	if (g && s->syn_scanned)
		snprintf(depth, sizeof(depth), "%" PRIu32, g->depth);
	if (l->has_drops)
		snprintf(drops, sizeof(drops), "%" PRIu32, l->drops);
	printf("L family=%s addr=%s port=%u v6only=%d cookie=%" PRIu64 " inode=%" PRIu32
	       " uid=%" PRIu32 " ifindex=%" PRIu32 " cgroup=%" PRIu64
	       " accept_depth=%" PRIu32 " accept_limit=%" PRIu32 " accept_source=%s"
	       " drops=%s syn_depth=%s syn_limit=%" PRIu32 " syn_source=%s syn_mode=%s"
	       " group_members=%" PRIu32 "\n",
	       swdump_family(l->family), addr_str(l->family, l->addr, addr, sizeof(addr)),
	       l->port, l->v6only ? 1 : 0, l->cookie, l->inode, l->uid, l->ifindex,
	       l->cgroup_id, l->accept_depth, l->accept_limit,
	       limits_source_name(lim.accept_source), drops, depth, lim.syn_limit,
	       limits_source_name(lim.syn_source), limits_syn_mode_name(lim.syn_mode),
	       g ? g->n_members : 0);
}

static void swdump_group_lines(const struct sw_snapshot *s, const struct sw_syn_group *g)
{
	char ep[ADDR_STRLEN], src[ADDR_STRLEN];
	uint32_t i;

	addr_endpoint_str(g->family, g->addr, g->port, ep, sizeof(ep));
	printf("G group=%s family=%s members=%" PRIu32, ep, swdump_family(g->family),
	       g->n_members);
	if (s->syn_scanned)
		printf(" depth=%" PRIu32 " sources=%" PRIu32 " other_sources=%" PRIu32 "\n",
		       g->depth, g->n_sources, g->other_sources);
	else
		printf(" depth=- sources=- other_sources=-\n");
	if (!s->syn_scanned)
		return;
	for (i = 0; i < g->n_sources; i++) {
		const struct sw_syn_source *so = &g->sources[i];

		printf("S group=%s source=%s count=%" PRIu32 "\n", ep,
		       addr_str(so->family, so->addr, src, sizeof(src)), so->count);
	}
	if (g->other_sources)
		printf("S group=%s source=other count=%" PRIu32 "\n", ep, g->other_sources);
}

static void swdump_counters(const struct sw_snapshot *s)
{
	int c;

	printf("N");
	for (c = 0; c < _SW_CTR_MAX; c++)
		if (netstat_has(&s->netstat, (enum sw_counter)c))
			printf(" %s=%" PRIu64, netstat_counter_name((enum sw_counter)c),
			       s->netstat.value[c]);
	printf("\n");
	printf("C somaxconn=%" PRId32 " tcp_max_syn_backlog=%" PRId32 " tcp_syncookies=%" PRId32 "\n",
	       s->sysctl.somaxconn, s->sysctl.max_syn_backlog, s->sysctl.syncookies);
}

static int swdump_run(bool syn_scan, bool per_family)
{
	struct sw_diag *d = NULL;
	struct sw_snapshot s;
	const char *what;
	size_t i;
	int r;

	snapshot_init(&s);
	what = "opening the sock_diag socket";
	r = diag_open(&d);
	if (r < 0)
		goto out;
	if (per_family)
		diag_refuse_walk(d);
	what = "dumping listeners";
	r = diag_dump_listeners(d, &s, 0);
	if (r < 0)
		goto out;
	what = "indexing the snapshot";
	r = snapshot_index(&s);
	if (r < 0)
		goto out;
	if (syn_scan) {
		what = "dumping SYN_RECV request sockets";
		r = diag_dump_synrecv(d, &s, 0);
		if (r < 0)
			goto out;
		if (!s.syn_scanned) {
			r = -EPROTO;
			what = "SYN scan returned without setting syn_scanned";
			goto out;
		}
	}

	/* Counters right after the dumps, so that drops seen per listener and
	 * namespace-wide are as close in time as one poll can make them. */
	what = "reading sysctls below /proc";
	r = sysctl_read("/proc", &s.sysctl);
	if (r < 0)
		goto out;
	what = "reading /proc/net/netstat";
	r = netstat_read("/proc/net/netstat", &s.netstat);
	if (r < 0)
		goto out;

	for (i = 0; i < s.n_listeners; i++)
		swdump_listener(&s, &s.listeners[i]);
	for (i = 0; i < s.n_groups; i++)
		swdump_group_lines(&s, &s.groups[i]);
	swdump_counters(&s);
	printf("X listeners=%zu groups=%zu requests=%" PRIu64 " unmatched=%" PRIu64
	       " skipped_msgs=%" PRIu64 " skipped_attrs=%" PRIu64 " retries=%" PRIu32 "\n",
	       s.n_listeners, s.n_groups, s.syn_requests, s.syn_unmatched,
	       s.skipped_msgs, s.skipped_attrs, s.dump_retries);
	if (fflush(stdout) != 0) {
		r = -EIO;
		what = "writing stdout";
	}
out:
	if (r < 0)
		fprintf(stderr, "swdump: %s: %s\n", what, strerror(-r));
	diag_close(d);
	snapshot_clear(&s);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-syn", no_argument, NULL, 'n' },
		{ "per-family", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool syn_scan = true, per_family = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			syn_scan = false;
			break;
		case 'f':
			per_family = true;
			break;
		case 'h':
			puts("usage: swdump [--no-syn] [--per-family]");
			return 0;
		default:
			fputs("usage: swdump [--no-syn] [--per-family]\n", stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs("usage: swdump [--no-syn] [--per-family]\n", stderr);
		return 2;
	}
	return swdump_run(syn_scan, per_family) < 0 ? 1 : 0;
}
