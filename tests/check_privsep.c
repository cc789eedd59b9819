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
};

static void valid_request(struct ps_request *r, enum ps_type type)
{
	switch (type) {
	case PS_PIDS: ps_request_pids(r, 7, 0); break;
	case PS_FDS:  ps_request_fds(r, 7, 812, 123456, -1, 100); break;
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

int main(void)
{
	Suite *s = suite_create("privsep");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, test_request_fields);
	tcase_add_test(tc, test_request_lengths);
	tcase_add_test(tc, test_reply_pids);
	tcase_add_test(tc, test_reply_fds_and_files);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
