/* netstat: TcpExt parsing from synthetic texts, from real copies of this
 * machine's /proc/net/netstat (host and an overflowed namespace), and from
 * the live file. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkrun.h"
#include "netstat.h"
#include "util.h"

#define ALL_COUNTERS ((1u << _SW_CTR_MAX) - 1)
#define BIT(c) (1u << (c))

/* Header naming all seven in the kernel's own order (6.18). */
#define HDR7 "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed ListenOverflows " \
	     "ListenDrops TCPReqQFullDoCookies TCPReqQFullDrop\n"
/* What "TcpExt: 1 2 3 4 5 6 7" under HDR7 means. */
#define V7 { [SW_CTR_SYNCOOKIES_SENT] = 1, [SW_CTR_SYNCOOKIES_RECV] = 2, \
	     [SW_CTR_SYNCOOKIES_FAILED] = 3, [SW_CTR_LISTEN_OVERFLOWS] = 4, \
	     [SW_CTR_LISTEN_DROPS] = 5, [SW_CTR_REQQ_FULL_COOKIES] = 6, \
	     [SW_CTR_REQQ_FULL_DROP] = 7 }

struct parse_case {
	const char *name;
	const char *text;
	int rc;
	uint32_t present;
	/* indexed by enum sw_counter; compared only where present */
	uint64_t v[_SW_CTR_MAX];
};

static const struct parse_case parse_cases[] = {
	{ "all seven, kernel order", HDR7 "TcpExt: 1 2 3 4 5 6 7\n", 0, ALL_COUNTERS, V7 },
	{ "reordered, interleaved with others",
	  "TcpExt: TCPReqQFullDrop Foo ListenDrops SyncookiesFailed Bar ListenOverflows "
	  "TCPReqQFullDoCookies SyncookiesRecv Baz SyncookiesSent\n"
	  "TcpExt: 10 99 20 30 98 40 50 60 97 70\n", 0, ALL_COUNTERS,
	  { [SW_CTR_REQQ_FULL_DROP] = 10, [SW_CTR_LISTEN_DROPS] = 20,
	    [SW_CTR_SYNCOOKIES_FAILED] = 30, [SW_CTR_LISTEN_OVERFLOWS] = 40,
	    [SW_CTR_REQQ_FULL_COOKIES] = 50, [SW_CTR_SYNCOOKIES_RECV] = 60,
	    [SW_CTR_SYNCOOKIES_SENT] = 70 } },
	{ "missing columns stay absent",
	  "TcpExt: EmbryonicRsts ListenDrops TW\nTcpExt: 5 6 7\n", 0,
	  BIT(SW_CTR_LISTEN_DROPS), { [SW_CTR_LISTEN_DROPS] = 6 } },
	{ "pair without any of ours", "TcpExt: TW PruneCalled\nTcpExt: 1 2\n", 0, 0, { 0 } },
	{ "garbage values stay absent, never zero",
	  HDR7 "TcpExt: 12x -1 +3 1.5 0x10 18446744073709551616 7\n", 0,
	  BIT(SW_CTR_REQQ_FULL_DROP), { [SW_CTR_REQQ_FULL_DROP] = 7 } },
	{ "largest value and leading zeros",
	  "TcpExt: ListenDrops ListenOverflows\nTcpExt: 18446744073709551615 007\n", 0,
	  BIT(SW_CTR_LISTEN_DROPS) | BIT(SW_CTR_LISTEN_OVERFLOWS),
	  { [SW_CTR_LISTEN_DROPS] = UINT64_MAX, [SW_CTR_LISTEN_OVERFLOWS] = 7 } },
	{ "other sections around it, one reusing our names",
	  "IpExt: ListenDrops InOctets\nIpExt: 111 222\n"
	  "TcpExt: ListenDrops ListenOverflows\nTcpExt: 3 4\n"
	  "MPTcpExt: ListenOverflows MPCapableSYNRX\nMPTcpExt: 555 666\n", 0,
	  BIT(SW_CTR_LISTEN_DROPS) | BIT(SW_CTR_LISTEN_OVERFLOWS),
	  { [SW_CTR_LISTEN_DROPS] = 3, [SW_CTR_LISTEN_OVERFLOWS] = 4 } },
	{ "unknown future section first",
	  "NewExt: A B C\nNewExt: 1 2 3\n" HDR7 "TcpExt: 1 2 3 4 5 6 7\n", 0, ALL_COUNTERS, V7 },
	{ "value line shorter than the header",
	  HDR7 "TcpExt: 1 2 3 4\n", 0,
	  BIT(SW_CTR_SYNCOOKIES_SENT) | BIT(SW_CTR_SYNCOOKIES_RECV) |
	  BIT(SW_CTR_SYNCOOKIES_FAILED) | BIT(SW_CTR_LISTEN_OVERFLOWS),
	  { [SW_CTR_SYNCOOKIES_SENT] = 1, [SW_CTR_SYNCOOKIES_RECV] = 2,
	    [SW_CTR_SYNCOOKIES_FAILED] = 3, [SW_CTR_LISTEN_OVERFLOWS] = 4 } },
	{ "value line cut mid-number (no newline): last token dropped",
	  "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1234 56", 0,
	  BIT(SW_CTR_LISTEN_OVERFLOWS), { [SW_CTR_LISTEN_OVERFLOWS] = 1234 } },
	{ "unterminated value line ending in a blank is whole",
	  "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1234 56 ", 0,
	  BIT(SW_CTR_LISTEN_OVERFLOWS) | BIT(SW_CTR_LISTEN_DROPS),
	  { [SW_CTR_LISTEN_OVERFLOWS] = 1234, [SW_CTR_LISTEN_DROPS] = 56 } },
	{ "value line longer than the header",
	  "TcpExt: ListenOverflows ListenDrops\nTcpExt: 8 9 10 11\n", 0,
	  BIT(SW_CTR_LISTEN_OVERFLOWS) | BIT(SW_CTR_LISTEN_DROPS),
	  { [SW_CTR_LISTEN_OVERFLOWS] = 8, [SW_CTR_LISTEN_DROPS] = 9 } },
	{ "empty value line", "TcpExt: ListenOverflows ListenDrops\nTcpExt:\n", 0, 0, { 0 } },
	{ "name twice in the header is ambiguous",
	  "TcpExt: ListenDrops ListenOverflows ListenDrops\nTcpExt: 1 2 3\n", 0,
	  BIT(SW_CTR_LISTEN_OVERFLOWS), { [SW_CTR_LISTEN_OVERFLOWS] = 2 } },
	{ "tabs, runs of blanks, CRLF",
	  "TcpExt:\tListenOverflows  ListenDrops\r\nTcpExt:  3\t\t4\r\n", 0,
	  BIT(SW_CTR_LISTEN_OVERFLOWS) | BIT(SW_CTR_LISTEN_DROPS),
	  { [SW_CTR_LISTEN_OVERFLOWS] = 3, [SW_CTR_LISTEN_DROPS] = 4 } },
	{ "only the first TcpExt pair counts",
	  "TcpExt: ListenDrops\nTcpExt: 1\nTcpExt: ListenDrops\nTcpExt: 2\n", 0,
	  BIT(SW_CTR_LISTEN_DROPS), { [SW_CTR_LISTEN_DROPS] = 1 } },
	{ "prefix must match exactly",
	  "TcpExtra: ListenDrops\nTcpExtra: 1\ntcpext: ListenDrops\ntcpext: 1\n", -EINVAL, 0, { 0 } },
	{ "blank line between header and values breaks the pair",
	  "TcpExt: ListenDrops\n\nTcpExt: 1\n", -EINVAL, 0, { 0 } },
	{ "header then another section: no pair",
	  "TcpExt: ListenDrops\nIpExt: InOctets\nIpExt: 5\n", -EINVAL, 0, { 0 } },
	{ "headers of different sections interleaved",
	  "TcpExt: ListenDrops\nIpExt: InOctets\nTcpExt: 1\nIpExt: 5\n", -EINVAL, 0, { 0 } },
	{ "header only", HDR7, -EINVAL, 0, { 0 } },
	{ "other sections only", "IpExt: A\nIpExt: 1\n", -EINVAL, 0, { 0 } },
	{ "empty", "", -EINVAL, 0, { 0 } },
	{ "newlines only", "\n\n\n", -EINVAL, 0, { 0 } },
	{ "not netstat at all", "hello world\nthis is: not it\n", -EINVAL, 0, { 0 } },
};

static void check_result(const char *name, const struct sw_netstat *n, uint32_t present,
			 const uint64_t *v)
{
	ck_assert_msg(n->present == present, "%s: present 0x%x, want 0x%x", name,
		      n->present, present);
	for (unsigned c = 0; c < _SW_CTR_MAX; c++) {
		ck_assert_msg(netstat_has(n, c) == !!(present & BIT(c)), "%s: has %s", name,
			      netstat_counter_name(c));
		if (present & BIT(c))
			ck_assert_msg(n->value[c] == v[c], "%s: %s = %llu, want %llu", name,
				      netstat_counter_name(c), (unsigned long long)n->value[c],
				      (unsigned long long)v[c]);
	}
}

START_TEST(test_parse_table)
{
	const struct parse_case *t = &parse_cases[_i];
	size_t len = strlen(t->text);
	/* An exact-size copy without a NUL: the parser must stay inside len
	 * (ASan catches a read past it). */
	char *buf = malloc(len ? len : 1);
	struct sw_netstat n;
	int r;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, t->text, len);
	/* A failed parse leaves *ret alone. */
	memset(&n, 0xa5, sizeof(n));
	r = netstat_parse(buf, len, &n);
	ck_assert_msg(r == t->rc, "%s: rc %d, want %d", t->name, r, t->rc);
	if (r == 0)
		check_result(t->name, &n, t->present, t->v);
	else
		ck_assert_msg(n.present == 0xa5a5a5a5u, "%s: ret written on failure", t->name);
	free(buf);
}
END_TEST

START_TEST(test_parse_len_bounds_text)
{
	/* Only the first len bytes count, even when the string goes on. */
	const char *text = "TcpExt: ListenOverflows ListenDrops\nTcpExt: 11 22\nXX";
	struct sw_netstat n;

	ck_assert_int_eq(netstat_parse(text, strlen(text) - 2, &n), 0);
	ck_assert_uint_eq(n.present, BIT(SW_CTR_LISTEN_OVERFLOWS) | BIT(SW_CTR_LISTEN_DROPS));
	ck_assert_int_eq(netstat_parse(text, 10, &n), -EINVAL);
	ck_assert_int_eq(netstat_parse(NULL, 0, &n), -EINVAL);
	ck_assert_int_eq(netstat_parse(text, strlen(text), NULL), -EINVAL);
}
END_TEST

START_TEST(test_parse_embedded_nul)
{
	/* A NUL inside a name or a number is garbage, not an end of input. */
	static const char text[] = "TcpExt: ListenOverflows List\0Drops SyncookiesSent\n"
				   "TcpExt: 1 2 3\0 4\n";
	struct sw_netstat n;

	ck_assert_int_eq(netstat_parse(text, sizeof(text) - 1, &n), 0);
	ck_assert_uint_eq(n.present, BIT(SW_CTR_LISTEN_OVERFLOWS));
	ck_assert_uint_eq(n.value[SW_CTR_LISTEN_OVERFLOWS], 1);
}
END_TEST

START_TEST(test_counter_names)
{
	static const char *const want[_SW_CTR_MAX] = {
		[SW_CTR_LISTEN_OVERFLOWS] = "ListenOverflows",
		[SW_CTR_LISTEN_DROPS] = "ListenDrops",
		[SW_CTR_REQQ_FULL_DROP] = "TCPReqQFullDrop",
		[SW_CTR_REQQ_FULL_COOKIES] = "TCPReqQFullDoCookies",
		[SW_CTR_SYNCOOKIES_SENT] = "SyncookiesSent",
		[SW_CTR_SYNCOOKIES_RECV] = "SyncookiesRecv",
		[SW_CTR_SYNCOOKIES_FAILED] = "SyncookiesFailed",
	};

	for (unsigned c = 0; c < _SW_CTR_MAX; c++)
		ck_assert_str_eq(netstat_counter_name(c), want[c]);
	ck_assert_ptr_null(netstat_counter_name(_SW_CTR_MAX));
	ck_assert_ptr_null(netstat_counter_name((enum sw_counter)-1));
}
END_TEST

/* tests/data, wherever the tests run from: $SW_TEST_DATA, ./tests/data (the
 * runner's cwd is the source tree), or relative to the binary. */
static char *data_path(const char *rel)
{
	char *p = NULL;
	const char *env = getenv("SW_TEST_DATA");
	char *exe;

	if (env) {
		ck_assert_int_ge(asprintf(&p, "%s/%s", env, rel), 0);
		return p;
	}
	ck_assert_int_ge(asprintf(&p, "tests/data/%s", rel), 0);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	exe = realpath("/proc/self/exe", NULL);
	ck_assert_ptr_nonnull(exe);
	/* BUILD/tests/check_x -> BUILD/../tests/data */
	ck_assert_int_ge(asprintf(&p, "%s/../../tests/data/%s", dirname(exe), rel), 0);
	free(exe);
	return p;
}

struct file_case {
	const char *file;
	uint64_t v[_SW_CTR_MAX];
};

/* Values as the awk one-liner in tests/data/netstat/README reads them. */
static const struct file_case file_cases[] = {
	{ "netstat/linux-6.18.44.txt", { 0 } },
	{ "netstat/netns-overflowed-6.18.44.txt",
	  { [SW_CTR_LISTEN_OVERFLOWS] = 18, [SW_CTR_LISTEN_DROPS] = 28,
	    [SW_CTR_REQQ_FULL_DROP] = 10, [SW_CTR_REQQ_FULL_COOKIES] = 10,
	    [SW_CTR_SYNCOOKIES_SENT] = 10, [SW_CTR_SYNCOOKIES_RECV] = 0,
	    [SW_CTR_SYNCOOKIES_FAILED] = 0 } },
};

START_TEST(test_real_copy)
{
	const struct file_case *t = &file_cases[_i];
	char *path = data_path(t->file);
	char *text = NULL;
	size_t len;
	struct sw_netstat n, full;

	ck_assert_int_eq(netstat_read(path, &n), 0);
	check_result(t->file, &n, ALL_COUNTERS, t->v);

	/* Cut the file at every length: never a crash, and whatever comes
	 * out present must be the true value (a number cut short must not
	 * turn into a smaller one). */
	ck_assert_int_eq(util_read_file(path, 1 << 16, &text, &len), 0);
	full = n;
	for (size_t k = 0; k <= len; k++) {
		char *cut = malloc(k ? k : 1);
		int r;

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, text, k);
		r = netstat_parse(cut, k, &n);
		if (r == 0) {
			for (unsigned c = 0; c < _SW_CTR_MAX; c++)
				if (netstat_has(&n, c))
					ck_assert_msg(n.value[c] == full.value[c],
						      "%s cut at %zu: %s", t->file, k,
						      netstat_counter_name(c));
		} else {
			ck_assert_int_eq(r, -EINVAL);
		}
		free(cut);
	}
	/* ... and whole, it must be found long before the end: the TcpExt
	 * pair is first. */
	ck_assert_int_eq(netstat_parse(text, len, &n), 0);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_read_live)
{
	struct sw_netstat n;

	/* Every counter sockwatchd uses exists on kernels this project
	 * supports (all are older than 4.4). */
	ck_assert_int_eq(netstat_read("/proc/net/netstat", &n), 0);
	ck_assert_uint_eq(n.present, ALL_COUNTERS);
	ck_assert_uint_ge(n.value[SW_CTR_LISTEN_DROPS], n.value[SW_CTR_LISTEN_OVERFLOWS]);
}
END_TEST

static void write_str(int fd, const char *str)
{
	ck_assert_int_eq(write(fd, str, strlen(str)), (ssize_t)strlen(str));
}

START_TEST(test_read_errors)
{
	char dir[] = "/tmp/check_netstat.XXXXXX";
	char *big = NULL, *empty = NULL;
	struct sw_netstat n;
	int fd;

	ck_assert_int_eq(netstat_read("/nonexistent/netstat", &n), -ENOENT);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&big, "%s/big", dir), 0);
	ck_assert_int_ge(asprintf(&empty, "%s/empty", dir), 0);

	/* Larger than the bound: refused, not read without end. */
	fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	write_str(fd, HDR7 "TcpExt: 1 2 3 4 5 6 7\n");
	for (int i = 0; i < 1000; i++)
		write_str(fd, "IpExt: InOctets OutOctets InMcastOctets OutMcastOctets\n"
			      "IpExt: 12345678 12345678 0 0\n");
	close(fd);
	ck_assert_int_eq(netstat_read(big, &n), -EFBIG);

	fd = open(empty, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(netstat_read(empty, &n), -EINVAL);

	unlink(big);
	unlink(empty);
	rmdir(dir);
	free(big);
	free(empty);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netstat");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse_table, 0, (int)SW_ARRAY_SIZE(parse_cases));
	tcase_add_test(tc, test_parse_len_bounds_text);
	tcase_add_test(tc, test_parse_embedded_nul);
	tcase_add_test(tc, test_counter_names);
	tcase_add_loop_test(tc, test_real_copy, 0, (int)SW_ARRAY_SIZE(file_cases));
	tcase_add_test(tc, test_read_live);
	tcase_add_test(tc, test_read_errors);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
