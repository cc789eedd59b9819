/* Snapshots built by hand for the unit tests of what consumes them
 * (check_tracker, check_status), so that those do not depend on the dump
 * code. The includer defines NETNS, the namespace the snapshots are of. */
#pragma once

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "snapshot.h"
#include "macro.h"

#ifndef NETNS
#error "define NETNS before including snapbuild.h"
#endif


static inline void snap_init(struct sw_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->netns = NETNS;
	s->sysctl = (struct sw_sysctl) { .somaxconn = 4096, .max_syn_backlog = 2048, .syncookies = 1 };
}

static inline void snap_free(struct sw_snapshot *s)
{
	for (size_t i = 0; i < s->n_groups; i++)
		free(s->groups[i].sources);
	free(s->groups);
	free(s->listeners);
	memset(s, 0, sizeof(*s));
}

/* Empties listeners and groups, keeps sysctls and counters. */
static inline void snap_reset(struct sw_snapshot *s)
{
	struct sw_sysctl sc = s->sysctl;
	struct sw_netstat ns = s->netstat;

	snap_free(s);
	snap_init(s);
	s->sysctl = sc;
	s->netstat = ns;
}

static inline void parse_ep(const char *ep, uint8_t *family, uint8_t addr[16], uint16_t *port)
{
	int fam;
	bool wild;

	ck_assert_int_eq(addr_endpoint_parse(ep, &fam, addr, port, &wild), 0);
	ck_assert(!wild);
	*family = (uint8_t)fam;
}

static inline struct sw_listener *snap_add(struct sw_snapshot *s, uint64_t cookie, const char *ep,
				    uint32_t depth, uint32_t limit, uint32_t drops)
{
	struct sw_listener *l;

	if (s->n_listeners == s->cap_listeners) {
		s->cap_listeners = s->cap_listeners ? 2 * s->cap_listeners : 8;
		s->listeners = realloc(s->listeners, s->cap_listeners * sizeof(*l));
		ck_assert_ptr_nonnull(s->listeners);
	}
	l = &s->listeners[s->n_listeners++];
	memset(l, 0, sizeof(*l));
	l->cookie = cookie;
	parse_ep(ep, &l->family, l->addr, &l->port);
	l->inode = (uint32_t)(1000 + cookie);
	l->uid = 0;
	l->accept_depth = depth;
	l->accept_limit = limit;
	l->drops = drops;
	l->has_drops = true;
	l->syn_group = -1;
	return l;
}

/* A scanned SYN group for ep; every listener on ep joins it. */
static inline struct sw_syn_group *snap_group(struct sw_snapshot *s, const char *ep, uint32_t depth)
{
	struct sw_syn_group *g;

	s->groups = realloc(s->groups, (s->n_groups + 1) * sizeof(*g));
	ck_assert_ptr_nonnull(s->groups);
	g = &s->groups[s->n_groups];
	memset(g, 0, sizeof(*g));
	parse_ep(ep, &g->family, g->addr, &g->port);
	g->depth = depth;
	for (size_t i = 0; i < s->n_listeners; i++) {
		struct sw_listener *l = &s->listeners[i];

		if (l->family == g->family && l->port == g->port &&
		    memcmp(l->addr, g->addr, 16) == 0) {
			l->syn_group = (int32_t)s->n_groups;
			g->n_members++;
		}
	}
	s->n_groups++;
	s->syn_scanned = true;
	return g;
}

static inline void group_source(struct sw_syn_group *g, const char *addr, uint32_t count)
{
	struct sw_syn_source *src;

	g->sources = realloc(g->sources, (g->n_sources + 1) * sizeof(*src));
	ck_assert_ptr_nonnull(g->sources);
	src = &g->sources[g->n_sources++];
	memset(src, 0, sizeof(*src));
	src->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(src->family, addr, src->addr), 1);
	src->count = count;
	g->cap_sources = g->n_sources;
}

static inline void snap_counters(struct sw_snapshot *s, uint64_t v)
{
	for (int c = 0; c < _SW_CTR_MAX; c++)
		s->netstat.value[c] = v;
	s->netstat.present = (1u << _SW_CTR_MAX) - 1;
}
