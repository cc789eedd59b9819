#include "netstat.h"

#include <errno.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* /proc/net/netstat is about 5 KiB on 6.x kernels; new counters are added a
 * few at a time. A file far beyond this is not the one we mean to read. */
#define NETSTAT_FILE_MAX (64 * 1024)

/* A span of the input; the text need not be NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next whitespace-separated token of *line, consuming it. */
static bool next_token(struct span *line, struct span *ret)
{
	while (line->len && is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	if (!line->len)
		return false;
	ret->p = line->p;
	while (line->len && !is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	ret->len = (size_t)(line->p - ret->p);
	return true;
}

static bool span_eq(struct span s, const char *str)
{
	size_t n = strlen(str);

	return s.len == n && memcmp(s.p, str, n) == 0;
}

/* Digits only, no sign, no overflow: the kernel prints "%lu". */
static bool parse_u64(struct span s, uint64_t *ret)
{
	return text_parse_u64(s.p, s.len, UINT64_MAX, ret) == 0;
}

/* The section name of a line: the first token, which ends in ':'. */
static bool line_prefix(struct span line, struct span *ret)
{
	struct span tok;

	if (!next_token(&line, &tok) || tok.len < 2 || tok.p[tok.len - 1] != ':')
		return false;
	*ret = tok;
	return true;
}

/* Fills n from one "TcpExt:" header line and its value line. */
static void parse_tcpext(struct span header, struct span values, struct sw_netstat *n)
{
	/* Column of each counter: -1 not in the header, -2 named twice (which
	 * the kernel never does; rather no value than maybe the wrong one). */
	long col[_SW_CTR_MAX];
	struct span tok;
	long i;

	for (size_t c = 0; c < _SW_CTR_MAX; c++)
		col[c] = -1;
	next_token(&header, &tok);   /* "TcpExt:" */
	for (i = 0; next_token(&header, &tok); i++)
		for (size_t c = 0; c < _SW_CTR_MAX; c++)
			if (span_eq(tok, netstat_counter_name(c)))
				col[c] = col[c] == -1 ? i : -2;

	/* A short value line (a truncated read) leaves the columns past its
	 * end absent; extra values have no name and are ignored. */
	next_token(&values, &tok);
	for (i = 0; next_token(&values, &tok); i++)
		for (size_t c = 0; c < _SW_CTR_MAX; c++)
			if (col[c] == i && parse_u64(tok, &n->value[c]))
				n->present |= 1u << c;
}

int netstat_parse(const char *text, size_t len, struct sw_netstat *ret)
{
	struct sw_netstat n = { 0 };
	struct span rest = { text, len };
	struct span pending = { NULL, 0 }, pending_prefix = { NULL, 0 };
	bool found = false;

	if (!ret || (!text && len))
		return -EINVAL;
	/* Lines come in pairs: "Name: col col ..." then "Name: val val ...".
	 * A line whose prefix matches the unpaired line before it is that
	 * line's values; anything else starts a new pair. This skips IpExt,
	 * MPTcpExt and whatever the kernel adds later without knowing them. */
	while (rest.len && !found) {
		const char *nl = memchr(rest.p, '\n', rest.len);
		struct span line = { rest.p, nl ? (size_t)(nl - rest.p) : rest.len };
		struct span prefix;

		rest.p += line.len + (nl ? 1 : 0);
		rest.len -= line.len + (nl ? 1 : 0);

		if (!line_prefix(line, &prefix)) {
			pending.p = NULL;
			continue;
		}
		if (pending.p && prefix.len == pending_prefix.len &&
		    memcmp(prefix.p, pending_prefix.p, prefix.len) == 0) {
			if (span_eq(prefix, "TcpExt:")) {
				/* The kernel ends every line with '\n'; without
				 * one the text was cut short, maybe inside the
				 * last number, which must then not be read as a
				 * smaller one. */
				if (!nl)
					while (line.len && !is_blank(line.p[line.len - 1]))
						line.len--;
				parse_tcpext(pending, line, &n);
				/* The kernel prints one TcpExt pair; take the first. */
				found = true;
			}
			pending.p = NULL;
			continue;
		}
		pending = line;
		pending_prefix = prefix;
	}
	if (!found)
		return -EINVAL;
	*ret = n;
	return 0;
}

int netstat_read(const char *path, struct sw_netstat *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (!path || !ret)
		return -EINVAL;
	r = util_read_file(path, NETSTAT_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	return netstat_parse(text, len, ret);
}

int netstat_read_fd(int fd, struct sw_netstat *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (!ret)
		return -EINVAL;
	r = util_reread_fd(fd, NETSTAT_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	return netstat_parse(text, len, ret);
}
