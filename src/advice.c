/* The advice sentences (see advice.h). */
#include "advice.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SRC_BACKLOG   "listen-backlog"
#define SRC_SOMAXCONN "net.core.somaxconn"
#define SRC_SYN       "net.ipv4.tcp_max_syn_backlog"

struct advice_out {
	char *p;
	size_t len, used;
	bool cut;
};

static void advice_add(struct advice_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void advice_add(struct advice_out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->cut)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->len - o->used) {
		o->cut = true;
		o->used = o->len - 1;
		return;
	}
	o->used += (size_t)r;
}

const char *advice_value(int32_t v, char *buf, size_t len)
{
	if (v < 0)
		buf[0] = 0;
	else
		snprintf(buf, len, " (%" PRId32 ")", v);
	return buf;
}

static bool advice_is(const char *source, const char *name)
{
	return source && strcmp(source, name) == 0;
}

bool advice_known_source(const char *source)
{
	return advice_is(source, SRC_BACKLOG) || advice_is(source, SRC_SOMAXCONN) ||
	       advice_is(source, SRC_SYN);
}

const char *advice_syn_also(const char *mode, bool load_note)
{
	if (mode && strcmp(mode, "drop-on-overflow") == 0)
		return ", or enable net.ipv4.tcp_syncookies";
	if (load_note && mode && strcmp(mode, "cookies-on-overflow") == 0)
		return " if this is legitimate load";
	return "";
}

/* somaxconn bound at listen(), and /proc no longer holds that value: only a
 * new listen() picks up the current one. */
static void advice_stale_somaxconn(struct advice_out *o, const struct advice_limit *a,
				   const char *also)
{
	advice_add(o, "net.core.somaxconn bound it when the service called listen(), "
		   "and the listener still runs with that old limit (%" PRIu32 ") "
		   "until it calls listen() again", a->limit);
	if (a->somaxconn >= 0)
		advice_add(o, ", although net.core.somaxconn is now %" PRId32, a->somaxconn);
	if (a->somaxconn >= 0 && (uint32_t)a->somaxconn > a->limit)
		advice_add(o, ": restart/re-listen the service to apply it%s", also);
	else
		advice_add(o, ": raise net.core.somaxconn and restart/re-listen the service%s",
			   also);
}

/* The setting behind the listen() backlog of servers that are often behind
 * a full queue, by the start of their process name. */
static const char *advice_app_backlog(const char *comm)
{
	static const struct {
		const char *comm, *setting;
	} apps[] = {
		{ "php-fpm",      "listen.backlog in php-fpm's pool config" },
		{ "nginx",        "the backlog= parameter of nginx's listen directive" },
		{ "gunicorn",     "gunicorn's --backlog" },
		{ "uwsgi",        "uwsgi's --listen (-l)" },
		{ "haproxy",      "haproxy's backlog setting" },
		{ "redis-server", "redis' tcp-backlog" },
		{ "apache2",      "apache's ListenBacklog" },
		{ "httpd",        "apache's ListenBacklog" },
	};

	for (size_t i = 0; comm && i < sizeof(apps) / sizeof(apps[0]); i++)
		if (strncmp(comm, apps[i].comm, strlen(apps[i].comm)) == 0)
			return apps[i].setting;
	return NULL;
}

int advice_binding(const struct advice_limit *a, char *buf, size_t len)
{
	struct advice_out o = { .p = buf, .len = len };
	const char *also = a->also ? a->also : "";
	char v[32];

	if (!buf || len == 0)
		return -EINVAL;
	buf[0] = 0;
	if (advice_is(a->source, SRC_BACKLOG)) {
		const char *app = advice_app_backlog(a->comm);

		advice_add(&o, "its listen() backlog binds, not net.core.somaxconn%s: "
			   "raise %s%s (raising net.core.somaxconn alone does nothing)",
			   advice_value(a->somaxconn, v, sizeof(v)),
			   app ? app : "the backlog in the application", also);
		if (a->somaxconn_stale)
			advice_add(&o, "; net.core.somaxconn changed since it called listen(), "
				   "and it keeps its old limit until it calls listen() again");
	} else if (advice_is(a->source, SRC_SOMAXCONN) && a->somaxconn_stale) {
		advice_stale_somaxconn(&o, a, also);
	} else if (advice_is(a->source, SRC_SOMAXCONN)) {
		advice_add(&o, "net.core.somaxconn%s binds: raise it and restart/re-listen "
			   "the service (somaxconn is read at listen())%s",
			   advice_value(a->somaxconn, v, sizeof(v)), also);
	} else if (advice_is(a->source, SRC_SYN)) {
		advice_add(&o, "net.ipv4.tcp_max_syn_backlog%s binds (the SYN queue holds at most "
			   "3/4 of it): raise net.ipv4.tcp_max_syn_backlog or enable "
			   "net.ipv4.tcp_syncookies",
			   advice_value(a->max_syn_backlog, v, sizeof(v)));
	} else {
		advice_add(&o, "raise the application's listen() backlog, and "
			   "net.core.somaxconn%s if the backlog is larger%s",
			   advice_value(a->somaxconn, v, sizeof(v)), also);
	}
	return o.cut ? -ENOBUFS : (int)o.used;
}
