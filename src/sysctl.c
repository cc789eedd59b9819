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

static int sysctl_read_one(const char *procroot, const char *rel, int32_t *ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (asprintf(&path, "%s/%s", procroot, rel) < 0)
		return -ENOMEM;
	r = util_read_file(path, SYSCTL_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	/* An embedded NUL would hide trailing garbage from the parser. */
	if (len != strnlen(text, len))
		return -EINVAL;
	return sysctl_parse_int(text, ret);
}

int sysctl_read(const char *procroot, struct sw_sysctl *ret)
{
	struct sw_sysctl sc = SW_SYSCTL_UNKNOWN;
	const struct {
		const char *rel;
		int32_t *dst;
		int32_t max;
	} files[] = {
		{ "sys/net/core/somaxconn", &sc.somaxconn, INT32_MAX },
		{ "sys/net/ipv4/tcp_max_syn_backlog", &sc.max_syn_backlog, INT32_MAX },
		/* The kernel accepts only 0, 1 and 2; another value means the
		 * file is not what we think it is. */
		{ "sys/net/ipv4/tcp_syncookies", &sc.syncookies, 2 },
	};
	int first_err = 0;

	if (!procroot || !ret)
		return -EINVAL;
	for (size_t i = 0; i < SW_ARRAY_SIZE(files); i++) {
		int32_t v;
		int r = sysctl_read_one(procroot, files[i].rel, &v);

		if (r == 0 && v > files[i].max)
			r = -ERANGE;
		if (r < 0) {
			if (!first_err)
				first_err = r;
			continue;
		}
		*files[i].dst = v;
	}
	*ret = sc;
	return first_err;
}
