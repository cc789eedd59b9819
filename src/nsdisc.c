/* Network namespace discovery and entry through the helper (see nsdisc.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grow.h"
#include "helper.h"
#include "nsdisc.h"
#include "privsep.h"
#include "util.h"

#ifndef NS_GET_ID
/* linux/nsfs.h of Linux 6.11 and later: _IOR(NSIO, 0xd, __u64). */
#define NS_GET_ID _IOR(0xb7, 0xd, uint64_t)
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71           /* Linux 5.14 */
#endif

_Static_assert(NSDISC_MAX == PS_NETNS_MAX, "one bound on a listing");
_Static_assert(NSDISC_MOUNT_MAX == PS_NETNS_MOUNT_MAX, "one mount size");
_Static_assert(NSDISC_N_FDS == PS_NETNS_FDS, "one fd count");
_Static_assert(sizeof(struct nsdisc_fds) == NSDISC_N_FDS * sizeof(int), "nsdisc_fds is the fds");

/* A helper error that means one of the two is broken. */
static int answer_err(struct sw_helper *h, const struct ps_reply_header *rh)
{
	if (rh->err == -EBADMSG) {
		helper_mark_broken(h, "refused a request");
		return -EBADMSG;
	}
	return rh->err;
}

static int garbage(struct sw_helper *h, const char *why)
{
	helper_mark_broken(h, why);
	return -EBADMSG;
}

static int cmp_entry_id(const void *a, const void *b)
{
	const struct nsdisc_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The listing as a whole: each id once, one own namespace at most. */
static int check_listing(struct sw_helper *h, struct nsdisc_list *l)
{
	_cleanup_free_ struct nsdisc_entry *v = NULL;
	size_t own = 0;

	if (l->n < 2)
		return 0;
	v = malloc(l->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, l->v, l->n * sizeof(*v));
	qsort(v, l->n, sizeof(*v), cmp_entry_id);
	for (size_t i = 0; i < l->n; i++) {
		own += v[i].own;
		if (i > 0 && v[i].id == v[i - 1].id)
			return garbage(h, "answered garbage: a namespace listed twice");
	}
	return own > 1 ? garbage(h, "answered garbage: two own namespaces") : 0;
}

static int list_pages(struct sw_helper *h, struct nsdisc_list *l)
{
	int32_t after = 0;

	for (;;) {
		struct ps_request req;
		struct ps_reply_header rh;
		const void *pl;
		int r;

		ps_request_netns_list(&req, helper_next_seq(h), after);
		r = helper_call(h, &req, &rh, &pl);
		if (r < 0)
			return r;
		if (rh.err != 0)
			return answer_err(h, &rh);
		if (l->n + rh.n > l->cap) {
			struct nsdisc_entry *nv = grow_array(l->v, &l->cap, l->n + rh.n, sizeof(*nv),
							     PS_NETNS_PAGE);

			if (!nv)
				return -ENOMEM;
			l->v = nv;
		}
		for (uint32_t i = 0; i < rh.n; i++) {
			struct nsdisc_entry *e = &l->v[l->n++];
			struct ps_netns w;

			memcpy(&w, (const unsigned char *)pl + i * sizeof(w), sizeof(w));
			*e = (struct nsdisc_entry){
				.id = w.id, .inode = w.inode, .oldest_pid = w.oldest_pid,
				.members = w.members, .own = (w.flags & PS_NETNS_OWN) != 0,
			};
			/* Terminated and padded: ps_reply_parse checked it. */
			memcpy(e->run_mount, w.run_mount, sizeof(e->run_mount));
			memcpy(e->docker_mount, w.docker_mount, sizeof(e->docker_mount));
		}
		l->truncated = l->truncated || (rh.flags & PS_TRUNCATED);
		/* The parser bounds after + n by PS_NETNS_MAX and refuses more
		 * promised after none: this ends. */
		if (!(rh.flags & PS_MORE))
			return check_listing(h, l);
		after = rh.next;
	}
}

int nsdisc_list(struct sw_helper *h, struct nsdisc_list *l)
{
	int r;

	l->n = 0;
	l->truncated = false;
	r = list_pages(h, l);
	if (r < 0) {
		l->n = 0;
		l->truncated = false;
	}
	return r;
}

void nsdisc_list_free(struct nsdisc_list *l)
{
	if (!l)
		return;
	free(l->v);
	*l = (struct nsdisc_list){ 0 };
}

int nsdisc_open(struct sw_helper *h, uint64_t id, struct nsdisc_fds *ret)
{
	struct nsdisc_fds f = NSDISC_FDS_CLOSED;
	struct ps_request req;
	struct ps_reply_header rh;
	int fds[PS_NETNS_FDS], r;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	ps_request_netns_open(&req, helper_next_seq(h), id);
	r = helper_call_fds(h, &req, &rh, fds);
	if (r < 0)
		return r;
	if (rh.err != 0)
		return answer_err(h, &rh);
	f = (struct nsdisc_fds){ fds[0], fds[1], fds[2], fds[3], fds[4] };
	/* The socket says which namespace it was made in: the one asked for,
	 * or the helper is not doing what it says. Before Linux 5.14 there is
	 * no cookie to ask (and no NS_GET_ID to list by either). */
	if (getsockopt(f.diag, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0) {
		if (errno != ENOPROTOOPT) {
			nsdisc_fds_close(&f);
			return garbage(h, "answered garbage: its diag fd is no socket");
		}
	} else if (len != sizeof(cookie) || cookie != id) {
		nsdisc_fds_close(&f);
		return garbage(h, "opened another network namespace than asked");
	}
	*ret = f;
	return 0;
}

void nsdisc_fds_close(struct nsdisc_fds *f)
{
	if (!f)
		return;
	int *v[] = { &f->diag, &f->somaxconn, &f->max_syn_backlog, &f->syncookies, &f->netstat };

	_Static_assert(SW_ARRAY_SIZE(v) == NSDISC_N_FDS, "every fd closed");
	for (size_t i = 0; i < SW_ARRAY_SIZE(v); i++)
		if (*v[i] >= 0) {
			close(*v[i]);
			*v[i] = -1;
		}
}

int nsdisc_own_id(uint64_t *ret)
{
	uint64_t id = 0;
	socklen_t len = sizeof(id);
	int fd, r;

	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		r = ioctl(fd, NS_GET_ID, &id);
		close(fd);
		if (r == 0 && id != 0) {
			*ret = id;
			return 0;
		}
	}
	/* Before 6.11, or /proc not there: any socket says its namespace. */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &id, &len) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (id == 0)
		return -EIO;
	*ret = id;
	return 0;
}
