/* Pure: systemd unit names from cgroup v2 paths; see owner.h. */
#include "owner.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "macro.h"

static const char *const owner_unit_types[] = {
	"service", "scope", "slice", "socket", "mount", "swap",
};

/* The unit type of a cgroup directory name ("slice", "service", ...), or
 * NULL when it is not a unit name. */
static const char *owner_unit_type(const char *name, size_t len)
{
	const char *dot = NULL;

	if (len == 0 || len > 255)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.')
			dot = name + i;
		else if (!isalnum(c) && !strchr(":-_\\@", c))
			return NULL;
	}
	if (!dot || dot == name)
		return NULL;
	for (size_t i = 0; i < SW_ARRAY_SIZE(owner_unit_types); i++) {
		size_t tl = strlen(owner_unit_types[i]);

		if ((size_t)(name + len - dot - 1) == tl && memcmp(dot + 1, owner_unit_types[i], tl) == 0)
			return owner_unit_types[i];
	}
	return NULL;
}

static int owner_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends name with \xHH decoded; an escape that would give a control or
 * non-ASCII byte stays as written so the result is always printable. */
static int owner_append_unescaped(char *out, size_t len, size_t *pos, const char *name, size_t nlen)
{
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i];

		if (c == '\\' && i + 3 < nlen && name[i + 1] == 'x') {
			int hi = owner_hexval(name[i + 2]), lo = owner_hexval(name[i + 3]);

			if (hi >= 0 && lo >= 0 && hi * 16 + lo >= 0x20 && hi * 16 + lo < 0x7f) {
				c = (char)(hi * 16 + lo);
				i += 3;
			}
		}
		if (*pos + 1 >= len)
			return -ENOBUFS;
		out[(*pos)++] = c;
	}
	out[*pos] = 0;
	return 0;
}

int owner_unit_from_cgroup_path(const char *path, char *unit, size_t len)
{
	const char *outer = NULL, *inner = NULL;
	size_t outer_len = 0, inner_len = 0, pos = 0;
	const char *p;
	int r;

	if (!path || path[0] != '/' || !unit || len == 0)
		return -EINVAL;
	for (p = path; *p;) {
		const char *c, *type;
		size_t cl;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		cl = (size_t)(p - c);
		if (cl == 0)
			break;
		/* systemd prefixes "_" to cgroup names that could clash with
		 * kernel files ("cpu.service" -> "_cpu.service"). */
		if (c[0] == '_') {
			c++;
			cl--;
		}
		type = owner_unit_type(c, cl);
		if (!type || strcmp(type, "slice") == 0)
			continue;
		if (!outer) {
			outer = c;
			outer_len = cl;
		} else {
			inner = c;
			inner_len = cl;
			break;
		}
	}
	if (!outer)
		return -ENOENT;
	r = owner_append_unescaped(unit, len, &pos, outer, outer_len);
	if (r == 0 && inner) {
		r = owner_append_unescaped(unit, len, &pos, "/", 1);
		if (r == 0)
			r = owner_append_unescaped(unit, len, &pos, inner, inner_len);
	}
	if (r < 0)
		unit[0] = 0;
	return r;
}

bool owner_path_is_manager(const char *path)
{
	size_t l = strlen(path);

	while (l > 0 && path[l - 1] == '/')
		l--;
	return l >= 11 && memcmp(path + l - 11, "/init.scope", 11) == 0;
}
