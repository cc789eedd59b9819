#include "event.h"

#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "addr.h"
#include "grow.h"

/* events_clear() gives back arrays larger than this. */
#define EVENTS_KEEP_CAP 64

const char *event_kind_name(enum sw_event_kind k)
{
	switch (k) {
	case SW_EV_ACCEPT_QUEUE: return "accept-queue";
	case SW_EV_SYN_QUEUE:    return "syn-queue";
	case SW_EV_LISTEN_DROPS: return "listen-drops";
	case SW_EV_SYNCOOKIES:   return "syncookies";
	case SW_EV_CLEARED:      return "cleared";
	case SW_EV_LIFECYCLE:    return "lifecycle";
	}
	return "unknown";
}

const char *event_listener_name(const struct sw_event *ev, char *buf, size_t len)
{
	int family = ev->family == AF_UNIX || ev->family == AF_INET6 ? ev->family : AF_INET;

	return addr_listener_str(family, ev->addr, ev->port, ev->path, buf, len);
}

const char *event_level_name(enum sw_level l)
{
	switch (l) {
	case SW_LEVEL_OK:       return "ok";
	case SW_LEVEL_WARNING:  return "warning";
	case SW_LEVEL_CRITICAL: return "critical";
	}
	return "unknown";
}

const char *event_queue_name(enum sw_queue q)
{
	switch (q) {
	case SW_QUEUE_ACCEPT: return "accept";
	case SW_QUEUE_SYN:    return "syn";
	case SW_QUEUE_NONE:   break;
	}
	return NULL;
}

struct sw_event *events_push(struct sw_events *e)
{
	struct sw_event *ev;

	if (e->n == e->cap) {
		struct sw_event *nv = grow_array(e->v, &e->cap, e->n + 1, sizeof(*nv), 16);

		if (!nv)
			return NULL;
		e->v = nv;
	}
	ev = &e->v[e->n++];
	memset(ev, 0, sizeof(*ev));
	return ev;
}

void events_clear(struct sw_events *e)
{
	if (!e)
		return;
	e->n = 0;
	/* A burst (all listeners of a namespace vanishing in alert) must not
	 * pin its array for the daemon's lifetime. */
	if (e->cap > EVENTS_KEEP_CAP) {
		free(e->v);
		e->v = NULL;
		e->cap = 0;
	}
}

void events_free(struct sw_events *e)
{
	if (!e)
		return;
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}
