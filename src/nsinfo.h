/* A watched network namespace's identity as plain data: its 64-bit id,
 * the inode it had when found, and the name an on-call engineer knows it
 * by (netns_name.h). Copied into the tracker, every event and the status
 * document, so none of them points into the namespace set, which releases
 * namespaces as they go. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "netns_name.h"

struct sw_nsinfo {
	uint64_t id;                 /* NS_GET_ID / SO_NETNS_COOKIE; 0 unknown */
	uint64_t inode;              /* nsfs inode when found; 0 unknown */
	bool own;                    /* the daemon's own namespace ("host") */
	struct netns_name name;      /* .name is "host" for the own one */
};

/* The name the journal, the status document and the filters use: "host"
 * for the daemon's own. netns_name writes a terminated name; an
 * unterminated one (never expected) is no name at all rather than a read
 * past the array. */
static inline const char *nsinfo_name(const struct sw_nsinfo *info)
{
	if (info->own || !info->name.name[0] ||
	    !memchr(info->name.name, 0, sizeof(info->name.name)))
		return NETNS_HOST_NAME;
	return info->name.name;
}

/* The daemon's own namespace before anything is known of it. */
#define SW_NSINFO_HOST { .own = true, .name = { .kind = NETNS_KIND_HOST, .name = NETNS_HOST_NAME } }
