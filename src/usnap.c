/* The UNIX listeners of one poll: a bounded array and the one rule of how
 * a socket's name is shown. */
#include "usnap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "grow.h"
#include "text.h"

#define USNAP_MIN_CAP 64

void usnap_init(struct sw_unix_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void usnap_clear(struct sw_unix_snapshot *s)
{
	if (!s)
		return;
	free(s->listeners);
	usnap_init(s);
}

void usnap_reset(struct sw_unix_snapshot *s)
{
	s->taken_usec = 0;
	s->n_listeners = 0;
	s->over_bound = 0;
	s->skipped_msgs = 0;
	s->skipped_attrs = 0;
	s->dump_retries = 0;
}

int usnap_add(struct sw_unix_snapshot *s, const struct sw_unix_listener *l)
{
	if (s->n_listeners >= SW_UNIX_LISTENERS_MAX) {
		s->over_bound++;
		return 0;
	}
	if (s->n_listeners >= s->cap_listeners) {
		void *a = grow_array(s->listeners, &s->cap_listeners, s->n_listeners + 1,
				     sizeof(*s->listeners), USNAP_MIN_CAP);

		if (!a)
			return -ENOMEM;
		s->listeners = a;
	}
	s->listeners[s->n_listeners++] = *l;
	return 0;
}

void usnap_truncate(struct sw_unix_snapshot *s, size_t n)
{
	if (n < s->n_listeners)
		s->n_listeners = n;
}

int usnap_name(struct sw_unix_listener *l, const void *raw, size_t len)
{
	const char *p = raw;
	char tmp[SW_UNIX_NAME_RAW_MAX + 1];
	bool abstract;

	if (len == 0 || len > SW_UNIX_NAME_RAW_MAX)
		return -EINVAL;
	abstract = p[0] == 0;
	if (abstract) {
		/* No NUL ends it: its length is what bind() was given, and ss
		 * shows every NUL in it as '@'. */
		if (len > SW_UNIX_NAME_RAW_MAX - 1)
			return -EINVAL;
		for (size_t i = 0; i < len; i++)
			tmp[i] = p[i] ? p[i] : '@';
		tmp[len] = 0;
	} else {
		/* The kernel stores strlen(sun_path) + 1 bytes: exactly one
		 * NUL, the last. */
		if (p[len - 1] != 0 || memchr(p, 0, len - 1))
			return -EINVAL;
		memcpy(tmp, p, len);
	}
	/* Replacements are one byte for one or two: it always fits. */
	text_clean(l->path, sizeof(l->path), tmp, sizeof(tmp), 0);
	l->has_name = true;
	l->abstract = abstract;
	l->relative = !abstract && p[0] != '/';
	return 0;
}

const struct sw_unix_listener *usnap_find_cookie(const struct sw_unix_snapshot *s,
						 uint64_t cookie)
{
	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].cookie == cookie)
			return &s->listeners[i];
	return NULL;
}

size_t usnap_drop_inode(struct sw_unix_snapshot *s, uint32_t inode)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].inode != inode)
			s->listeners[k++] = s->listeners[i];
	k = s->n_listeners - k;
	s->n_listeners -= k;
	return k;
}

const char *usnap_type_name(uint8_t type)
{
	switch (type) {
	case SOCK_STREAM:    return "stream";
	case SOCK_SEQPACKET: return "seqpacket";
	}
	return "unknown";
}
