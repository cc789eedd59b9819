#include "event.h"

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
