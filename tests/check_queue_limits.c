/* limits: every syncookies mode, every binding case (somaxconn unchanged,
 * raised and lowered after listen(), unknown), listen(0), the old-kernel
 * flag, percentages and names. Cases follow KERNEL-NOTES.md "The limits,
 * exactly"; the ones marked "seen" were measured on this machine. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "checkrun.h"
#include "queue_limits.h"
#include "macro.h"

#define BL  SW_SRC_LISTEN_BACKLOG
#define SMC SW_SRC_SOMAXCONN
#define MSB SW_SRC_MAX_SYN_BACKLOG
#define UNK SW_SRC_UNKNOWN
#define ON  SW_SYN_COOKIES_ON_OVERFLOW
#define OFF SW_SYN_DROP_ON_OVERFLOW
#define ALW SW_SYN_COOKIES_ALWAYS

struct limits_case {
	const char *name;
	uint32_t wqueue;
	struct sw_sysctl sc;          /* somaxconn, max_syn_backlog, syncookies */
	int32_t at_listen;
	struct sw_limits want;        /* accept_limit, accept_source, syn_limit, syn_source, syn_mode, stale */
};

static const struct limits_case cases[] = {
	/* syncookies = 1 (default): the SYN queue shares M, B plays no part. */
	{ "listen(128) under default somaxconn", 128, { 4096, 2048, 1 }, -1,
	  { 128, BL, 128, BL, ON, false } },
	{ "listen(4096) == somaxconn", 4096, { 4096, 2048, 1 }, -1,
	  { 4096, SMC, 4096, SMC, ON, false } },
	{ "listen(65535) capped by somaxconn 4096", 4096, { 4096, 64, 1 }, -1,
	  { 4096, SMC, 4096, SMC, ON, false } },
	{ "cookies on, tiny B ignored", 4096, { 4096, 16, 1 }, 4096,
	  { 4096, SMC, 4096, SMC, ON, false } },

	/* syncookies = 0: min(M, B - B/4). */
	{ "seen: B=64, listen(4096) holds 49", 4096, { 4096, 64, 0 }, -1,
	  { 4096, SMC, 48, MSB, OFF, false } },
	{ "seen: B=64, listen(20) holds 21", 20, { 4096, 64, 0 }, -1,
	  { 20, BL, 20, BL, OFF, false } },
	{ "B - B/4 == M: M binds", 48, { 4096, 64, 0 }, -1,
	  { 48, BL, 48, BL, OFF, false } },
	{ "B - B/4 == M - 1: B binds", 49, { 4096, 64, 0 }, -1,
	  { 49, BL, 48, MSB, OFF, false } },
	{ "default B=2048 under somaxconn 4096", 4096, { 4096, 2048, 0 }, -1,
	  { 4096, SMC, 1536, MSB, OFF, false } },
	{ "B=128: 96", 128, { 128, 128, 0 }, -1,
	  { 128, SMC, 96, MSB, OFF, false } },
	{ "B odd: 65 - 16 = 49", 100, { 4096, 65, 0 }, -1,
	  { 100, BL, 49, MSB, OFF, false } },
	{ "B=1: 1", 10, { 4096, 1, 0 }, -1,
	  { 10, BL, 1, MSB, OFF, false } },
	{ "B=0: 0", 10, { 4096, 0, 0 }, -1,
	  { 10, BL, 0, MSB, OFF, false } },
	{ "B unknown: M, source undecidable", 4096, { 4096, -1, 0 }, -1,
	  { 4096, SMC, 4096, UNK, OFF, false } },

	/* syncookies = 2: the queue stays empty; the limit is M. */
	{ "cookies always", 511, { 4096, 64, 2 }, -1,
	  { 511, BL, 511, BL, ALW, false } },
	{ "cookies always, somaxconn-bound", 4096, { 4096, 64, 2 }, -1,
	  { 4096, SMC, 4096, SMC, ALW, false } },

	/* Unknown or impossible syncookies: the default, 1. */
	{ "syncookies unknown", 511, { 4096, 64, -1 }, -1,
	  { 511, BL, 511, BL, ON, false } },
	{ "syncookies out of range", 511, { 4096, 64, 7 }, -1,
	  { 511, BL, 511, BL, ON, false } },

	/* somaxconn raised after listen(): the listener keeps its M until it
	 * listens again. */
	{ "raised: somaxconn-bound at listen", 128, { 4096, 2048, 1 }, 128,
	  { 128, SMC, 128, SMC, ON, true } },
	{ "raised: backlog-bound at listen", 100, { 4096, 2048, 1 }, 128,
	  { 100, BL, 100, BL, ON, true } },
	{ "raised, listen-time unknown: looks backlog-bound", 128, { 4096, 2048, 1 }, -1,
	  { 128, BL, 128, BL, ON, false } },
	{ "raised, cookies off: B still caps", 128, { 4096, 64, 0 }, 128,
	  { 128, SMC, 48, MSB, OFF, true } },

	/* somaxconn lowered after listen(): M stays above the live value. */
	{ "lowered: somaxconn-bound at listen", 4096, { 128, 2048, 1 }, 4096,
	  { 4096, SMC, 4096, SMC, ON, true } },
	{ "lowered: backlog-bound at listen", 511, { 128, 2048, 1 }, 4096,
	  { 511, BL, 511, BL, ON, true } },
	{ "lowered, listen-time unknown: backlog (undecidable, documented)", 4096,
	  { 128, 2048, 1 }, -1, { 4096, BL, 4096, BL, ON, true } },
	{ "lowered before first seen: M above at_listen", 4096, { 128, 2048, 1 }, 128,
	  { 4096, BL, 4096, BL, ON, true } },
	{ "lowered, then raised to M again (first seen low)", 4096, { 4096, 2048, 1 }, 128,
	  { 4096, SMC, 4096, SMC, ON, true } },
	{ "lowered below M, now equal to at_listen", 200, { 100, 2048, 1 }, 200,
	  { 200, SMC, 200, SMC, ON, true } },

	/* Unchanged. */
	{ "at_listen == live, somaxconn-bound", 4096, { 4096, 2048, 1 }, 4096,
	  { 4096, SMC, 4096, SMC, ON, false } },
	{ "at_listen == live, backlog-bound", 511, { 4096, 2048, 1 }, 4096,
	  { 511, BL, 511, BL, ON, false } },

	/* somaxconn unreadable now. */
	{ "live unknown, at_listen says somaxconn", 4096, { -1, 2048, 1 }, 4096,
	  { 4096, SMC, 4096, SMC, ON, false } },
	{ "live unknown, at_listen says backlog", 100, { -1, 2048, 1 }, 4096,
	  { 100, BL, 100, BL, ON, false } },
	{ "live unknown, M above at_listen", 4096, { -1, 2048, 1 }, 128,
	  { 4096, BL, 4096, BL, ON, false } },
	{ "nothing known about somaxconn", 4096, { -1, 2048, 1 }, -1,
	  { 4096, UNK, 4096, UNK, ON, false } },
	{ "nothing known about somaxconn, B binds", 4096, { -1, 64, 0 }, -1,
	  { 4096, UNK, 48, MSB, OFF, false } },
	{ "at_listen below -1 is unknown", 4096, { -1, 2048, 1 }, -7,
	  { 4096, UNK, 4096, UNK, ON, false } },

	/* listen(0): M = 0, the queue still holds one. */
	{ "listen(0)", 0, { 4096, 2048, 1 }, -1,
	  { 0, BL, 0, BL, ON, false } },
	{ "listen(0), cookies off", 0, { 4096, 64, 0 }, -1,
	  { 0, BL, 0, BL, OFF, false } },
	{ "somaxconn 0", 0, { 0, 2048, 1 }, -1,
	  { 0, SMC, 0, SMC, ON, false } },

	/* M beyond any int32 somaxconn. */
	{ "huge M", UINT32_MAX, { 4096, 2048, 1 }, 4096,
	  { UINT32_MAX, BL, UINT32_MAX, BL, ON, true } },
};

START_TEST(test_compute_table)
{
	const struct limits_case *t = &cases[_i];
	struct sw_limits l;

	limits_compute(t->wqueue, &t->sc, t->at_listen, &l);
	ck_assert_msg(l.accept_limit == t->want.accept_limit, "%s: accept_limit %u, want %u",
		      t->name, l.accept_limit, t->want.accept_limit);
	ck_assert_msg(l.accept_source == t->want.accept_source, "%s: accept_source %s, want %s",
		      t->name, limits_source_name(l.accept_source),
		      limits_source_name(t->want.accept_source));
	ck_assert_msg(l.syn_limit == t->want.syn_limit, "%s: syn_limit %u, want %u",
		      t->name, l.syn_limit, t->want.syn_limit);
	ck_assert_msg(l.syn_source == t->want.syn_source, "%s: syn_source %s, want %s",
		      t->name, limits_source_name(l.syn_source),
		      limits_source_name(t->want.syn_source));
	ck_assert_msg(l.syn_mode == t->want.syn_mode, "%s: syn_mode %s, want %s", t->name,
		      limits_syn_mode_name(l.syn_mode), limits_syn_mode_name(t->want.syn_mode));
	ck_assert_msg(l.somaxconn_stale == t->want.somaxconn_stale, "%s: stale %d, want %d",
		      t->name, l.somaxconn_stale, t->want.somaxconn_stale);
}
END_TEST

START_TEST(test_compute_null_sysctl)
{
	struct sw_limits l;

	limits_compute(128, NULL, -1, &l);
	ck_assert_uint_eq(l.accept_limit, 128);
	ck_assert_int_eq(l.accept_source, SW_SRC_UNKNOWN);
	ck_assert_uint_eq(l.syn_limit, 128);
	ck_assert_int_eq(l.syn_mode, SW_SYN_COOKIES_ON_OVERFLOW);
	ck_assert(!l.somaxconn_stale);
}
END_TEST

/* Every M and B under the drop-on-overflow rule, against the kernel's own
 * test in tcp_conn_request(): a SYN is dropped when
 * B - qlen < B >> 2 or qlen > M (6.13+), so the queue holds limit + 1. */
START_TEST(test_compute_syn_exhaustive)
{
	struct sw_sysctl sc = { 4096, 0, 0 };
	struct sw_limits l;

	for (int32_t b = 0; b <= 300; b++) {
		sc.max_syn_backlog = b;
		for (uint32_t m = 0; m <= 300; m++) {
			uint32_t held = 0;

			while (!((int64_t)b - held < (b >> 2) || held > m))
				held++;
			limits_compute(m, &sc, -1, &l);
			ck_assert_msg(l.syn_limit + 1 == held, "B=%d M=%u: limit %u, kernel holds %u",
				      b, m, l.syn_limit, held);
			ck_assert_int_eq(l.syn_source,
					 (uint32_t)(b - b / 4) < m ? SW_SRC_MAX_SYN_BACKLOG
								   : SW_SRC_LISTEN_BACKLOG);
		}
	}
}
END_TEST

struct release_case {
	const char *release;
	bool old;
};

static const struct release_case releases[] = {
	{ "6.12.3", true },
	{ "6.12.0-rc1", true },
	{ "6.12", true },
	{ "6.1.0-18-amd64", true },
	{ "5.15.0-91-generic", true },
	{ "4.19.325", true },
	{ "3.10.0-1160.el7.x86_64", true },
	{ "6.13.0", false },
	{ "6.13", false },
	{ "6.13-rc7", false },
	{ "6.18.44-fc-v669", false },
	{ "6.100.1", false },
	{ "7.0.0", false },
	{ "10.2", false },
	{ "6.9.0+", true },
	{ "", false },
	{ "linux", false },
	{ "6", false },
	{ "6.", false },
	{ ".12", false },
	{ "6.x.1", false },
	{ "6.12abc", false },
	{ "v6.12", false },
	{ " 6.12", false },
	{ "99999999999999999999.1", false },
	{ "5.99999999999999999999", false },
};

START_TEST(test_kernel_release)
{
	const struct release_case *t = &releases[_i];

	ck_assert_msg(limits_kernel_full_at_limit(t->release) == t->old, "\"%s\": want %d",
		      t->release, t->old);
}
END_TEST

START_TEST(test_kernel_release_null)
{
	ck_assert(!limits_kernel_full_at_limit(NULL));
}
END_TEST

struct percent_case {
	uint32_t depth, limit;
	double want;
};

static const struct percent_case percents[] = {
	{ 0, 128, 0.0 },
	{ 64, 128, 50.0 },
	{ 128, 128, 100.0 },
	{ 129, 128, 100.78125 },
	{ 17, 16, 106.25 },
	{ 1, 3, 100.0 / 3.0 },
	{ 0, 0, 0.0 },
	{ 1, 0, 100.0 },      /* listen(0) holding its one: full */
	{ 3, 0, 300.0 },
	{ UINT32_MAX, 1, 100.0 * UINT32_MAX },
	{ UINT32_MAX, UINT32_MAX, 100.0 },
};

START_TEST(test_percent)
{
	const struct percent_case *t = &percents[_i];
	double p = limits_percent(t->depth, t->limit);

	ck_assert_msg(fabs(p - t->want) <= 1e-9 * fmax(1.0, t->want), "%u/%u: %g, want %g",
		      t->depth, t->limit, p, t->want);
}
END_TEST

static const struct full_case {
	uint32_t depth, limit;
	bool full_at_limit, want;
} fulls[] = {
	{ 0, 0, false, false },
	{ 1, 0, false, true },       /* listen(0) holding one */
	{ 0, 0, true, true },
	{ 127, 128, false, false },
	{ 128, 128, false, false },  /* accept queues; SYN queues from 6.13 */
	{ 129, 128, false, true },
	{ 127, 128, true, false },
	{ 128, 128, true, true },    /* SYN queues before 6.13 */
	{ 129, 128, true, true },
	{ UINT32_MAX, UINT32_MAX, false, false },
	{ UINT32_MAX, UINT32_MAX, true, true },
};

START_TEST(test_queue_full)
{
	const struct full_case *t = &fulls[_i];

	ck_assert_msg(limits_queue_full(t->depth, t->limit, t->full_at_limit) == t->want,
		      "%u/%u full_at_limit=%d: want %d", t->depth, t->limit, t->full_at_limit,
		      t->want);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(limits_source_name(SW_SRC_LISTEN_BACKLOG), "listen-backlog");
	ck_assert_str_eq(limits_source_name(SW_SRC_SOMAXCONN), "net.core.somaxconn");
	ck_assert_str_eq(limits_source_name(SW_SRC_MAX_SYN_BACKLOG), "net.ipv4.tcp_max_syn_backlog");
	ck_assert_str_eq(limits_source_name(SW_SRC_UNKNOWN), "unknown");
	ck_assert_str_eq(limits_source_name((enum sw_limit_source)99), "unknown");
	ck_assert_str_eq(limits_syn_mode_name(SW_SYN_COOKIES_ON_OVERFLOW), "cookies-on-overflow");
	ck_assert_str_eq(limits_syn_mode_name(SW_SYN_DROP_ON_OVERFLOW), "drop-on-overflow");
	ck_assert_str_eq(limits_syn_mode_name(SW_SYN_COOKIES_ALWAYS), "cookies-always");
	ck_assert_str_eq(limits_syn_mode_name((enum sw_syn_mode)99), "unknown");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_compute_table, 0, (int)SW_ARRAY_SIZE(cases));
	tcase_add_test(tc, test_compute_null_sysctl);
	tcase_add_test(tc, test_compute_syn_exhaustive);
	tcase_add_loop_test(tc, test_kernel_release, 0, (int)SW_ARRAY_SIZE(releases));
	tcase_add_test(tc, test_kernel_release_null);
	tcase_add_loop_test(tc, test_percent, 0, (int)SW_ARRAY_SIZE(percents));
	tcase_add_loop_test(tc, test_queue_full, 0, (int)SW_ARRAY_SIZE(fulls));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
