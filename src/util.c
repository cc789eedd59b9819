#include "util.h"
#include "text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

const char *util_addr_str(int family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *util_endpoint_str(int family, const uint8_t *addr, uint16_t port,
			      char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	util_addr_str(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}

int util_endpoint_parse(const char *s, int *ret_family, uint8_t ret_addr[16],
			uint16_t *ret_port, bool *ret_wildcard)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *portstr;
	uint8_t addr[16] = { 0 };
	int family = 0;
	bool wildcard = false;
	uint64_t port;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return -EINVAL;
		family = AF_INET6;
		portstr = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (strcmp(host, "*") == 0)
			wildcard = true;
		else if (inet_pton(AF_INET, host, addr) == 1)
			family = AF_INET;
		else
			return -EINVAL;
		portstr = colon + 1;
	}
	if (text_parse_u64(portstr, strlen(portstr), 65535, &port) < 0)
		return -EINVAL;

	*ret_family = family;
	memcpy(ret_addr, addr, 16);
	*ret_port = (uint16_t)port;
	*ret_wildcard = wildcard;
	return 0;
}

int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == max)
			return -EFBIG;
	}
	buf[len] = 0;
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
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
