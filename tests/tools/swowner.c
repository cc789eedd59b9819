/* swowner: the owner of every listener of one network namespace, as the
 * daemon would attribute it (diag dump, then owners_refresh), printed as
 * "KEY=value" lines for the integration tests:
 *
 *   O listener=127.0.0.1:8080 inode=N cgroup=N pid=N comm=S unit=S holders=N
 *   R reason=...            when some /proc entries could not be read
 *   X full_scans=N incr_scans=N pids_scanned=N fds_examined=N cost_us=N
 *     cgroup_first=N scanning=0|1
 *
 * pid=0 comm=- unit=- holders=0 mean unknown. Usage:
 *   swowner [--netns PATH] [--port PORT] [--proc DIR] [--cgroup DIR]
 *           [--budget N] [--rounds N]
 * --netns enters that namespace (e.g. /run/netns/NAME) without touching the
 * mount namespace, unlike `ip netns exec`, which remounts /sys and so hides
 * /sys/fs/cgroup. Like `sockwatchd --once`, it finishes the scan
 * (owners_refresh_complete) within --rounds refreshes (default 1000) of
 * --budget fd entries each (default: the module's); --rounds 1 shows what
 * a daemon's first poll knows. Exits 1 with a message on any error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "diag.h"
#include "owners.h"
#include "snapshot.h"
#include "util.h"

static int swowner_fail(const char *what, int r)
{
	fprintf(stderr, "swowner: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 1;
}

static const char *swowner_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "proc", required_argument, NULL, 'P' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "budget", required_argument, NULL, 'b' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *netns = NULL, *procroot = "/proc", *cgroot = "/sys/fs/cgroup";
	long port = -1, budget = 0, rounds = 1000;
	struct sw_snapshot snap;
	struct sw_diag *d = NULL;
	struct sw_owners *o = NULL;
	struct sw_owners_stats st;
	uint32_t *inodes = NULL;
	uint64_t *cgids = NULL;
	int c, r, rc = 1;

	while ((c = getopt_long(argc, argv, "n:p:P:C:b:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'P':
			procroot = optarg;
			break;
		case 'C':
			cgroot = optarg;
			break;
		case 'b':
			budget = strtol(optarg, NULL, 10);
			if (budget <= 0 || budget > UINT32_MAX)
				return swowner_fail("--budget", -EINVAL);
			break;
		case 'r':
			rounds = strtol(optarg, NULL, 10);
			if (rounds <= 0 || rounds > 1000000)
				return swowner_fail("--rounds", -EINVAL);
			break;
		default:
			fprintf(stderr, "usage: swowner [--netns PATH] [--port PORT] [--proc DIR] [--cgroup DIR]"
				" [--budget N] [--rounds N]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	if (netns) {
		int fd = open(netns, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return swowner_fail(netns, -errno);
		if (setns(fd, CLONE_NEWNET) < 0) {
			r = -errno;
			close(fd);
			return swowner_fail("setns", r);
		}
		close(fd);
	}

	snapshot_init(&snap);
	r = diag_open(&d);
	if (r < 0) {
		swowner_fail("diag_open", r);
		goto out;
	}
	r = diag_dump_listeners(d, &snap, 0);
	if (r < 0) {
		swowner_fail("listener dump", r);
		goto out;
	}
	inodes = calloc(snap.n_listeners + 1, sizeof(*inodes));
	cgids = calloc(snap.n_listeners + 1, sizeof(*cgids));
	if (!inodes || !cgids) {
		swowner_fail("calloc", -ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < snap.n_listeners; i++) {
		inodes[i] = snap.listeners[i].inode;
		cgids[i] = snap.listeners[i].cgroup_id;
	}
	r = owners_new(procroot, cgroot, &o);
	if (r < 0) {
		swowner_fail("owners_new", r);
		goto out;
	}
	if (budget > 0) {
		struct sw_owners_params p = { .scan_budget = (uint32_t)budget };

		owners_set_params(o, &p);
	}
	r = owners_refresh_complete(o, inodes, cgids, snap.n_listeners, util_now_usec(),
				    (unsigned)rounds);
	if (r < 0) {
		swowner_fail("owners_refresh_complete", r);
		goto out;
	}
	for (size_t i = 0; i < snap.n_listeners; i++) {
		const struct sw_listener *l = &snap.listeners[i];
		struct sw_owner w = { 0 };
		char ep[ADDR_STRLEN];

		if (port >= 0 && l->port != port)
			continue;
		if (owners_lookup(o, l->inode, l->cgroup_id, &w) < 0)
			memset(&w, 0, sizeof(w));
		printf("O listener=%s inode=%" PRIu32 " cgroup=%" PRIu64 " pid=%" PRId32
		       " comm=%s unit=%s holders=%" PRIu32 "\n",
		       addr_endpoint_str(l->family, l->addr, l->port, ep, sizeof(ep)), l->inode,
		       l->cgroup_id, w.pid, swowner_or_dash(w.comm), swowner_or_dash(w.unit),
		       w.holders);
	}
	if (owners_unknown_reason(o))
		printf("R reason=%s\n", owners_unknown_reason(o));
	owners_get_stats(o, &st);
	printf("X full_scans=%" PRIu64 " incr_scans=%" PRIu64 " pids_scanned=%" PRIu64
	       " fds_examined=%" PRIu64 " cost_us=%" PRIu64 " cgroup_first=%" PRIu64
	       " scanning=%d\n",
	       st.full_scans, st.incr_scans, st.pids_scanned, st.fds_examined, st.last_cost_usec,
	       st.cgroup_first, owners_scanning(o) ? 1 : 0);
	rc = 0;
out:
	owners_free(o);
	diag_close(d);
	snapshot_clear(&snap);
	free(inodes);
	free(cgids);
	return rc;
}
