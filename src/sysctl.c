#include "sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* A sysctl file holds one number and a newline; anything near this size is
 * not one of ours, so reading more would only invite garbage. */
#define SYSCTL_FILE_MAX 64

int sysctl_parse_int(const char *text, int32_t *ret)
{
	size_t n;
	uint64_t v;

	if (!text || !ret)
		return -EINVAL;
	/* The kernel prints these with "%d\n": no sign, no leading blanks (a
	 * sign or blank in front means someone else wrote the file), then
	 * trailing whitespace only: "4096\n", "4096 \n", "4096". */
	n = strlen(text);
	while (n > 0 && strchr("\n \t\r", text[n - 1]))
		n--;
	if (text_parse_u64(text, n, INT32_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int32_t)v;
	return 0;
}

/* The three files, in the order of sysctl_read_fds(). */
static const struct {
	const char *rel;
	int32_t max;
} sysctl_files[3] = {
	{ "sys/net/core/somaxconn", INT32_MAX },
	{ "sys/net/ipv4/tcp_max_syn_backlog", INT32_MAX },
	/* The kernel accepts only 0, 1 and 2; another value means the file
	 * is not what we think it is. */
	{ "sys/net/ipv4/tcp_syncookies", 2 },
};

static int sysctl_parse_file(const char *text, size_t len, int32_t max, int32_t *ret)
{
	int32_t v;

	/* An embedded NUL would hide trailing garbage from the parser. */
	if (len != strnlen(text, len) || sysctl_parse_int(text, &v) < 0)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* Reads file i by path below procroot, or from fd when fd >= 0. */
static int sysctl_read_one(const char *procroot, int fd, size_t i, int32_t *ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (procroot) {
		if (asprintf(&path, "%s/%s", procroot, sysctl_files[i].rel) < 0)
			return -ENOMEM;
		r = util_read_file(path, SYSCTL_FILE_MAX, &text, &len);
	} else {
		r = util_reread_fd(fd, SYSCTL_FILE_MAX, &text, &len);
	}
	if (r < 0)
		return r;
	return sysctl_parse_file(text, len, sysctl_files[i].max, ret);
}

static int sysctl_read_all(const char *procroot, const int fds[3], struct sw_sysctl *ret)
{
	struct sw_sysctl sc = SW_SYSCTL_UNKNOWN;
	int32_t *dst[3] = { &sc.somaxconn, &sc.max_syn_backlog, &sc.syncookies };
	int first_err = 0;

	for (size_t i = 0; i < SW_ARRAY_SIZE(dst); i++) {
		int32_t v;
		int r = sysctl_read_one(procroot, fds ? fds[i] : -1, i, &v);

		if (r < 0) {
			if (!first_err)
				first_err = r;
			continue;
		}
		*dst[i] = v;
	}
	*ret = sc;
	return first_err;
}

int sysctl_read(const char *procroot, struct sw_sysctl *ret)
{
	if (!procroot || !ret)
		return -EINVAL;
	return sysctl_read_all(procroot, NULL, ret);
}

int sysctl_read_fds(const int fds[3], struct sw_sysctl *ret)
{
	if (!fds || !ret)
		return -EINVAL;
	return sysctl_read_all(NULL, fds, ret);
}
