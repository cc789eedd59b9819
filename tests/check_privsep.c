/* privsep: the helper's request parser refuses every field out of range,
 * short and long messages, and unused fields set; the monitor's reply
 * parser refuses replies that do not answer the request or do not add up.
 * Table-driven. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "checkrun.h"
#include "privsep.h"

enum field { F_NONE, F_MAGIC, F_TYPE, F_FLAGS, F_PID, F_START, F_AFTER, F_BUDGET };

static const struct {
	const char *name;
	enum ps_type type;           /* the valid request the row starts from */
	enum field field;            /* then sets this field ... */
	int64_t value;               /* ... to this */
	bool ok;
} reqs[] = {
	{ "pids from the start", PS_PIDS, F_NONE, 0, true },
	{ "pids after the last pid", PS_PIDS, F_PID, PS_PID_MAX, true },
	{ "pids after a negative pid", PS_PIDS, F_PID, -1, false },
	{ "pids past PID_MAX", PS_PIDS, F_PID, PS_PID_MAX + 1, false },
	{ "pids with a start time", PS_PIDS, F_START, 5, false },
	{ "pids with a budget", PS_PIDS, F_BUDGET, 1, false },
	{ "pids with after_fd", PS_PIDS, F_AFTER, 3, false },
	{ "stat", PS_STAT, F_NONE, 0, true },
	{ "stat of pid 0", PS_STAT, F_PID, 0, false },
	{ "stat of pid -5", PS_STAT, F_PID, -5, false },
	{ "stat past PID_MAX", PS_STAT, F_PID, PS_PID_MAX + 1, false },
	{ "stat of INT32_MIN", PS_STAT, F_PID, INT32_MIN, false },
	{ "stat with a start time", PS_STAT, F_START, 1, false },
	{ "cgroup", PS_CGROUP, F_NONE, 0, true },
	{ "cgroup with a budget", PS_CGROUP, F_BUDGET, 100, false },
	{ "fds", PS_FDS, F_NONE, 0, true },
	{ "fds resuming", PS_FDS, F_AFTER, 1000, true },
	{ "fds after_fd -2", PS_FDS, F_AFTER, -2, false },
	{ "fds budget 0", PS_FDS, F_BUDGET, 0, false },
	{ "fds budget at the bound", PS_FDS, F_BUDGET, PS_MAX_BUDGET, true },
	{ "fds budget over the bound", PS_FDS, F_BUDGET, PS_MAX_BUDGET + 1, false },
	{ "fds budget UINT32_MAX", PS_FDS, F_BUDGET, UINT32_MAX, false },
	{ "fds of pid 0", PS_FDS, F_PID, 0, false },
	{ "fds any start time", PS_FDS, F_START, INT64_MAX, true },
	{ "bad magic", PS_STAT, F_MAGIC, 0x12345678, false },
	{ "type 0", PS_STAT, F_TYPE, 0, false },
	{ "type past the last", PS_STAT, F_TYPE, _PS_TYPE_MAX, false },
	{ "type 0xffff", PS_STAT, F_TYPE, 0xffff, false },
	{ "flags", PS_STAT, F_FLAGS, 1, false },
	{ "flags high bit", PS_FDS, F_FLAGS, 0x8000, false },
	{ "netns-list from the start", PS_NETNS_LIST, F_NONE, 0, true },
	{ "netns-list after an index", PS_NETNS_LIST, F_PID, 128, true },
	{ "netns-list after the last index", PS_NETNS_LIST, F_PID, PS_NETNS_MAX, true },
	{ "netns-list past the bound", PS_NETNS_LIST, F_PID, PS_NETNS_MAX + 1, false },
	{ "netns-list after -1", PS_NETNS_LIST, F_PID, -1, false },
	{ "netns-list with an id", PS_NETNS_LIST, F_START, 5, false },
	{ "netns-list with a budget", PS_NETNS_LIST, F_BUDGET, 1, false },
	{ "netns-list with after_fd", PS_NETNS_LIST, F_AFTER, -1, false },
	{ "netns-list with flags", PS_NETNS_LIST, F_FLAGS, 1, false },
	{ "netns-open", PS_NETNS_OPEN, F_NONE, 0, true },
	{ "netns-open of the largest id", PS_NETNS_OPEN, F_START, INT64_MAX, true },
	{ "netns-open of id 0", PS_NETNS_OPEN, F_START, 0, false },
	{ "netns-open with a pid", PS_NETNS_OPEN, F_PID, 812, false },
	{ "netns-open with a budget", PS_NETNS_OPEN, F_BUDGET, 5, false },
	{ "netns-open with after_fd", PS_NETNS_OPEN, F_AFTER, 1, false },
	{ "netns-open with flags", PS_NETNS_OPEN, F_FLAGS, 2, false },
	{ "type after netns-open", PS_NETNS_OPEN, F_TYPE, PS_NETNS_OPEN + 1, false },
};

static void valid_request(struct ps_request *r, enum ps_type type)
{
	switch (type) {
	case PS_PIDS: ps_request_pids(r, 7, 0); break;
	case PS_FDS:  ps_request_fds(r, 7, 812, 123456, -1, 100); break;
	case PS_NETNS_LIST: ps_request_netns_list(r, 7, 0); break;
	case PS_NETNS_OPEN: ps_request_netns_open(r, 7, 4618); break;
	default:      ps_request_file(r, 7, type, 812); break;
	}
}

START_TEST(test_request_fields)
{
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct ps_request r, out;
		const char *why = NULL;
		int64_t v = reqs[i].value;

		valid_request(&r, reqs[i].type);
		switch (reqs[i].field) {
		case F_NONE: break;
		case F_MAGIC: r.magic = (uint32_t)v; break;
		case F_TYPE: r.type = (uint16_t)v; break;
		case F_FLAGS: r.flags = (uint16_t)v; break;
		case F_PID: r.pid = (int32_t)v; break;
		case F_START: r.starttime = (uint64_t)v; break;
		case F_AFTER: r.after_fd = (int32_t)v; break;
		case F_BUDGET: r.budget = (uint32_t)v; break;
		}
		int ret = ps_request_parse(&r, sizeof(r), &out, &why);

		ck_assert_msg((ret == 0) == reqs[i].ok, "%s: %d (%s)", reqs[i].name, ret,
			      why ? why : "");
		if (ret == 0)
			ck_assert(memcmp(&out, &r, sizeof(r)) == 0);
		else {
			ck_assert_int_eq(ret, -EBADMSG);
			ck_assert_ptr_nonnull(why);
		}
	}
}
END_TEST

START_TEST(test_request_lengths)
{
	unsigned char buf[2 * sizeof(struct ps_request)];
	struct ps_request r, out;
	const char *why;

	ps_request_fds(&r, 1, 812, 5, -1, 10);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &r, sizeof(r));
	for (size_t len = 0; len <= sizeof(buf); len++) {
		int ret = ps_request_parse(buf, len, &out, &why);

		ck_assert_msg((ret == 0) == (len == sizeof(r)), "len %zu", len);
	}
}
END_TEST

/* A reply built for req: payload of n elements of elem bytes. */
struct built {
	unsigned char buf[PS_REPLY_MAX + 64];
	size_t len;
};

static void build(struct built *b, const struct ps_request *req, const struct ps_reply_header *h,
		  const void *payload, size_t payload_len)
{
	memcpy(b->buf, h, sizeof(*h));
	if (payload_len)
		memcpy(b->buf + sizeof(*h), payload, payload_len);
	b->len = sizeof(*h) + payload_len;
	(void)req;
}

START_TEST(test_reply_pids)
{
	struct ps_request req;
	struct ps_reply_header h, out;
	const void *pl;
	const char *why;
	struct built b;
	int32_t pids[] = { 5, 9, 812 };

	ps_request_pids(&req, 3, 4);
	ps_reply_init(&h, &req);
	h.n = 3;
	h.next = 812;
	build(&b, &req, &h, pids, sizeof(pids));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	ck_assert_uint_eq(out.n, 3);
	ck_assert(memcmp(pl, pids, sizeof(pids)) == 0);

	/* One byte short, one long. */
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len - 1, &out, &pl, &why), -EBADMSG);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len + 1, &out, &pl, &why), -EBADMSG);
	/* Not above the request's pid. */
	ps_request_pids(&req, 3, 5);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	/* Not ascending. */
	ps_request_pids(&req, 3, 0);
	int32_t down[] = { 9, 5, 812 };
	build(&b, &req, &h, down, sizeof(down));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	/* next disagrees. */
	h.next = 9;
	build(&b, &req, &h, pids, sizeof(pids));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	/* Another seq, another type. */
	h.next = 812;
	h.seq = 4;
	build(&b, &req, &h, pids, sizeof(pids));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.seq = 3;
	h.type = PS_FDS;
	build(&b, &req, &h, pids, sizeof(pids));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
}
END_TEST

START_TEST(test_reply_fds_and_files)
{
	struct ps_request req;
	struct ps_reply_header h, out;
	const void *pl;
	const char *why;
	struct built b;
	uint32_t inodes[] = { 1001, 1002 };
	char text[] = "812 (nginx) S 1";

	ps_request_fds(&req, 9, 812, 77, 3, 10);
	ps_reply_init(&h, &req);
	h.n = 2;
	h.examined = 10;
	h.next = 20;
	h.flags = PS_MORE;
	h.starttime = 78;                        /* another process at the pid */
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.starttime = 77;
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	h.examined = 11;                         /* past the budget */
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.examined = 1;                          /* found more than examined */
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.examined = 2;
	h.next = 3;                              /* does not advance */
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.next = 20;
	h.flags = 0x2;                           /* unknown flag */
	build(&b, &req, &h, inodes, sizeof(inodes));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);

	/* A gone pid: an error and nothing else. */
	ps_reply_init(&h, &req);
	h.starttime = 0;
	h.err = -ESRCH;
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	ck_assert_int_eq(out.err, -ESRCH);
	h.n = 1;
	build(&b, &req, &h, inodes, sizeof(inodes[0]));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.n = 0;
	h.err = 5;                               /* positive */
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);

	/* A helper that promises more after examining nothing would be asked
	 * for ever; a successful fds answer names the process it read. */
	ps_request_fds(&req, 11, 812, 0, 3, 10);
	ps_reply_init(&h, &req);
	h.flags = PS_MORE;
	h.starttime = 77;
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.flags = 0;
	h.starttime = 0;
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.starttime = 77;
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	/* Only the errors the helper sends. */
	ps_reply_init(&h, &req);
	for (int e = 1; e < 4200; e++) {
		bool ok = e == ESRCH || e == EACCES || e == EPERM || e == ENOMEM || e == EIO ||
			  e == EBADMSG;

		h.err = -e;
		build(&b, &req, &h, NULL, 0);
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), ok ? 0 : -EBADMSG);
	}
	/* Pids: no more promised after none. */
	ps_request_pids(&req, 12, 5);
	ps_reply_init(&h, &req);
	h.flags = PS_MORE;
	build(&b, &req, &h, NULL, 0);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);

	/* Stat: one fixed struct, its comm terminated, never text. */
	struct ps_stat st = { .ppid = 1, .starttime = 4242, .comm = "nginx" };
	ps_request_file(&req, 13, PS_STAT, 812);
	ps_reply_init(&h, &req);
	h.n = 1;
	build(&b, &req, &h, &st, sizeof(st));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	memset(st.comm, 'x', sizeof(st.comm));          /* unterminated */
	build(&b, &req, &h, &st, sizeof(st));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	st.comm[15] = 0;
	st.reserved = 1;
	build(&b, &req, &h, &st, sizeof(st));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	st.reserved = 0;
	h.n = 5;                                         /* text-sized */
	build(&b, &req, &h, "812 (", 5);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);

	/* Cgroup files: bytes, bounded by PS_FILE_MAX. */
	ps_request_file(&req, 10, PS_CGROUP, 812);
	ps_reply_init(&h, &req);
	h.n = (uint32_t)strlen(text);
	build(&b, &req, &h, text, strlen(text));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
	ck_assert(memcmp(pl, text, strlen(text)) == 0);
	h.examined = 1;
	build(&b, &req, &h, text, strlen(text));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	h.examined = 0;
	h.n = PS_FILE_MAX + 1;
	memset(b.buf, 0, sizeof(b.buf));
	memcpy(b.buf, &h, sizeof(h));
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, sizeof(h) + PS_FILE_MAX + 1, &out, &pl, &why),
			 -EBADMSG);
	ck_assert_int_eq(ps_reply_parse(&req, b.buf, 3, &out, &pl, &why), -EBADMSG);
}
END_TEST

/* A valid namespace entry, then one thing changed. */
enum ns_change {
	NS_NONE, NS_ID0, NS_INODE0, NS_RESERVED, NS_FLAG2, NS_FLAG_HIGH, NS_OWN, NS_OWN_UNHELD,
	NS_PID_NEG, NS_PID_MAX, NS_PID_PAST, NS_MEMBERS_PAST, NS_PID_NO_MEMBERS,
	NS_MEMBERS_NO_PID, NS_MOUNT_ONLY, NS_DOCKER_ONLY, NS_NOTHING, NS_RUN, NS_DOCKER,
	NS_RUN_UNTERMINATED, NS_RUN_TAIL, NS_DOCKER_TAIL,
};

static const struct {
	const char *name;
	enum ns_change change;
	const char *run, *docker;    /* NULL: left as the valid entry has it ("") */
	bool ok;
} ns_rows[] = {
	{ "a plain entry", NS_NONE, NULL, NULL, true },
	{ "id 0", NS_ID0, NULL, NULL, false },
	{ "inode 0", NS_INODE0, NULL, NULL, false },
	{ "reserved set", NS_RESERVED, NULL, NULL, false },
	{ "unknown flag", NS_FLAG2, NULL, NULL, false },
	{ "high flag", NS_FLAG_HIGH, NULL, NULL, false },
	{ "own", NS_OWN, NULL, NULL, true },
	{ "own held only by a mount", NS_OWN_UNHELD, "/run/netns/x", NULL, false },
	{ "negative pid", NS_PID_NEG, NULL, NULL, false },
	{ "pid at PID_MAX", NS_PID_MAX, NULL, NULL, true },
	{ "pid past PID_MAX", NS_PID_PAST, NULL, NULL, false },
	{ "members past PID_MAX", NS_MEMBERS_PAST, NULL, NULL, false },
	{ "oldest pid without members", NS_PID_NO_MEMBERS, NULL, NULL, false },
	{ "members without an oldest", NS_MEMBERS_NO_PID, NULL, NULL, false },
	{ "held only by /run/netns", NS_MOUNT_ONLY, "/run/netns/blue", NULL, true },
	{ "held only by docker", NS_DOCKER_ONLY, NULL, "/run/docker/netns/3f2a9c1b0e4d", true },
	{ "held by nothing", NS_NOTHING, NULL, NULL, false },
	{ "run mount", NS_RUN, "/run/netns/blue", NULL, true },
	{ "run mount with a space", NS_RUN, "/run/netns/a b", NULL, true },
	{ "run mount of 95 bytes", NS_RUN,
	  "/run/netns/012345678901234567890123456789012345678901234567890123456789012345678901234567890123",
	  NULL, true },
	{ "run mount, no name", NS_RUN, "/run/netns/", NULL, false },
	{ "run mount, nested", NS_RUN, "/run/netns/a/b", NULL, false },
	{ "run mount ..", NS_RUN, "/run/netns/..", NULL, false },
	{ "run mount .", NS_RUN, "/run/netns/.", NULL, false },
	{ "run mount ...", NS_RUN, "/run/netns/...", NULL, true },
	{ "run mount, a newline", NS_RUN, "/run/netns/a\nb", NULL, false },
	{ "run mount, DEL", NS_RUN, "/run/netns/a\x7f", NULL, false },
	{ "run mount elsewhere", NS_RUN, "/tmp/netns/blue", NULL, false },
	{ "run mount, a prefix only", NS_RUN, "/run/netnsblue", NULL, false },
	{ "docker's in the run field", NS_RUN, "/run/docker/netns/abc", NULL, false },
	{ "docker mount", NS_DOCKER, NULL, "/var/run/docker/netns/abc", true },
	{ "docker mount under /run", NS_DOCKER, NULL, "/run/docker/netns/default", true },
	{ "run's in the docker field", NS_DOCKER, NULL, "/run/netns/blue", false },
	{ "run mount of 96 bytes", NS_RUN,
	  "/run/netns/0123456789012345678901234567890123456789012345678901234567890123456789012345678901234",
	  NULL, false },
	{ "docker mount, relative", NS_DOCKER, NULL, "run/docker/netns/abc", false },
	{ "run mount unterminated", NS_RUN_UNTERMINATED, NULL, NULL, false },
	{ "bytes after the run mount's NUL", NS_RUN_TAIL, "/run/netns/blue", NULL, false },
	{ "bytes after the docker mount's NUL", NS_DOCKER_TAIL, NULL, "/run/docker/netns/a", false },
};

static void set_str(char *field, const char *v)
{
	memset(field, 0, PS_NETNS_MOUNT_MAX);
	memcpy(field, v, strlen(v));
}

static void ns_entry(struct ps_netns *e, size_t row)
{
	*e = (struct ps_netns){ .id = 4618, .inode = 4026532178u, .oldest_pid = 812, .members = 3 };
	if (ns_rows[row].run)
		set_str(e->run_mount, ns_rows[row].run);
	if (ns_rows[row].docker)
		set_str(e->docker_mount, ns_rows[row].docker);
	switch (ns_rows[row].change) {
	case NS_NONE: case NS_RUN: case NS_DOCKER: break;
	case NS_ID0: e->id = 0; break;
	case NS_INODE0: e->inode = 0; break;
	case NS_RESERVED: e->reserved = 1; break;
	case NS_FLAG2: e->flags = 0x2; break;
	case NS_FLAG_HIGH: e->flags = PS_NETNS_OWN | 0x80000000u; break;
	case NS_OWN: e->flags = PS_NETNS_OWN; break;
	case NS_OWN_UNHELD: e->flags = PS_NETNS_OWN; e->oldest_pid = 0; e->members = 0; break;
	case NS_PID_NEG: e->oldest_pid = -1; break;
	case NS_PID_MAX: e->oldest_pid = PS_PID_MAX; break;
	case NS_PID_PAST: e->oldest_pid = PS_PID_MAX + 1; break;
	case NS_MEMBERS_PAST: e->members = PS_PID_MAX + 1; break;
	case NS_PID_NO_MEMBERS: e->members = 0; break;
	case NS_MEMBERS_NO_PID: e->oldest_pid = 0; break;
	case NS_MOUNT_ONLY: case NS_DOCKER_ONLY: case NS_NOTHING:
		e->oldest_pid = 0;
		e->members = 0;
		break;
	case NS_RUN_UNTERMINATED: memset(e->run_mount, 'a', sizeof(e->run_mount)); break;
	case NS_RUN_TAIL: e->run_mount[PS_NETNS_MOUNT_MAX - 1] = 'x'; break;
	case NS_DOCKER_TAIL: e->docker_mount[strlen(e->docker_mount) + 1] = 'x'; break;
	}
}

/* Each entry row alone, and in the middle of a page of good ones. */
START_TEST(test_reply_netns_entries)
{
	for (size_t row = 0; row < sizeof(ns_rows) / sizeof(ns_rows[0]); row++)
		for (uint32_t n = 1; n <= 3; n += 2) {
			struct ps_netns e[3];
			struct ps_request req;
			struct ps_reply_header h, out;
			const void *pl;
			const char *why = NULL;
			struct built b;
			int r;

			ps_request_netns_list(&req, 21, 0);
			ps_reply_init(&h, &req);
			h.n = n;
			h.next = (int32_t)n;
			for (uint32_t i = 0; i < n; i++) {
				ns_entry(&e[i], 0);
				e[i].id = 100 + i;
			}
			ns_entry(&e[n / 2], row);
			build(&b, &req, &h, e, n * sizeof(e[0]));
			r = ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why);
			ck_assert_msg((r == 0) == ns_rows[row].ok, "%s (%u): %d %s", ns_rows[row].name,
				      n, r, why ? why : "");
			if (r == 0)
				ck_assert(memcmp(pl, e, n * sizeof(e[0])) == 0);
			/* One byte short or long of the page is never one. */
			ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len - 1, &out, &pl, &why), -EBADMSG);
			ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len + 1, &out, &pl, &why), -EBADMSG);
		}
}
END_TEST

/* The page's header: its index, flags and bounds. */
START_TEST(test_reply_netns_pages)
{
	static const struct {
		const char *name;
		int32_t after;
		uint32_t n, flags;
		int32_t next;
		int32_t err;
		bool ok;
	} rows[] = {
		{ "first page, more", 0, 2, PS_MORE, 2, 0, true },
		{ "first page, last", 0, 2, 0, 2, 0, true },
		{ "a later page", 128, 2, 0, 130, 0, true },
		{ "truncated", 0, 2, PS_TRUNCATED, 2, 0, true },
		{ "truncated, more", 0, 2, PS_TRUNCATED | PS_MORE, 2, 0, true },
		{ "an empty listing", 0, 0, 0, 0, 0, true },
		{ "past the end", 300, 0, 0, 300, 0, true },
		{ "more after none", 0, 0, PS_MORE, 0, 0, false },
		{ "unknown flag", 0, 2, 0x4, 2, 0, false },
		{ "next behind", 0, 2, 0, 1, 0, false },
		{ "next ahead", 0, 2, 0, 3, 0, false },
		{ "next of an empty page", 10, 0, 0, 0, 0, false },
		{ "past PS_NETNS_MAX", PS_NETNS_MAX - 1, 2, 0, PS_NETNS_MAX + 1, 0, false },
		{ "up to PS_NETNS_MAX", PS_NETNS_MAX - 2, 2, 0, PS_NETNS_MAX, 0, true },
		{ "an error", 0, 0, 0, 0, -EIO, true },
		{ "an error, truncated", 0, 0, PS_TRUNCATED, 0, -EIO, false },
		{ "an error with entries", 0, 2, 0, 2, -EIO, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ps_netns e[2];
		struct ps_request req;
		struct ps_reply_header h, out;
		const void *pl;
		const char *why = NULL;
		struct built b;
		int r;

		ns_entry(&e[0], 0);
		ns_entry(&e[1], 0);
		e[1].id++;
		ps_request_netns_list(&req, 22, rows[i].after);
		ps_reply_init(&h, &req);
		h.n = rows[i].n;
		h.flags = (uint16_t)rows[i].flags;
		h.next = rows[i].next;
		h.err = rows[i].err;
		build(&b, &req, &h, e, rows[i].n * sizeof(e[0]));
		r = ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why);
		ck_assert_msg((r == 0) == rows[i].ok, "%s: %d %s", rows[i].name, r, why ? why : "");
	}
	/* A page holds PS_NETNS_PAGE entries, no more. */
	{
		static struct ps_netns e[PS_NETNS_PAGE + 1];
		struct ps_request req;
		struct ps_reply_header h, out;
		const void *pl;
		const char *why;
		static struct built b;

		for (size_t i = 0; i <= PS_NETNS_PAGE; i++) {
			ns_entry(&e[i], 0);
			e[i].id = i + 1;
		}
		ps_request_netns_list(&req, 23, 0);
		ps_reply_init(&h, &req);
		h.n = PS_NETNS_PAGE;
		h.next = PS_NETNS_PAGE;
		h.flags = PS_MORE;
		build(&b, &req, &h, e, PS_NETNS_PAGE * sizeof(e[0]));
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), 0);
		h.n = PS_NETNS_PAGE + 1;
		h.next = PS_NETNS_PAGE + 1;
		ck_assert_uint_le(sizeof(h) + (PS_NETNS_PAGE + 1) * sizeof(e[0]), sizeof(b.buf));
		build(&b, &req, &h, e, (PS_NETNS_PAGE + 1) * sizeof(e[0]));
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	}
}
END_TEST

/* An open answer: n announces the fds, and there is no payload. */
START_TEST(test_reply_netns_open)
{
	static const struct {
		const char *name;
		int32_t err;
		uint32_t n, flags;
		int32_t next;
		uint32_t examined;
		uint64_t starttime;
		size_t extra;                /* payload bytes after the header */
		bool ok;
	} rows[] = {
		{ "five fds", 0, PS_NETNS_FDS, 0, 0, 0, 0, 0, true },
		{ "four", 0, PS_NETNS_FDS - 1, 0, 0, 0, 0, 0, false },
		{ "six", 0, PS_NETNS_FDS + 1, 0, 0, 0, 0, 0, false },
		{ "none without an error", 0, 0, 0, 0, 0, 0, 0, false },
		{ "gone", -ESRCH, 0, 0, 0, 0, 0, 0, true },
		{ "not allowed", -EPERM, 0, 0, 0, 0, 0, 0, true },
		{ "a collector failed", -EIO, 0, 0, 0, 0, 0, 0, true },
		{ "an error with fds", -ESRCH, PS_NETNS_FDS, 0, 0, 0, 0, 0, false },
		{ "more", 0, PS_NETNS_FDS, PS_MORE, 0, 0, 0, 0, false },
		{ "truncated", 0, PS_NETNS_FDS, PS_TRUNCATED, 0, 0, 0, 0, false },
		{ "next set", 0, PS_NETNS_FDS, 0, 1, 0, 0, 0, false },
		{ "examined set", 0, PS_NETNS_FDS, 0, 0, 1, 0, 0, false },
		{ "a start time", 0, PS_NETNS_FDS, 0, 0, 0, 7, 0, false },
		{ "one byte long", 0, PS_NETNS_FDS, 0, 0, 0, 0, 1, false },
		{ "an fd number as payload", 0, PS_NETNS_FDS, 0, 0, 0, 0, 20, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned char zeros[32] = { 0 };
		struct ps_request req;
		struct ps_reply_header h, out;
		const void *pl;
		const char *why = NULL;
		struct built b;
		int r;

		ps_request_netns_open(&req, 24, 4618);
		ps_reply_init(&h, &req);
		h.err = rows[i].err;
		h.n = rows[i].n;
		h.flags = (uint16_t)rows[i].flags;
		h.next = rows[i].next;
		h.examined = rows[i].examined;
		h.starttime = rows[i].starttime;
		build(&b, &req, &h, zeros, rows[i].extra);
		r = ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why);
		ck_assert_msg((r == 0) == rows[i].ok, "%s: %d %s", rows[i].name, r, why ? why : "");
		if (r == 0 && h.err == 0)
			ck_assert_uint_eq(out.n, PS_NETNS_FDS);
	}
	/* One byte short of a header. */
	{
		struct ps_request req;
		struct ps_reply_header h, out;
		const void *pl;
		const char *why;
		struct built b;

		ps_request_netns_open(&req, 25, 4618);
		ps_reply_init(&h, &req);
		h.n = PS_NETNS_FDS;
		build(&b, &req, &h, NULL, 0);
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len - 1, &out, &pl, &why), -EBADMSG);
		/* The answer to another open (seq) or to a listing (type). */
		h.seq = 26;
		build(&b, &req, &h, NULL, 0);
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
		h.seq = 25;
		h.type = PS_NETNS_LIST;
		build(&b, &req, &h, NULL, 0);
		ck_assert_int_eq(ps_reply_parse(&req, b.buf, b.len, &out, &pl, &why), -EBADMSG);
	}
}
END_TEST

START_TEST(test_mount_dir)
{
	static const struct {
		const char *path;
		enum ps_mount_dir dir;
	} rows[] = {
		{ "/run/netns/blue", PS_MOUNT_RUN },
		{ "/run/netns/cni-1b2c3d4e-0000-1111-2222-333344445555", PS_MOUNT_RUN },
		{ "/run/netns/", PS_MOUNT_NONE },
		{ "/run/netns", PS_MOUNT_NONE },
		{ "/run/netns/a/b", PS_MOUNT_NONE },
		{ "/run/netns/.", PS_MOUNT_NONE },
		{ "/run/netns/..", PS_MOUNT_NONE },
		{ "/run/netns/.hidden", PS_MOUNT_RUN },
		{ "/run/netns/a\tb", PS_MOUNT_NONE },
		{ "/var/run/netns/blue", PS_MOUNT_NONE },
		{ "/var/run/docker/netns/3f2a9c1b0e4d", PS_MOUNT_DOCKER },
		{ "/run/docker/netns/default", PS_MOUNT_DOCKER },
		{ "/run/docker/netns/", PS_MOUNT_NONE },
		{ "/run/docker/netnsx", PS_MOUNT_NONE },
		{ "", PS_MOUNT_NONE },
		{ "/", PS_MOUNT_NONE },
	};
	char longest[PS_NETNS_MOUNT_MAX + 1];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_msg(ps_netns_mount_dir(rows[i].path, strlen(rows[i].path)) == rows[i].dir,
			      "%s", rows[i].path);
	}
	/* 95 bytes fit (and their NUL); 96 do not. */
	memset(longest, 'a', sizeof(longest));
	memcpy(longest, "/run/netns/", 11);
	ck_assert_int_eq(ps_netns_mount_dir(longest, PS_NETNS_MOUNT_MAX - 1), PS_MOUNT_RUN);
	ck_assert_int_eq(ps_netns_mount_dir(longest, PS_NETNS_MOUNT_MAX), PS_MOUNT_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("privsep");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, test_request_fields);
	tcase_add_test(tc, test_request_lengths);
	tcase_add_test(tc, test_reply_pids);
	tcase_add_test(tc, test_reply_fds_and_files);
	tcase_add_test(tc, test_reply_netns_entries);
	tcase_add_test(tc, test_reply_netns_pages);
	tcase_add_test(tc, test_reply_netns_open);
	tcase_add_test(tc, test_mount_dir);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
