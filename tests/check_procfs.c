/* procfs: the /proc formats parsed over bytes (stat, cgroup, pid names and
 * lists, fd links), table-driven; and the readers on a prepared tree. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkrun.h"
#include "procfs.h"
#include "macro.h"

/* Fields 5..21 are zero; starttime is field 22. */
#define STAT_TAIL "0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0"

static const struct stat_case {
	const char *text;
	int ret;
	int32_t ppid;
	uint64_t start;
	const char *comm;
} stat_cases[] = {
	{ "42 (nginx) S 1 " STAT_TAIL " 12345 0 0\n", 0, 1, 12345, "nginx" },
	/* comm holds what the other fields look like: the last ')' ends it. */
	{ "700 (a) (b c) S 1 " STAT_TAIL " 1700 0\n", 0, 1, 1700, "a) (b c" },
	{ "701 (x) 5 ) R 9 " STAT_TAIL " 7\n", 0, 9, 7, "x) 5 " },
	{ "702 () S 3 " STAT_TAIL " 8\n", 0, 3, 8, "" },
	/* starttime as the last field, and a line that ends before it. */
	{ "703 (y) S 4 " STAT_TAIL " 99\n", 0, 4, 99, "y" },
	{ "704 (y) S 4 0 0\n", 0, 4, 0, "y" },
	{ "705 (y) S 0 " STAT_TAIL " 1 0\n", 0, 0, 1, "y" },
	{ "706 (y) S 2147483647 " STAT_TAIL " 18446744073709551615 0\n", 0, INT32_MAX,
	  UINT64_MAX, "y" },
	/* A process names itself: controls become '?', C1 ones too. */
	{ "707 (t\001b) S 1 " STAT_TAIL " 1 0\n", 0, 1, 1, "t?b" },
	{ "708 (e\033[31m) S 1 " STAT_TAIL " 1 0\n", 0, 1, 1, "e?[31m" },
	{ "709 (c\xc2\x9b" "1) S 1 " STAT_TAIL " 1 0\n", 0, 1, 1, "c?1" },
	{ "710 (caf\xc3\xa9) S 1 " STAT_TAIL " 1 0\n", 0, 1, 1, "caf\xc3\xa9" },
	/* A workqueue worker's name is longer than TASK_COMM_LEN there. */
	{ "711 (kworker/u8:3-events_unbound) I 2 " STAT_TAIL " 5 0\n", 0, 2, 5,
	  "kworker/u8:3-ev" },
	/* Zombies and dead tasks hold no fds: gone. */
	{ "712 (z) Z 1 " STAT_TAIL " 1 0\n", -ESRCH, 0, 0, NULL },
	{ "713 (z) X 1 " STAT_TAIL " 1 0\n", -ESRCH, 0, 0, NULL },
	{ "714 (z) Z\n", -ESRCH, 0, 0, NULL },
	/* Malformed. */
	{ "", -EINVAL, 0, 0, NULL },
	{ "715 nginx S 1 0\n", -EINVAL, 0, 0, NULL },
	{ "716 (nginx S 1 0\n", -EINVAL, 0, 0, NULL },
	{ "717 nginx) S 1 0\n", -EINVAL, 0, 0, NULL },
	{ "718 (nginx)S 1 0\n", -EINVAL, 0, 0, NULL },
	{ "719 )x( S 1 0\n", -EINVAL, 0, 0, NULL },
	{ "720 (y) S\n", -EINVAL, 0, 0, NULL },
	{ "721 (y) S -1 0\n", -EINVAL, 0, 0, NULL },
	{ "722 (y) S x 0\n", -EINVAL, 0, 0, NULL },
	{ "723 (y) S 2147483648 0\n", -EINVAL, 0, 0, NULL },
	{ "724 (y) S 1 " STAT_TAIL " 18446744073709551616 0\n", -EINVAL, 0, 0, NULL },
	{ "725 (y) S 1 " STAT_TAIL " 12z 0\n", -EINVAL, 0, 0, NULL },
};

START_TEST(test_parse_stat)
{
	const struct stat_case *c = &stat_cases[_i];
	struct procfs_stat st;
	int r;

	memset(&st, 0x55, sizeof(st));
	r = procfs_parse_stat(c->text, &st);
	ck_assert_msg(r == c->ret, "%s: returned %d, expected %d", c->text, r, c->ret);
	if (r < 0)
		return;
	ck_assert_int_eq(st.ppid, c->ppid);
	ck_assert_uint_eq(st.starttime, c->start);
	ck_assert_str_eq(st.comm, c->comm);
}
END_TEST

static const struct cgroup_case {
	const char *text;
	const char *v2, *v1;
} cgroup_cases[] = {
	{ "0::/system.slice/nginx.service\n", "/system.slice/nginx.service", NULL },
	{ "0::/\n", "/", NULL },
	{ "0::/system.slice/gone.service (deleted)\n", "/system.slice/gone.service", NULL },
	{ "12:pids:/\n0::/system.slice/v2.service\n1:name=systemd:/system.slice/v1.service\n",
	  "/system.slice/v2.service", "/system.slice/v1.service" },
	{ "0::/\n1:name=systemd:/system.slice/legacy.service\n", "/", "/system.slice/legacy.service" },
	{ "1:name=systemd:/user.slice\n", NULL, "/user.slice" },
	/* name=systemd only as the hierarchy's own name, not in a path. */
	{ "3:cpu:/a:name=systemd:/b\n", NULL, NULL },
	{ "0::/no-newline", "/no-newline", NULL },
	{ "\n\n0::/x\n\n", "/x", NULL },
	{ "5:memory:/m\n", NULL, NULL },
	{ "", NULL, NULL },
};

static void ck_str_or_null(const char *got, const char *want, const char *what)
{
	if (!want)
		ck_assert_msg(got == NULL, "%s: got \"%s\", expected none", what, got);
	else
		ck_assert_msg(got && strcmp(got, want) == 0, "%s: got \"%s\", expected \"%s\"",
			      what, got ? got : "(none)", want);
}

START_TEST(test_parse_cgroup)
{
	const struct cgroup_case *c = &cgroup_cases[_i];
	struct procfs_cgroup cg;
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", c->text);
	procfs_parse_cgroup(buf, &cg);
	ck_str_or_null(cg.v2, c->v2, "v2");
	ck_str_or_null(cg.v1_systemd, c->v1, "v1");
}
END_TEST

static const struct pid_name_case {
	const char *name;
	bool ok;
	int32_t pid;
} pid_name_cases[] = {
	{ "1", true, 1 },
	{ "4242", true, 4242 },
	{ "2147483647", true, INT32_MAX },
	{ "2147483648", false, 0 },
	{ "99999999999999999999999", false, 0 },
	{ "0", false, 0 },
	{ "01", false, 0 },
	{ "12a", false, 0 },
	{ "-1", false, 0 },
	{ "+1", false, 0 },
	{ "self", false, 0 },
	{ "net", false, 0 },
	{ ".", false, 0 },
	{ "", false, 0 },
};

START_TEST(test_parse_pid_name)
{
	const struct pid_name_case *c = &pid_name_cases[_i];
	int32_t pid = -7;
	bool ok = procfs_parse_pid_name(c->name, &pid);

	ck_assert_msg(ok == c->ok, "\"%s\": %d", c->name, ok);
	ck_assert_int_eq(pid, ok ? c->pid : -7);
}
END_TEST

static const struct pid_list_case {
	const char *text;
	size_t max;
	size_t n;
	int32_t pids[4];
} pid_list_cases[] = {
	{ "1\n22\n333\n", 4, 3, { 1, 22, 333 } },
	{ "1\n22\n333\n4444\n55555\n", 4, 4, { 1, 22, 333, 4444 } },   /* bounded */
	{ "7 8\n9", 4, 3, { 7, 8, 9 } },
	{ "\n\n5\n", 4, 1, { 5 } },
	{ "0\n5\n", 4, 1, { 5 } },                                    /* 0 is no pid */
	{ "99999999999\n6\n", 4, 1, { 6 } },                          /* past INT32_MAX */
	{ "007\n", 4, 1, { 7 } },
	{ "1\nx\n2\n", 4, 1, { 1 } },                                 /* ends at garbage */
	{ "-3\n4\n", 4, 0, { 0 } },
	{ "", 4, 0, { 0 } },
	{ "1\n2\n", 0, 0, { 0 } },
};

START_TEST(test_parse_pid_list)
{
	const struct pid_list_case *c = &pid_list_cases[_i];
	int32_t pids[8] = { 0 };
	size_t n = 0;

	procfs_parse_pid_list(c->text, pids, &n, c->max);
	ck_assert_msg(n == c->n, "\"%s\": %zu pids, expected %zu", c->text, n, c->n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pids[i], c->pids[i]);

	/* Appends after what is there. */
	n = 1;
	pids[0] = 77;
	procfs_parse_pid_list(c->text, pids, &n, c->max + 1);
	ck_assert_int_eq(pids[0], 77);
	ck_assert_uint_eq(n, 1 + c->n);
}
END_TEST

static const struct link_case {
	const char *target;
	bool ok;
	uint32_t inode;
} link_cases[] = {
	{ "socket:[123]", true, 123 },
	{ "socket:[0]", true, 0 },
	{ "socket:[4294967295]", true, UINT32_MAX },
	{ "socket:[4294967296]", false, 0 },
	{ "socket:[99999999999]", false, 0 },
	{ "socket:[notanumber]", false, 0 },
	{ "socket:[]", false, 0 },
	{ "socket:[12", false, 0 },
	{ "socket:[12]x", false, 0 },
	{ "socket:[12]]", false, 0 },
	{ "socket:[ 12]", false, 0 },
	{ "socket:[-1]", false, 0 },
	{ "socket:12", false, 0 },
	{ "pipe:[77]", false, 0 },
	{ "anon_inode:[eventpoll]", false, 0 },
	{ "/dev/null", false, 0 },
	{ "", false, 0 },
};

START_TEST(test_parse_socket_link)
{
	const struct link_case *c = &link_cases[_i];
	uint32_t inode = 4242;
	bool ok = procfs_parse_socket_link(c->target, &inode);

	ck_assert_msg(ok == c->ok, "\"%s\": %d", c->target, ok);
	ck_assert_uint_eq(inode, ok ? c->inode : 4242);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The readers, on a prepared tree                                      */

static char dir[64];

static void tree_write(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void tree_mkdir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static int tree_open(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/swprocfs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_readers)
{
	int procfd = tree_open();
	struct procfs_stat st;
	struct procfs_cgroup cg;
	int32_t *pids = NULL;
	size_t n = 0;
	char buf[64], cmd[128];
	DIR *d = NULL;

	tree_mkdir("30");
	tree_mkdir("4");
	tree_mkdir("100");
	tree_mkdir("self");
	tree_mkdir("007");
	tree_mkdir("30/fd");
	tree_write("30/stat", "30 (srv) S 4 " STAT_TAIL " 3000 0\n");
	tree_write("30/cgroup", "0::/system.slice/srv.service\n");
	tree_write("4/stat", "4 (z) Z 1 " STAT_TAIL " 400 0\n");

	ck_assert_int_eq(procfs_read_stat(procfd, 30, &st), 0);
	ck_assert_int_eq(st.ppid, 4);
	ck_assert_uint_eq(st.starttime, 3000);
	ck_assert_str_eq(st.comm, "srv");
	ck_assert_int_eq(procfs_read_stat(procfd, 4, &st), -ESRCH);      /* zombie */
	ck_assert_int_eq(procfs_read_stat(procfd, 100, &st), -ESRCH);    /* no stat: gone */
	ck_assert_int_eq(procfs_read_stat(procfd, 5, &st), -ESRCH);

	ck_assert_int_eq(procfs_read_cgroup(procfd, 30, buf, sizeof(buf), &cg), 0);
	ck_assert_str_eq(cg.v2, "/system.slice/srv.service");
	ck_assert_ptr_null(cg.v1_systemd);
	ck_assert_int_eq(procfs_read_cgroup(procfd, 5, buf, sizeof(buf), &cg), -ENOENT);
	ck_assert_ptr_null(cg.v2);

	/* Cut at size - 1 bytes, always terminated. */
	ck_assert_int_eq(procfs_read_at(procfd, "30/cgroup", buf, 8), 7);
	ck_assert_str_eq(buf, "0::/sys");

	ck_assert_int_eq(procfs_list_pids(procfd, 16, &pids, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(pids[0], 4);
	ck_assert_int_eq(pids[1], 30);
	ck_assert_int_eq(pids[2], 100);
	free(pids);
	pids = NULL;
	ck_assert_int_eq(procfs_list_pids(procfd, 2, &pids, &n), 0);
	ck_assert_uint_eq(n, 2);
	free(pids);

	ck_assert_int_eq(procfs_open_fd_dir(procfd, 30, &d), 0);
	ck_assert_ptr_nonnull(d);
	closedir(d);
	ck_assert_int_eq(procfs_open_fd_dir(procfd, 4, &d), -ENOENT);

	close(procfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_stat, 0, (int)SW_ARRAY_SIZE(stat_cases));
	tcase_add_loop_test(tc, test_parse_cgroup, 0, (int)SW_ARRAY_SIZE(cgroup_cases));
	tcase_add_loop_test(tc, test_parse_pid_name, 0, (int)SW_ARRAY_SIZE(pid_name_cases));
	tcase_add_loop_test(tc, test_parse_pid_list, 0, (int)SW_ARRAY_SIZE(pid_list_cases));
	tcase_add_loop_test(tc, test_parse_socket_link, 0, (int)SW_ARRAY_SIZE(link_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, test_readers);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
