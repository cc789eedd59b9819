/* Fuzz target: the monitor's check of the helper's replies
 * (ps_reply_parse), over bytes that claim to answer one of a few fixed
 * requests. The helper is the more privileged side, but a compromised or
 * broken one must not get the monitor to read past a reply or accept an
 * answer to another question.
 *
 * The first input byte picks the request; the rest is the reply. Checks:
 * an accepted reply's payload lies inside the input, is exactly n
 * elements, and answers that request (type, seq; ascending pids above the
 * asked one; no more fds than the budget; namespace entries with their
 * strings terminated and their mounts in their directories; an open
 * answer announcing exactly its fds and carrying no payload). */
#include <errno.h>

#include "fuzz.h"
#include "privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { N_REQS = 8 };
	struct ps_request reqs[N_REQS];
	struct ps_reply_header h;
	const struct ps_request *req;
	const void *pl = NULL;
	const char *why = NULL;
	size_t elem;
	uint8_t *copy;
	int r;

	if (size < 1)
		return 0;
	ps_request_pids(&reqs[0], 1, 0);
	ps_request_pids(&reqs[1], 2, 812);
	ps_request_file(&reqs[2], 3, PS_STAT, 812);
	ps_request_file(&reqs[3], 4, PS_CGROUP, 812);
	ps_request_fds(&reqs[4], 5, 812, 4242, 7, 16);
	ps_request_netns_list(&reqs[5], 6, 0);
	ps_request_netns_list(&reqs[6], 7, PS_NETNS_PAGE);
	ps_request_netns_open(&reqs[7], 8, 4618);
	req = &reqs[data[0] % N_REQS];
	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 1, size - 1);
	r = ps_reply_parse(req, copy, size - 1, &h, &pl, &why);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG && why, "ret %d", r);
		free(copy);
		return 0;
	}
	elem = req->type == PS_CGROUP ? 1 : req->type == PS_STAT ? sizeof(struct ps_stat) :
	       req->type == PS_NETNS_LIST ? sizeof(struct ps_netns) :
	       req->type == PS_NETNS_OPEN ? 0 : 4;
	FUZZ_ASSERT((const uint8_t *)pl == copy + sizeof(h), "payload not after the header");
	FUZZ_ASSERT(sizeof(h) + h.n * elem == size - 1, "n %u disagrees with %zu bytes", h.n,
		    size - 1);
	FUZZ_ASSERT(h.type == req->type && h.seq == req->seq, "answers another request");
	FUZZ_ASSERT(h.err <= 0, "err %d", h.err);
	if (req->type == PS_PIDS)
		for (uint32_t i = 0; i < h.n; i++) {
			int32_t p;

			memcpy(&p, (const uint8_t *)pl + 4 * i, 4);
			FUZZ_ASSERT(p > req->pid, "pid %d not above %d", p, req->pid);
		}
	if (req->type == PS_FDS && h.err == 0)
		FUZZ_ASSERT(h.n <= h.examined && h.examined <= req->budget && h.starttime == 4242,
			    "fds %u/%u/%u", h.n, h.examined, req->budget);
	if (req->type == PS_NETNS_LIST && h.err == 0) {
		FUZZ_ASSERT(h.n <= PS_NETNS_PAGE && h.next == req->pid + (int32_t)h.n &&
			    h.next <= PS_NETNS_MAX, "page %u next %d", h.n, h.next);
		for (uint32_t i = 0; i < h.n; i++) {
			struct ps_netns e;

			memcpy(&e, (const uint8_t *)pl + i * sizeof(e), sizeof(e));
			FUZZ_ASSERT(e.id != 0 && e.reserved == 0 && !(e.flags & ~PS_NETNS_OWN),
				    "entry %u", i);
			FUZZ_ASSERT(memchr(e.run_mount, 0, sizeof(e.run_mount)) &&
				    memchr(e.docker_mount, 0, sizeof(e.docker_mount)), "unterminated");
			FUZZ_ASSERT(!e.run_mount[0] ||
				    ps_netns_mount_dir(e.run_mount, strlen(e.run_mount)) == PS_MOUNT_RUN,
				    "run mount %s", e.run_mount);
			FUZZ_ASSERT(!e.docker_mount[0] ||
				    ps_netns_mount_dir(e.docker_mount, strlen(e.docker_mount)) ==
				    PS_MOUNT_DOCKER, "docker mount %s", e.docker_mount);
			FUZZ_ASSERT(e.oldest_pid >= 0 && e.oldest_pid <= PS_PID_MAX, "pid %d",
				    e.oldest_pid);
		}
	}
	if (req->type == PS_NETNS_OPEN)
		FUZZ_ASSERT(size - 1 == sizeof(h) && h.n == (h.err == 0 ? PS_NETNS_FDS : 0u),
			    "open answer of %zu bytes, n %u", size - 1, h.n);
	free(copy);
	return 0;
}
