#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t util_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t util_cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t util_realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	_cleanup_free_ char *tmp = NULL;
	const char *p = data;
	int fd, r = 0;

	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)dl, path, base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

ssize_t util_read_fd(int fd, void *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, (char *)buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static int util_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	ssize_t len;

	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	len = util_read_fd(fd, buf, max);
	if (len < 0)
		return (int)len;
	if ((size_t)len == max)
		return -EFBIG;
	buf[len] = 0;
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = (size_t)len;
	return 0;
}

int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return util_read_all(fd, max, ret, ret_len);
}

int util_reread_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	if (fd < 0)
		return -EBADF;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return util_read_all(fd, max, ret, ret_len);
}

size_t util_release_tail(void *base, size_t used, size_t size)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)base + used + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)base + size) & ~(page - 1);

	if (!base || used >= size || end <= start)
		return 0;
	return madvise((void *)start, end - start, MADV_DONTNEED) == 0 ? end - start : 0;
}

size_t util_heap_trim(size_t min_free)
{
	struct mallinfo2 mi = mallinfo2();

	if (mi.fordblks < min_free)
		return 0;
	malloc_trim(0);
	return mi.fordblks;
}
