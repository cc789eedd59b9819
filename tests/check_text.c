/* text: the one percentage formatter, control-character cleaner and
 * decimal parser, table-driven. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "text.h"

static const struct {
	double pct;
	const char *text;
} percents[] = {
	{ 100.0 * 3891 / 4096, "94.9" },     /* 94.995...: below critical = 95 */
	{ 95.0, "95" },
	{ 100.0 * 17 / 16, "106.2" },
	{ 100.0 * 4096 / 4096, "100" },
	{ 43.8, "43.8" },                    /* an exact tenth keeps its tenth */
	{ 100.0 * 7 / 16, "43.7" },          /* 43.75 */
	{ 0.04, "0" },
	{ 0, "0" },
	{ -3, "0" },
	{ NAN, "0" },
	{ INFINITY, "0" },
	{ 1e300, "1000000000000000" },
	{ 12345.67, "12345.6" },
};

START_TEST(test_percent)
{
	char buf[TEXT_PERCENT_MAX];

	for (size_t i = 0; i < sizeof(percents) / sizeof(percents[0]); i++)
		ck_assert_str_eq(text_percent(percents[i].pct, buf, sizeof(buf)), percents[i].text);
}
END_TEST

START_TEST(test_percent_value)
{
	double v = text_percent_value(100.0 * 3891 / 4096);

	ck_assert(v < 95.0);
	ck_assert(v >= 94.995 - 1e-9);
	ck_assert(text_percent_value(95.0) == 95.0);
	ck_assert(text_percent_value(-1) == 0);
	ck_assert(text_percent_value(NAN) == 0);
	/* Every depth/limit pair just below 95% reads below 95 as text and as
	 * a number (limits up to 5000, depths from 94%). */
	for (unsigned lim = 1; lim <= 5000; lim++)
		for (unsigned d = lim * 94 / 100; d <= lim * 95 / 100 + 1; d++) {
			double p = 100.0 * d / lim;
			char buf[TEXT_PERCENT_MAX];

			if (p < 95.0) {
				ck_assert_msg(text_percent_value(p) < 95.0, "%u/%u", d, lim);
				ck_assert_msg(strtod(text_percent(p, buf, sizeof(buf)), NULL) < 95.0,
					      "%u/%u", d, lim);
			}
		}
}
END_TEST

static const struct {
	const char *in;
	size_t n;                /* 0: strlen */
	unsigned flags;
	size_t len;
	const char *out;
} cleans[] = {
	{ "nginx", 0, 0, 64, "nginx" },
	{ "a\033[31mred", 0, 0, 64, "a?[31mred" },
	{ "del\177", 0, 0, 64, "del?" },
	{ "c1\xc2\x9bx", 0, 0, 64, "c1?x" },         /* C1 CSI as UTF-8: one '?' */
	{ "\xc2\xa0nbsp", 0, 0, 64, "\xc2\xa0nbsp" }, /* printable UTF-8 stays */
	{ "l1\nl2\n", 0, 0, 64, "l1?l2?" },
	{ "l1\nl2\n", 0, TEXT_CLEAN_NEWLINES, 64, "l1; l2" },
	{ "tab\there", 0, TEXT_CLEAN_NEWLINES, 64, "tab?here" },
	{ "abcdef", 3, 0, 64, "abc" },                /* n bounds the source */
	{ "abcdef", 0, 0, 4, "abc" },                 /* len bounds the result */
	{ "ab\ncd", 0, TEXT_CLEAN_NEWLINES, 4, "ab" },/* "; " does not fit: cut before it */
	{ "x\xc2", 0, 0, 64, "x\xc2" },               /* a lone lead byte is no control */
};

START_TEST(test_clean)
{
	for (size_t i = 0; i < sizeof(cleans) / sizeof(cleans[0]); i++) {
		char buf[64];
		size_t n = cleans[i].n ? cleans[i].n : strlen(cleans[i].in);
		size_t w = text_clean(buf, cleans[i].len, cleans[i].in, n, cleans[i].flags);

		ck_assert_msg(strcmp(buf, cleans[i].out) == 0, "row %zu: \"%s\"", i, buf);
		ck_assert_uint_eq(w, strlen(buf));
		ck_assert(!text_has_control(buf));
	}
	ck_assert(text_has_control("a\x1b"));
	ck_assert(text_has_control("\xc2\x85"));
	ck_assert(!text_has_control("plain"));
}
END_TEST

/* The whole string, whatever its length: the rows without a bound, and
 * one longer than any fixed buffer. */
START_TEST(test_clean_dup)
{
	char big[5000];

	for (size_t i = 0; i < sizeof(cleans) / sizeof(cleans[0]); i++) {
		char *d;

		if (cleans[i].n || cleans[i].flags || cleans[i].len != 64)
			continue;
		d = text_clean_dup(cleans[i].in);
		ck_assert_ptr_nonnull(d);
		ck_assert_msg(strcmp(d, cleans[i].out) == 0, "row %zu: \"%s\"", i, d);
		free(d);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	big[0] = '\033';
	big[sizeof(big) - 2] = '\177';
	{
		char *d = text_clean_dup(big);

		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(strlen(d), sizeof(big) - 1);
		ck_assert(d[0] == '?' && d[sizeof(big) - 2] == '?' && !text_has_control(d));
		free(d);
	}
	{
		char *d = text_clean_dup("");

		ck_assert_ptr_nonnull(d);
		ck_assert_str_eq(d, "");
		free(d);
	}
}
END_TEST

static const struct {
	const char *s;
	uint64_t max;
	int r;
	uint64_t v;
} u64s[] = {
	{ "0", 10, 0, 0 },
	{ "4096", UINT32_MAX, 0, 4096 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
	{ "65536", 65535, -ERANGE, 0 },
	{ "65535", 65535, 0, 65535 },
	{ "", 10, -EINVAL, 0 },
	{ "-1", 10, -EINVAL, 0 },
	{ "+1", 10, -EINVAL, 0 },
	{ " 1", 10, -EINVAL, 0 },
	{ "1 ", 10, -EINVAL, 0 },
	{ "0x10", 100, -EINVAL, 0 },
	{ "007", 10, 0, 7 },
};

START_TEST(test_parse_u64)
{
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		uint64_t v = 12345;
		int r = text_parse_u64(u64s[i].s, strlen(u64s[i].s), u64s[i].max, &v);

		ck_assert_msg(r == u64s[i].r, "row %zu: r=%d", i, r);
		ck_assert_uint_eq(v, r == 0 ? u64s[i].v : 12345);   /* untouched on error */
	}
	/* n, not the NUL, ends the number. */
	uint64_t v;
	ck_assert_int_eq(text_parse_u64("123abc", 3, 1000, &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(text_parse_u64(NULL, 0, 1, &v), -EINVAL);
}
END_TEST

static const struct {
	const char *s;
	int64_t min, max;
	int r;
	int64_t v;
} i64s[] = {
	{ "-1", -1, 2, 0, -1 },
	{ "2", -1, 2, 0, 2 },
	{ "3", -1, 2, -ERANGE, 0 },
	{ "-2", -1, 2, -ERANGE, 0 },
	{ "-1", 0, 2, -EINVAL, 0 },
	{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
	{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
	{ "9223372036854775808", INT64_MIN, INT64_MAX, -ERANGE, 0 },
	{ "-0", -5, 5, 0, 0 },
	{ "-", -5, 5, -EINVAL, 0 },
	{ "--1", -5, 5, -EINVAL, 0 },
};

START_TEST(test_parse_i64)
{
	for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++) {
		int64_t v = 777;
		int r = text_parse_i64(i64s[i].s, i64s[i].min, i64s[i].max, &v);

		ck_assert_msg(r == i64s[i].r, "row %zu: r=%d", i, r);
		ck_assert_int_eq(v, r == 0 ? i64s[i].v : 777);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_percent);
	tcase_add_test(tc, test_percent_value);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_clean_dup);
	tcase_add_test(tc, test_parse_u64);
	tcase_add_test(tc, test_parse_i64);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
