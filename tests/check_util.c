/* util_release_tail: the unused tail of a large array goes back to the
 * kernel (mincore says which pages are resident), the used part keeps its
 * contents, and nothing outside the block or within a partial page is
 * touched. util_heap_trim: free pages scattered in the malloc heap go
 * back, live blocks stay. util_read_fd: reads to end of file or to a
 * full buffer, whichever comes first; util_read_file refuses a file that
 * fills max. (addr_endpoint_parse is in check_addr.c.) */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checkrun.h"
#include "util.h"

/* Resident pages of [p, p + len), p page-aligned. */
static size_t resident_pages(void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, k = 0;
	unsigned char *vec = malloc(n);

	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore(p, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		k += vec[i] & 1;
	free(vec);
	return k;
}

static bool all_a5(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0xa5)
			return false;
	return true;
}

START_TEST(test_release_tail)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 1024 * page;
	/* Its own mapping, so that residency is the test's to observe. */
	unsigned char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Offsets are pages plus bytes. */
	static const struct {
		const char *what;
		size_t used_pages, used_bytes, size_pages, size_bytes, released_pages;
	} cases[] = {
		{ "used past the end", 0, 10, 0, 5, 0 },
		{ "nothing unused", 64, 0, 64, 0, 0 },
		{ "tail inside one page", 0, 100, 0, 2000, 0 },
		{ "a partial first page is kept", 1, 1, 3, 0, 1 },
		{ "a partial last page is kept", 2, 0, 5, 7, 3 },
		{ "whole tail", 256, 0, 1024, 0, 768 },
	};

	ck_assert_ptr_ne(a, MAP_FAILED);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t used = cases[c].used_pages * page + cases[c].used_bytes;
		size_t sz = cases[c].size_pages * page + cases[c].size_bytes;
		size_t want = cases[c].released_pages * page;

		memset(a, 0xa5, size);
		ck_assert_uint_eq(resident_pages(a, size), 1024);
		ck_assert_msg(util_release_tail(a, used, sz) == want, "%s", cases[c].what);
		/* The used bytes, and everything past size, keep their contents. */
		ck_assert_msg(all_a5(a, used < size ? used : size), "%s: used part lost", cases[c].what);
		if (sz < size)
			ck_assert_msg(all_a5(a + sz, size - sz), "%s: past the end lost", cases[c].what);
		ck_assert_msg(resident_pages(a, size) == 1024 - cases[c].released_pages,
			      "%s: %zu resident", cases[c].what, resident_pages(a, size));
		/* Released pages read as zeros. */
		if (want)
			ck_assert_uint_eq(a[used + page], 0);
	}
	ck_assert_uint_eq(util_release_tail(NULL, 0, size), 0);
	munmap(a, size);
}
END_TEST

static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &resident), 2);
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Small blocks freed between survivors stay in the heap, resident;
 * util_heap_trim gives their pages back and keeps the survivors. Under
 * AddressSanitizer malloc is not glibc's: there only the threshold is
 * checked. */
START_TEST(test_heap_trim)
{
	enum { N = 16384, SZ = 2000 };
	static char *blocks[N];
	long before, after;
	size_t held;

	for (size_t i = 0; i < N; i++) {
		blocks[i] = malloc(SZ);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], (int)(i & 0x7f) | 1, SZ);
	}
	for (size_t i = 0; i < N; i++)
		if (i % 16) {
			free(blocks[i]);
			blocks[i] = NULL;
		}
	ck_assert_uint_eq(util_heap_trim(SIZE_MAX), 0);
	before = rss_kb();
	held = util_heap_trim(1u << 20);
	after = rss_kb();
#ifndef __SANITIZE_ADDRESS__
	/* About 30 MB freed; most of it in whole pages. */
	ck_assert_msg(held >= (size_t)N * SZ / 2, "heap held %zu bytes free", held);
	ck_assert_msg(before - after >= 8 * 1024, "RSS %ld -> %ld kB", before, after);
#else
	(void)held;
	(void)before;
	(void)after;
#endif
	for (size_t i = 0; i < N; i += 16) {
		for (size_t j = 0; j < SZ; j++)
			if (blocks[i][j] != (char)((i & 0x7f) | 1))
				ck_abort_msg("block %zu changed", i);
		free(blocks[i]);
	}
}
END_TEST

/* Data written to a pipe in chunks, the writer closed, then read back. */
static const struct {
	const char *what;
	const char *chunks[3];
	size_t size;
	ssize_t want;
} reads[] = {
	{ "all of it", { "hello", " ", "world" }, 64, 11 },
	{ "exactly full", { "hello", " ", "world" }, 11, 11 },
	{ "cut at size", { "hello", " ", "world" }, 7, 7 },
	{ "empty", { NULL }, 16, 0 },
	{ "size 0", { "x" }, 0, 0 },
};

START_TEST(test_read_fd)
{
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		char buf[64], all[64] = "";
		int p[2];
		ssize_t n;

		ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
		for (size_t k = 0; k < 3 && reads[i].chunks[k]; k++) {
			size_t len = strlen(reads[i].chunks[k]);

			ck_assert_int_eq(write(p[1], reads[i].chunks[k], len), (ssize_t)len);
			strcat(all, reads[i].chunks[k]);
		}
		close(p[1]);
		n = util_read_fd(p[0], buf, reads[i].size);
		close(p[0]);
		ck_assert_msg(n == reads[i].want, "%s: %zd", reads[i].what, n);
		ck_assert_msg(memcmp(buf, all, (size_t)n) == 0, "%s: wrong bytes", reads[i].what);
	}
	ck_assert_int_eq(util_read_fd(-1, (char[4]){ 0 }, 4), -EBADF);
}
END_TEST

START_TEST(test_read_file)
{
	char path[] = "/tmp/check_util.XXXXXX";
	int fd = mkstemp(path);
	char *text = NULL;
	size_t len = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	ck_assert_int_eq(util_read_file(path, 11, &text, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(text, "0123456789");
	free(text);
	/* Filling max means the file may be longer: refused. */
	ck_assert_int_eq(util_read_file(path, 10, &text, &len), -EFBIG);
	unlink(path);
	ck_assert_int_eq(util_read_file(path, 10, &text, &len), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_release_tail);
	tcase_add_test(tc, test_heap_trim);
	tcase_add_test(tc, test_read_fd);
	tcase_add_test(tc, test_read_file);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
