/* The Prometheus exposition, written family by family into one growing
 * buffer: listeners are first gathered into series groups (one small record
 * each), then each family walks them. What is dear to write (listener
 * names, their sort, escaped label sets, the listener_info labels) is kept
 * in a cache between scrapes, per namespace while its tracker lists the
 * same sockets, per group while its owner, limit source and SYN mode stay;
 * the figures are read fresh every time. metrics_format() is the same path
 * with an empty cache, so a cached exposition is the fresh one. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "grow.h"
#include "queue_limits.h"
#include "macro.h"
#include "owner.h"
#include "tracker.h"

/* grow_array() for the pointer at *p: 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	void *np = grow_array(*p, cap, need, elem, 64);

	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

/* ---- the output buffer ---------------------------------------------------- */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* The slow path of mb_put: room for n more bytes. s may point into b
 * itself (a label set copied from earlier in it): its offset is kept across
 * the realloc. Returns where s is now, or NULL (out of memory). */
static const char *mb_grow(struct mbuf *b, const char *s, size_t n)
{
	bool inside = s && b->p && s >= b->p && s < b->p + b->len;
	size_t off = inside ? (size_t)(s - b->p) : 0;
	size_t cap = b->cap ? b->cap : 4096;
	char *np;

	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return NULL;
		}
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return NULL;
	}
	b->p = np;
	b->cap = cap;
	return inside ? np + off : s;
}

static inline void mb_put(struct mbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap && !(s = mb_grow(b, s, n)))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void mb_puts(struct mbuf *b, const char *s)
{
	mb_put(b, s, strlen(s));
}

/* Room for n more bytes at the end of b, written by the caller, who then
 * sets b->len; NULL when out of memory. */
static inline char *mb_reserve(struct mbuf *b, size_t n)
{
	if (!b->oom && b->len + n > b->cap)
		mb_grow(b, NULL, n);
	return b->oom ? NULL : b->p + b->len;
}

#define U64_DIGITS 20

/* v in decimal at p (U64_DIGITS at most): the length written. */
static inline size_t u64_put(char *p, uint64_t v)
{
	char tmp[U64_DIGITS];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(p, tmp + i, sizeof(tmp) - i);
	return sizeof(tmp) - i;
}

static void mb_u64(struct mbuf *b, uint64_t v)
{
	char *p = mb_reserve(b, U64_DIGITS);

	if (p)
		b->len += u64_put(p, v);
}

/* Seconds from microseconds, exactly: "0.001234". */
static void mb_seconds(struct mbuf *b, uint64_t usec)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64 ".%06" PRIu64, (uint64_t)(usec / USEC_PER_SEC),
			 (uint64_t)(usec % USEC_PER_SEC));

	mb_put(b, tmp, (size_t)n);
}

/* ---- label values --------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t metrics_label_escape(const char *s, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;

	size_t plain = 0;

	if (size == 0)
		return 0;
	/* Most values need nothing: printable ASCII without \\ or ". */
	while (plain < n && u[plain] >= 0x20 && u[plain] < 0x7f && u[plain] != '\\' &&
	       u[plain] != '"')
		plain++;
	if (plain == n && n < size) {
		memcpy(out, s, n + 1);
		return n;
	}
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(u + i, n - i);
		const char *w = (const char *)u + i;
		size_t wn = len;

		if (len == 0) {
			w = "\xef\xbf\xbd";     /* U+FFFD */
			wn = 3;
			len = 1;
		} else if (u[i] == '\\') {
			w = "\\\\";
			wn = 2;
		} else if (u[i] == '"') {
			w = "\\\"";
			wn = 2;
		} else if (u[i] == '\n') {
			w = "\\n";
			wn = 2;
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			w = "?";
			wn = 1;
		}
		if (o + wn >= size)
			break;
		memcpy(out + o, w, wn);
		o += wn;
		i += len;
	}
	out[o] = 0;
	return o;
}

/* Room for any escaped label value the exposition writes: each byte of a
 * name may become three. */
#define LABEL_MAX (3 * SW_MAX(LISTENER_STRLEN, SW_MAX(SW_UNIT_MAX, NETNS_NAME_MAX + 24)) + 1)

static void mb_label(struct mbuf *b, const char *key, const char *value, bool first)
{
	char esc[LABEL_MAX];
	size_t n = metrics_label_escape(value, esc, sizeof(esc));

	if (!first)
		mb_put(b, ",", 1);
	mb_puts(b, key);
	mb_put(b, "=\"", 2);
	mb_put(b, esc, n);
	mb_put(b, "\"", 1);
}

/* ---- series groups, and the cache of their label sets ---------------------- */

/* A series group as the cache keeps it between scrapes: its members (in
 * the namespace's sorted order), its label set and the labels of its
 * sockwatch_listener_info sample with what they were written from. */
struct mc_group {
	uint32_t first, n;                  /* order[first .. first + n) */
	size_t labels_off, labels_len;      /* in the namespace's labels */
	char *info;                         /* unit NUL comm NUL ",unit=...": malloc'd */
	size_t info_off, info_len;          /* the escaped labels in info */
	enum sw_limit_source source;
	enum sw_syn_mode syn_mode;
	bool has_info;
};

/* One namespace's groups, valid while its tracker lists the same cookies
 * in the same order (a cookie names one socket for its life, so its name,
 * family and port stay) and its netns label is the same. */
struct mc_ns {
	const struct sw_tracker *tracker;
	uint64_t inode;
	char *ns_label;                     /* netns="...", as its label sets begin */
	size_t ns_label_len;
	uint64_t *cookies;                  /* tracker order when built */
	uint32_t *order;                    /* tracker indices, in series order */
	size_t n;
	struct mc_group *g;
	size_t n_g;
	struct mbuf labels;                 /* every group's label set */
	bool used;
};

struct sw_metrics_cache {
	struct mc_ns *ns;
	size_t n_ns, cap_ns;
	size_t last_len;                    /* the last exposition's size: the next one's buffer */
};

/* A group while writing one exposition. */
struct mgroup {
	const struct sw_tracked *tr;        /* the member with the lowest cookie */
	struct mc_group *cg;
	const char *labels;
	size_t labels_len;
	uint64_t accept_depth, accept_limit, drops;
	bool busy, kept;
};

/* A listener while gathering: its name, for the sort. */
struct mentry {
	const struct sw_tracked *tr;
	uint32_t idx;                       /* in the tracker */
	char name[LISTENER_STRLEN];
};

static int family_rank(const struct sw_tracked *tr)
{
	return tr->family == AF_INET ? 0 : tr->family == AF_INET6 ? 1 : 2;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct mentry *x = a, *y = b;
	int r = family_rank(x->tr) - family_rank(y->tr);

	if (r)
		return r;
	r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->tr->cookie < y->tr->cookie ? -1 : x->tr->cookie > y->tr->cookie;
}

static const char *family_label(const struct sw_tracked *tr)
{
	return tr->family == AF_UNIX ? "unix" : tr->family == AF_INET6 ? "inet6" : "inet";
}

static void mc_ns_clear(struct mc_ns *c)
{
	for (size_t i = 0; i < c->n_g; i++)
		free(c->g[i].info);
	free(c->g);
	free(c->cookies);
	free(c->order);
	free(c->ns_label);
	free(c->labels.p);
	*c = (struct mc_ns){ 0 };
}

int metrics_cache_new(struct sw_metrics_cache **ret)
{
	struct sw_metrics_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

void metrics_cache_free(struct sw_metrics_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_ns; i++)
		mc_ns_clear(&c->ns[i]);
	free(c->ns);
	free(c);
}

struct mstate {
	const struct sw_status_inputs *in;
	struct sw_metrics_cache *cache;
	struct mbuf out;
	struct mbuf labels;                 /* the namespaces' label sets */
	struct mbuf scratch;
	struct mgroup *g;
	size_t n_g, cap_g;
	size_t *ns_labels_off, *ns_labels_len;
	size_t omitted;
};

static int ns_index_cmp(const void *a, const void *b, void *userdata)
{
	const struct sw_status_ns *ns = userdata;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = strcmp(nsinfo_name(status_ns_info(&ns[x])), nsinfo_name(status_ns_info(&ns[y])));

	return r ? r : x < y ? -1 : x > y;
}

/* The namespaces' netns label values: the name, with " (netns ID)" added
 * when an earlier namespace of the inputs has that name too. */
static int ns_labels(struct mstate *st)
{
	const struct sw_status_inputs *in = st->in;
	size_t n = in->n_ns ? in->n_ns : 1;
	_cleanup_free_ size_t *order = calloc(n, sizeof(size_t));
	_cleanup_free_ bool *dup = calloc(n, sizeof(bool));

	st->ns_labels_off = calloc(n, sizeof(size_t));
	st->ns_labels_len = calloc(n, sizeof(size_t));
	if (!order || !dup || !st->ns_labels_off || !st->ns_labels_len)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_ns; i++)
		order[i] = i;
	qsort_r(order, in->n_ns, sizeof(*order), ns_index_cmp, (void *)in->ns);
	for (size_t k = 1; k < in->n_ns; k++)
		dup[order[k]] = strcmp(nsinfo_name(status_ns_info(&in->ns[order[k]])),
				       nsinfo_name(status_ns_info(&in->ns[order[k - 1]]))) == 0;
	for (size_t i = 0; i < in->n_ns; i++) {
		const struct sw_nsinfo *info = status_ns_info(&in->ns[i]);
		const char *name = nsinfo_name(info);
		char buf[NETNS_NAME_MAX + 24];

		if (dup[i]) {
			snprintf(buf, sizeof(buf), "%s (netns %" PRIu64 ")", name, info->id);
			name = buf;
		}
		st->ns_labels_off[i] = st->labels.len;
		mb_label(&st->labels, "netns", name, true);
		st->ns_labels_len[i] = st->labels.len - st->ns_labels_off[i];
	}
	return st->labels.oom ? -ENOMEM : 0;
}

/* Whether c still holds namespace i's groups as they are now. */
static bool mc_ns_valid(const struct mstate *st, const struct mc_ns *c, size_t i)
{
	const struct sw_tracker *t = st->in->ns[i].tracker;
	size_t n = tracker_count(t);

	if (c->n != n || c->ns_label_len != st->ns_labels_len[i] ||
	    memcmp(c->ns_label, st->labels.p + st->ns_labels_off[i], c->ns_label_len) != 0)
		return false;
	for (size_t k = 0; k < n; k++)
		if (tracker_get(t, k)->cookie != c->cookies[k])
			return false;
	return true;
}

/* Namespace i's groups, written afresh into c (cleared): names, sort, label
 * sets. */
static int mc_ns_build(struct mstate *st, struct mc_ns *c, size_t i)
{
	const struct sw_tracker *t = st->in->ns[i].tracker;
	size_t n = tracker_count(t), cap_g = 0;
	_cleanup_free_ struct mentry *e = calloc(n ? n : 1, sizeof(*e));
	char port[U64_DIGITS + 1];
	int r;

	mc_ns_clear(c);
	c->tracker = t;
	c->inode = status_ns_info(&st->in->ns[i])->inode;
	c->n = n;
	c->cookies = calloc(n ? n : 1, sizeof(*c->cookies));
	c->order = calloc(n ? n : 1, sizeof(*c->order));
	c->ns_label = malloc(st->ns_labels_len[i] + 1);
	if (!e || !c->cookies || !c->order || !c->ns_label)
		return -ENOMEM;
	c->ns_label_len = st->ns_labels_len[i];
	memcpy(c->ns_label, st->labels.p + st->ns_labels_off[i], c->ns_label_len);
	for (size_t k = 0; k < n; k++) {
		e[k].tr = tracker_get(t, k);
		e[k].idx = (uint32_t)k;
		c->cookies[k] = e[k].tr->cookie;
		tracker_listener_name(e[k].tr, e[k].name, sizeof(e[k].name));
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	for (size_t k = 0; k < n; k++) {
		const struct sw_tracked *tr = e[k].tr;
		struct mc_group *g;

		c->order[k] = e[k].idx;
		if (k > 0 && family_rank(tr) == family_rank(e[k - 1].tr) &&
		    strcmp(e[k].name, e[k - 1].name) == 0) {
			c->g[c->n_g - 1].n++;
			continue;
		}
		r = grow((void **)&c->g, &cap_g, c->n_g + 1, sizeof(*c->g));
		if (r < 0)
			return r;
		g = &c->g[c->n_g++];
		*g = (struct mc_group){ .first = (uint32_t)k, .n = 1, .labels_off = c->labels.len };
		mb_put(&c->labels, c->ns_label, c->ns_label_len);
		mb_label(&c->labels, "listener", e[k].name, false);
		mb_label(&c->labels, "family", family_label(tr), false);
		if (tr->family != AF_UNIX) {
			port[u64_put(port, tr->port)] = 0;
			mb_label(&c->labels, "port", port, false);
		}
		g->labels_len = c->labels.len - g->labels_off;
	}
	return c->labels.oom ? -ENOMEM : 0;
}

/* Namespace i's entry in the cache, valid: found, or built. */
static int mc_ns_get(struct mstate *st, size_t i, struct mc_ns **ret)
{
	struct sw_metrics_cache *mc = st->cache;
	const struct sw_tracker *t = st->in->ns[i].tracker;
	uint64_t inode = status_ns_info(&st->in->ns[i])->inode;
	struct mc_ns *c = NULL;
	int r;

	for (size_t k = 0; k < mc->n_ns && !c; k++)
		if (!mc->ns[k].used && mc->ns[k].tracker == t && mc->ns[k].inode == inode)
			c = &mc->ns[k];
	if (!c) {
		r = grow((void **)&mc->ns, &mc->cap_ns, mc->n_ns + 1, sizeof(*mc->ns));
		if (r < 0)
			return r;
		c = &mc->ns[mc->n_ns++];
		*c = (struct mc_ns){ 0 };
	}
	c->used = true;
	if (!c->order || !mc_ns_valid(st, c, i)) {
		r = mc_ns_build(st, c, i);
		c->used = true;
		if (r < 0) {
			mc_ns_clear(c);    /* never half a namespace kept */
			c->used = true;
			return r;
		}
	}
	*ret = c;
	return 0;
}

/* The namespaces the inputs no longer have leave the cache. */
static void mc_sweep(struct sw_metrics_cache *mc)
{
	size_t k = 0;

	for (size_t i = 0; i < mc->n_ns; i++) {
		if (!mc->ns[i].used) {
			mc_ns_clear(&mc->ns[i]);
			continue;
		}
		mc->ns[i].used = false;
		mc->ns[k++] = mc->ns[i];
	}
	mc->n_ns = k;
}

/* One namespace's groups with this poll's figures; busy: what plain status
 * would show, the one idle rule. */
static int gather_ns(struct mstate *st, size_t i)
{
	const struct sw_tracker *t = st->in->ns[i].tracker;
	const struct sw_nsinfo *info = status_ns_info(&st->in->ns[i]);
	struct mc_ns *c;
	int r;

	r = mc_ns_get(st, i, &c);
	if (r < 0)
		return r;
	r = grow((void **)&st->g, &st->cap_g, st->n_g + c->n_g, sizeof(*st->g));
	if (r < 0)
		return r;
	for (size_t k = 0; k < c->n_g; k++) {
		struct mc_group *cg = &c->g[k];
		struct mgroup *g = &st->g[st->n_g++];

		*g = (struct mgroup){
			.tr = tracker_get(t, c->order[cg->first]), .cg = cg,
			.labels = c->labels.p + cg->labels_off, .labels_len = cg->labels_len,
		};
		for (uint32_t m = cg->first; m < cg->first + cg->n; m++) {
			const struct sw_tracked *tr = tracker_get(t, c->order[m]);
			struct sw_ctl_listener_facts facts;

			g->accept_depth += tr->accept.depth;
			g->accept_limit += tr->accept.limit;
			g->drops += tr->drops.total;
			if (g->busy)
				continue;
			/* the idle rule reads no name */
			status_listener_facts(info, tr, "", &facts);
			if (!protocol_facts_idle(&facts))
				g->busy = true;
		}
	}
	return 0;
}

/* Every namespace's groups, then which of them are written. */
static int gather(struct mstate *st, size_t max)
{
	size_t kept = 0;
	int r;

	for (size_t i = 0; i < st->in->n_ns; i++) {
		r = gather_ns(st, i);
		if (r < 0)
			return r;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->n_g; i++)
			if (!st->g[i].kept && (pass == 1 || st->g[i].busy) && kept < max) {
				st->g[i].kept = true;
				kept++;
			}
	st->omitted = st->n_g - kept;
	return 0;
}

/* ---- the families --------------------------------------------------------- */

static void family_head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_puts(b, "# HELP ");
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_puts(b, help);
	mb_puts(b, "\n# TYPE ");
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_puts(b, type);
	mb_put(b, "\n", 1);
}

/* name{labels} value; name is n bytes */
static inline void sample_open(struct mbuf *b, const char *name, size_t n, const char *labels,
			       size_t len)
{
	mb_put(b, name, n);
	mb_put(b, "{", 1);
	mb_put(b, labels, len);
}

/* The one line most of an exposition is: its room reserved once. */
static inline void sample_u64(struct mbuf *b, const char *name, size_t n, const char *labels,
			      size_t len, uint64_t v)
{
	char *p = mb_reserve(b, n + 1 + len + 2 + U64_DIGITS + 1), *start = p;

	if (!p)
		return;
	memcpy(p, name, n);
	p += n;
	*p++ = '{';
	memcpy(p, labels, len);
	p += len;
	*p++ = '}';
	*p++ = ' ';
	p += u64_put(p, v);
	*p++ = '\n';
	b->len += (size_t)(p - start);
}

enum lfield { L_ACCEPT_LEN, L_ACCEPT_LIMIT, L_SYN_LEN, L_SYN_LIMIT, L_DROPS };

static const struct {
	const char *name, *type, *help;
} lfamilies[] = {
	[L_ACCEPT_LEN] = { "sockwatch_accept_queue_length", "gauge",
			   "Connections waiting in the listener's accept queue (ss Recv-Q), summed over its sockets." },
	[L_ACCEPT_LIMIT] = { "sockwatch_accept_queue_limit", "gauge",
			     "The accept queue's limit, min(listen() backlog, net.core.somaxconn at listen()) (ss Send-Q), summed over its sockets." },
	[L_SYN_LEN] = { "sockwatch_syn_queue_length", "gauge",
			"Half-open connections in the TCP listener's SYN queue at its last SYN scan." },
	[L_SYN_LIMIT] = { "sockwatch_syn_queue_limit", "gauge",
			  "The SYN queue's limit the running kernel enforces." },
	[L_DROPS] = { "sockwatch_listen_drops_total", "counter",
		      "Connections the TCP listener dropped (its sk_drops) since sockwatchd first saw it." },
};

static void listener_family(struct mstate *st, enum lfield f)
{
	struct mbuf *b = &st->out;
	size_t n = strlen(lfamilies[f].name);

	family_head(b, lfamilies[f].name, lfamilies[f].type, lfamilies[f].help);
	for (size_t i = 0; i < st->n_g; i++) {
		const struct mgroup *g = &st->g[i];
		const struct sw_tracked *tr = g->tr;
		uint64_t v;

		if (!g->kept)
			continue;
		switch (f) {
		case L_ACCEPT_LEN:   v = g->accept_depth; break;
		case L_ACCEPT_LIMIT: v = g->accept_limit; break;
		case L_SYN_LEN:
			if (tr->family == AF_UNIX || !tr->syn_scanned)
				continue;
			v = tr->syn.depth;
			break;
		case L_SYN_LIMIT:
			if (tr->family == AF_UNIX)
				continue;
			v = tr->syn.limit;
			break;
		case L_DROPS:
			if (tr->family == AF_UNIX)
				continue;
			v = g->drops;
			break;
		default:
			continue;
		}
		sample_u64(b, lfamilies[f].name, n, g->labels, g->labels_len, v);
	}
}

/* The labels after a group's label set in its sockwatch_listener_info
 * sample, into cg->info: kept while its owner's unit and comm, its limit
 * source and SYN mode stay. scratch: written in, then copied at its size.
 * 0 or -ENOMEM. */
static int info_labels(struct mc_group *cg, const struct sw_tracked *tr, const struct sw_owner *ow,
		       struct mbuf *scratch)
{
	size_t nu = strlen(ow->unit), nc = strlen(ow->comm);
	char *p;

	if (cg->has_info && cg->source == tr->accept.source && cg->syn_mode == tr->syn_mode &&
	    strcmp(cg->info, ow->unit) == 0 && strcmp(cg->info + nu + 1, ow->comm) == 0)
		return 0;
	scratch->len = 0;
	mb_put(scratch, ow->unit, nu + 1);
	mb_put(scratch, ow->comm, nc + 1);
	mb_label(scratch, "unit", ow->unit, false);
	mb_label(scratch, "comm", ow->comm, false);
	mb_label(scratch, "limit_source", limits_source_name(tr->accept.source), false);
	if (tr->family != AF_UNIX)
		mb_label(scratch, "syn_mode", limits_syn_mode_name(tr->syn_mode), false);
	p = scratch->oom ? NULL : malloc(scratch->len);
	if (!p)
		return -ENOMEM;
	memcpy(p, scratch->p, scratch->len);
	free(cg->info);
	cg->info = p;
	cg->info_off = nu + 1 + nc + 1;
	cg->info_len = scratch->len - cg->info_off;
	cg->source = tr->accept.source;
	cg->syn_mode = tr->syn_mode;
	cg->has_info = true;
	return 0;
}

static int listener_info(struct mstate *st)
{
	static const char name[] = "sockwatch_listener_info{";
	const struct sw_status_inputs *in = st->in;
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_listener_info", "gauge",
		    "1 per listener: who holds it (unit, comm), which setting binds its accept queue (limit_source) and its SYN queue mode.");
	for (size_t i = 0; i < st->n_g; i++) {
		const struct mgroup *g = &st->g[i];
		const struct sw_tracked *tr = g->tr;
		struct sw_owner ow;
		char *p;

		if (!g->kept)
			continue;
		if (!in->owner || in->owner(in->owner_userdata, tr, &ow) < 0)
			ow = (struct sw_owner){ 0 };
		if (info_labels(g->cg, tr, &ow, &st->scratch) < 0)
			return -ENOMEM;
		p = mb_reserve(b, sizeof(name) - 1 + g->labels_len + g->cg->info_len + 4);
		if (!p)
			return -ENOMEM;
		memcpy(p, name, sizeof(name) - 1);
		p += sizeof(name) - 1;
		memcpy(p, g->labels, g->labels_len);
		p += g->labels_len;
		memcpy(p, g->cg->info + g->cg->info_off, g->cg->info_len);
		p += g->cg->info_len;
		memcpy(p, "} 1\n", 4);
		b->len = (size_t)(p + 4 - b->p);
	}
	return 0;
}

enum nfield { N_SOMAXCONN, N_MAX_SYN_BACKLOG, N_SYNCOOKIES, N_OVERFLOWS, N_DROPS };

static const struct {
	const char *name, *type, *help;
} nfamilies[] = {
	[N_SOMAXCONN] = { "sockwatch_somaxconn", "gauge", "net.core.somaxconn of the namespace." },
	[N_MAX_SYN_BACKLOG] = { "sockwatch_tcp_max_syn_backlog", "gauge",
				"net.ipv4.tcp_max_syn_backlog of the namespace." },
	[N_SYNCOOKIES] = { "sockwatch_tcp_syncookies", "gauge",
			   "net.ipv4.tcp_syncookies of the namespace (0 off, 1 on overflow, 2 always)." },
	[N_OVERFLOWS] = { "sockwatch_netns_listen_overflows_total", "counter",
			  "TcpExt ListenOverflows of the namespace: connections dropped at a full accept queue." },
	[N_DROPS] = { "sockwatch_netns_listen_drops_total", "counter",
		      "TcpExt ListenDrops of the namespace: every connection its listeners dropped." },
};

static void ns_family(struct mstate *st, enum nfield f)
{
	struct mbuf *b = &st->out;

	family_head(b, nfamilies[f].name, nfamilies[f].type, nfamilies[f].help);
	for (size_t i = 0; i < st->in->n_ns; i++) {
		const struct sw_ns_state *ns = tracker_ns(st->in->ns[i].tracker);
		int64_t v = -1;

		switch (f) {
		case N_SOMAXCONN:       v = ns->sysctl.somaxconn; break;
		case N_MAX_SYN_BACKLOG: v = ns->sysctl.max_syn_backlog; break;
		case N_SYNCOOKIES:      v = ns->sysctl.syncookies; break;
		case N_OVERFLOWS:
			if (netstat_has(&ns->counters, SW_CTR_LISTEN_OVERFLOWS))
				v = (int64_t)ns->counters.value[SW_CTR_LISTEN_OVERFLOWS];
			break;
		case N_DROPS:
			if (netstat_has(&ns->counters, SW_CTR_LISTEN_DROPS))
				v = (int64_t)ns->counters.value[SW_CTR_LISTEN_DROPS];
			break;
		}
		if (v < 0)
			continue;   /* not read (yet) */
		sample_u64(b, nfamilies[f].name, strlen(nfamilies[f].name),
			   st->labels.p + st->ns_labels_off[i], st->ns_labels_len[i], (uint64_t)v);
	}
}

static void ns_info_family(struct mstate *st)
{
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_namespace_info", "gauge",
		    "1 per watched network namespace: its id and, for a container's, the container id and pod uid.");
	for (size_t i = 0; i < st->in->n_ns; i++) {
		const struct sw_nsinfo *info = status_ns_info(&st->in->ns[i]);
		char id[24] = "";

		if (info->id)
			snprintf(id, sizeof(id), "%" PRIu64, info->id);
		sample_open(b, "sockwatch_namespace_info", strlen("sockwatch_namespace_info"),
			    st->labels.p + st->ns_labels_off[i], st->ns_labels_len[i]);
		mb_label(b, "netns_id", id, false);
		mb_label(b, "container", info->own ? "" : info->name.container, false);
		mb_label(b, "pod_uid", info->own ? "" : info->name.pod_uid, false);
		mb_puts(b, "} 1\n");
	}
}

static void daemon_u64(struct mbuf *b, const char *name, const char *type, const char *help,
		       uint64_t v)
{
	family_head(b, name, type, help);
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_u64(b, v);
	mb_put(b, "\n", 1);
}

static void daemon_seconds(struct mbuf *b, const char *name, const char *help, uint64_t usec)
{
	family_head(b, name, "gauge", help);
	mb_puts(b, name);
	mb_put(b, " ", 1);
	mb_seconds(b, usec);
	mb_put(b, "\n", 1);
}

static void daemon_families(struct mstate *st, const struct sw_metrics_opts *o)
{
	const struct sw_status_daemon *d = st->in->daemon;
	struct mbuf *b = &st->out;

	family_head(b, "sockwatch_build_info", "gauge", "1, with the version of sockwatchd.");
	mb_puts(b, "sockwatch_build_info{");
	mb_label(b, "version", o->version ? o->version : "", true);
	mb_puts(b, "} 1\n");
	daemon_u64(b, "sockwatch_polls_total", "counter", "Listener polls completed.", d->polls);
	daemon_u64(b, "sockwatch_poll_errors_total", "counter",
		   "Dumps and reads of a poll that failed (sockwatchctl status says which).",
		   d->poll_errors);
	daemon_u64(b, "sockwatch_late_polls_total", "counter",
		   "Polls that started later than their lateness threshold.", d->late_polls);
	daemon_seconds(b, "sockwatch_poll_duration_seconds",
		       "Wall-clock time the last listener poll took.", d->last_poll_wall_us);
	daemon_seconds(b, "sockwatch_syn_scan_duration_seconds",
		       "CPU time the last SYN_RECV scan of a namespace took.", d->syn_last_cost_us);
	if (o->last_poll_realtime_usec)
		daemon_seconds(b, "sockwatch_last_poll_timestamp_seconds",
			       "When the last listener poll completed, in seconds since the epoch.",
			       o->last_poll_realtime_usec);
	daemon_u64(b, "sockwatch_listeners_omitted", "gauge",
		   "Listeners left out of these metrics by [metrics] max_listeners.", st->omitted);
}

int metrics_format_cached(const struct sw_status_inputs *in, const struct sw_metrics_opts *o,
			  struct sw_metrics_cache *cache, char **ret, size_t *ret_len)
{
	struct mstate st = { .in = in, .cache = cache };
	int r;

	/* about the size of the last one: no copies while it grows */
	if (cache->last_len) {
		st.out.cap = cache->last_len + cache->last_len / 8 + 4096;
		st.out.p = malloc(st.out.cap);
		if (!st.out.p)
			st.out.cap = 0;
	}
	r = ns_labels(&st);
	if (r >= 0)
		r = gather(&st, o->max_listeners);
	if (r >= 0) {
		for (enum lfield f = L_ACCEPT_LEN; f <= L_DROPS; f++)
			listener_family(&st, f);
		r = listener_info(&st);
	}
	if (r >= 0) {
		for (enum nfield f = N_SOMAXCONN; f <= N_DROPS; f++)
			ns_family(&st, f);
		ns_info_family(&st);
		daemon_families(&st, o);
		if (st.out.oom)
			r = -ENOMEM;
	}
	/* namespaces not seen leave the cache (after a failure too: those
	 * not reached are built again next time) */
	mc_sweep(cache);
	free(st.labels.p);
	free(st.scratch.p);
	free(st.g);
	free(st.ns_labels_off);
	free(st.ns_labels_len);
	if (r < 0) {
		free(st.out.p);
		return r;
	}
	cache->last_len = st.out.len;
	*ret = st.out.p;
	*ret_len = st.out.len;
	return 0;
}

int metrics_format(const struct sw_status_inputs *in, const struct sw_metrics_opts *o,
		   char **ret, size_t *ret_len)
{
	struct sw_metrics_cache *c;
	int r;

	r = metrics_cache_new(&c);
	if (r < 0)
		return r;
	r = metrics_format_cached(in, o, c, ret, ret_len);
	metrics_cache_free(c);
	return r;
}

int metrics_format_process(const struct sw_metrics_process *p, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "# HELP process_cpu_seconds_total User and system CPU time of sockwatchd's main process.\n"
			 "# TYPE process_cpu_seconds_total counter\n"
			 "process_cpu_seconds_total %.6f\n"
			 "# HELP process_resident_memory_bytes Resident memory of sockwatchd's main process.\n"
			 "# TYPE process_resident_memory_bytes gauge\n"
			 "process_resident_memory_bytes %" PRIu64 "\n"
			 "# HELP process_virtual_memory_bytes Virtual memory of sockwatchd's main process.\n"
			 "# TYPE process_virtual_memory_bytes gauge\n"
			 "process_virtual_memory_bytes %" PRIu64 "\n"
			 "# HELP process_open_fds File descriptors sockwatchd's main process holds.\n"
			 "# TYPE process_open_fds gauge\n"
			 "process_open_fds %" PRIu64 "\n"
			 "# HELP process_max_fds Its limit of file descriptors.\n"
			 "# TYPE process_max_fds gauge\n"
			 "process_max_fds %" PRIu64 "\n"
			 "# HELP process_start_time_seconds When it started, in seconds since the epoch.\n"
			 "# TYPE process_start_time_seconds gauge\n"
			 "process_start_time_seconds %.3f\n",
			 p->cpu_seconds, p->resident_bytes, p->virtual_bytes, p->open_fds,
			 p->max_fds, p->start_time_seconds);

	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}
