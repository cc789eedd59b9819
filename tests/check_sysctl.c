/* sysctl: strict parsing of one value, and reading the three files from a
 * prepared /proc tree (missing and broken files) and from the live /proc. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkrun.h"
#include "sysctl.h"
#include "util.h"

struct parse_case {
	const char *text;
	int rc;
	int32_t value;
};

static const struct parse_case parse_cases[] = {
	{ "4096\n", 0, 4096 },
	{ "4096", 0, 4096 },
	{ "0\n", 0, 0 },
	{ "1\n", 0, 1 },
	{ "128 \n", 0, 128 },
	{ "128\t\n", 0, 128 },
	{ "128\r\n", 0, 128 },
	{ "128\n\n", 0, 128 },
	{ "007\n", 0, 7 },
	{ "2147483647\n", 0, INT32_MAX },
	{ "2147483648\n", -EINVAL, 0 },
	{ "4294967296\n", -EINVAL, 0 },
	{ "99999999999999999999999\n", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ " \n", -EINVAL, 0 },
	{ " 5\n", -EINVAL, 0 },
	{ "-1\n", -EINVAL, 0 },
	{ "+5\n", -EINVAL, 0 },
	{ "12a\n", -EINVAL, 0 },
	{ "0x10\n", -EINVAL, 0 },
	{ "1.5\n", -EINVAL, 0 },
	{ "4096 4096\n", -EINVAL, 0 },
	{ "5\n6\n", -EINVAL, 0 },
	{ "4096\nx", -EINVAL, 0 },
	{ "abc\n", -EINVAL, 0 },
};

START_TEST(test_parse_table)
{
	const struct parse_case *t = &parse_cases[_i];
	int32_t v = -12345;
	int r = sysctl_parse_int(t->text, &v);

	ck_assert_msg(r == t->rc, "\"%s\": rc %d, want %d", t->text, r, t->rc);
	if (r == 0)
		ck_assert_msg(v == t->value, "\"%s\": %d, want %d", t->text, v, t->value);
	else
		ck_assert_msg(v == -12345, "\"%s\": ret written on failure", t->text);
}
END_TEST

START_TEST(test_parse_null)
{
	int32_t v;

	ck_assert_int_eq(sysctl_parse_int(NULL, &v), -EINVAL);
	ck_assert_int_eq(sysctl_parse_int("1", NULL), -EINVAL);
}
END_TEST

/* A fake /proc made once per run (unchecked fixture: created and removed in
 * the parent, so a failing test leaves nothing behind). */
static char root[] = "/tmp/check_sysctl.XXXXXX";

static const char *const files[] = {
	"sys/net/core/somaxconn",
	"sys/net/ipv4/tcp_max_syn_backlog",
	"sys/net/ipv4/tcp_syncookies",
};
static const char *const dirs[] = { "sys/net/ipv4", "sys/net/core", "sys/net", "sys" };

static char *under_root(const char *rel)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
	return p;
}

/* Writes content (len bytes) to root/rel, or removes it when content is NULL. */
static void put_len(const char *rel, const char *content, size_t len)
{
	char *p = under_root(rel);
	int fd;

	unlink(p);
	if (content) {
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
		close(fd);
	}
	free(p);
}

static void put(const char *rel, const char *content)
{
	put_len(rel, content, content ? strlen(content) : 0);
}

static void tree_setup(void)
{
	if (!mkdtemp(root))
		abort();
	for (size_t i = SW_ARRAY_SIZE(dirs); i-- > 0;) {
		char *p = NULL;

		if (asprintf(&p, "%s/%s", root, dirs[i]) < 0 || mkdir(p, 0755) < 0)
			abort();
		free(p);
	}
}

static void tree_teardown(void)
{
	for (size_t i = 0; i < SW_ARRAY_SIZE(files); i++) {
		char *p = NULL;

		if (asprintf(&p, "%s/%s", root, files[i]) >= 0)
			unlink(p);
		free(p);
	}
	for (size_t i = 0; i < SW_ARRAY_SIZE(dirs); i++) {
		char *p = NULL;

		if (asprintf(&p, "%s/%s", root, dirs[i]) >= 0)
			rmdir(p);
		free(p);
	}
	rmdir(root);
}

/* NULL: file absent. */
struct read_case {
	const char *name;
	const char *somaxconn, *max_syn_backlog, *syncookies;
	int rc;
	struct sw_sysctl want;
};

static const struct read_case read_cases[] = {
	{ "all defaults", "4096\n", "2048\n", "1\n", 0, { 4096, 2048, 1 } },
	{ "old defaults, cookies off", "128\n", "128\n", "0\n", 0, { 128, 128, 0 } },
	{ "cookies always", "65535\n", "64\n", "2\n", 0, { 65535, 64, 2 } },
	{ "somaxconn missing, others read", NULL, "2048\n", "1\n", -ENOENT, { -1, 2048, 1 } },
	{ "backlog garbage, others read", "4096\n", "lots\n", "0\n", -EINVAL, { 4096, -1, 0 } },
	{ "syncookies out of range", "4096\n", "2048\n", "3\n", -ERANGE, { 4096, 2048, -1 } },
	{ "syncookies empty", "4096\n", "2048\n", "", -EINVAL, { 4096, 2048, -1 } },
	{ "first error wins", NULL, "x\n", "9\n", -ENOENT, { -1, -1, -1 } },
	{ "first error wins, order", "4096\n", "-5\n", NULL, -EINVAL, { 4096, -1, -1 } },
	{ "overflow", "2147483648\n", "2048\n", "1\n", -EINVAL, { -1, 2048, 1 } },
	{ "all missing", NULL, NULL, NULL, -ENOENT, { -1, -1, -1 } },
};

START_TEST(test_read_table)
{
	const struct read_case *t = &read_cases[_i];
	struct sw_sysctl sc = { 7, 7, 7 };
	int r;

	put(files[0], t->somaxconn);
	put(files[1], t->max_syn_backlog);
	put(files[2], t->syncookies);
	r = sysctl_read(root, &sc);
	ck_assert_msg(r == t->rc, "%s: rc %d, want %d", t->name, r, t->rc);
	ck_assert_msg(sc.somaxconn == t->want.somaxconn, "%s: somaxconn %d", t->name, sc.somaxconn);
	ck_assert_msg(sc.max_syn_backlog == t->want.max_syn_backlog, "%s: max_syn_backlog %d",
		      t->name, sc.max_syn_backlog);
	ck_assert_msg(sc.syncookies == t->want.syncookies, "%s: syncookies %d", t->name,
		      sc.syncookies);
}
END_TEST

START_TEST(test_read_odd_files)
{
	struct sw_sysctl sc;
	char big[200];

	/* A NUL hiding trailing garbage. */
	put(files[0], "4096\n");
	put(files[1], "2048\n");
	put_len(files[2], "1\0garbage", 9);
	ck_assert_int_eq(sysctl_read(root, &sc), -EINVAL);
	ck_assert_int_eq(sc.syncookies, -1);
	ck_assert_int_eq(sc.somaxconn, 4096);

	/* A file far larger than any number: refused, not read on. */
	memset(big, '1', sizeof(big));
	put_len(files[2], big, sizeof(big));
	ck_assert_int_eq(sysctl_read(root, &sc), -EFBIG);
	ck_assert_int_eq(sc.syncookies, -1);

	/* A directory where the file should be. */
	put(files[2], NULL);
	{
		char *p = under_root(files[2]);

		ck_assert_int_eq(mkdir(p, 0755), 0);
		ck_assert_int_lt(sysctl_read(root, &sc), 0);
		ck_assert_int_eq(sc.syncookies, -1);
		ck_assert_int_eq(sc.max_syn_backlog, 2048);
		rmdir(p);
		free(p);
	}

	/* A root that does not exist at all. */
	ck_assert_int_eq(sysctl_read("/nonexistent-procroot", &sc), -ENOENT);
	ck_assert_int_eq(sc.somaxconn, -1);
	ck_assert_int_eq(sc.max_syn_backlog, -1);
	ck_assert_int_eq(sc.syncookies, -1);
	ck_assert_int_eq(sysctl_read(NULL, &sc), -EINVAL);
}
END_TEST

static int32_t read_live(const char *path)
{
	char *text = NULL;
	int32_t v = -1;

	ck_assert_int_eq(util_read_file(path, 64, &text, NULL), 0);
	ck_assert_int_eq(sysctl_parse_int(text, &v), 0);
	free(text);
	return v;
}

START_TEST(test_read_live)
{
	struct sw_sysctl sc;

	ck_assert_int_eq(sysctl_read("/proc", &sc), 0);
	ck_assert_int_eq(sc.somaxconn, read_live("/proc/sys/net/core/somaxconn"));
	ck_assert_int_eq(sc.max_syn_backlog, read_live("/proc/sys/net/ipv4/tcp_max_syn_backlog"));
	ck_assert_int_eq(sc.syncookies, read_live("/proc/sys/net/ipv4/tcp_syncookies"));
	ck_assert_int_ge(sc.somaxconn, 0);
	ck_assert_int_ge(sc.max_syn_backlog, 0);
	ck_assert(sc.syncookies >= 0 && sc.syncookies <= 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysctl");
	TCase *tc = tcase_create("parse");
	TCase *tr = tcase_create("read");

	tcase_add_loop_test(tc, test_parse_table, 0, (int)SW_ARRAY_SIZE(parse_cases));
	tcase_add_test(tc, test_parse_null);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tr, tree_setup, tree_teardown);
	tcase_add_loop_test(tr, test_read_table, 0, (int)SW_ARRAY_SIZE(read_cases));
	tcase_add_test(tr, test_read_odd_files);
	tcase_add_test(tr, test_read_live);
	suite_add_tcase(s, tr);

	return sw_check_run(s);
}
