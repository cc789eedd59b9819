/* Pure text rules shared by every output (see text.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define PERCENT_CAP 1e15

static double percent_sane(double pct)
{
	if (!isfinite(pct) || pct < 0)
		return 0;
	return pct > PERCENT_CAP ? PERCENT_CAP : pct;
}

const char *text_percent(double pct, char *buf, size_t len)
{
	/* The small epsilon keeps an exact tenth (43.8 is 43.79999... in
	 * binary) from reading one tenth low; it is far below what any
	 * depth/limit ratio can differ from a tenth by. */
	unsigned long long tenths = (unsigned long long)floor(percent_sane(pct) * 10 + 1e-9);

	if (tenths % 10 == 0)
		snprintf(buf, len, "%llu", tenths / 10);
	else
		snprintf(buf, len, "%llu.%llu", tenths / 10, tenths % 10);
	return buf;
}

double text_percent_value(double pct)
{
	return floor(percent_sane(pct) * 1000 + 1e-9) / 1000;
}

size_t text_control_len(const unsigned char *p)
{
	if (*p == 0)
		return 0;
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

bool text_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (text_control_len(p))
			return true;
	return false;
}

size_t text_clean(char *dst, size_t len, const char *src, size_t n, unsigned flags)
{
	size_t o = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < n && src[i]; i++) {
		const unsigned char *p = (const unsigned char *)src + i;
		/* A C1 pair cut by n is still one control character. */
		size_t c = (i + 1 < n) ? text_control_len(p) : (*p < 0x20 || *p == 0x7f);
		const char *rep = NULL;
		size_t rlen = 1;

		if (c && *p == '\n' && (flags & TEXT_CLEAN_NEWLINES)) {
			if (i + 1 >= n || !src[i + 1])
				break;
			rep = "; ";
			rlen = 2;
		} else if (c) {
			rep = "?";
		}
		if (o + rlen >= len)
			break;
		if (rep)
			memcpy(dst + o, rep, rlen);
		else
			dst[o] = (char)*p;
		o += rlen;
		if (c == 2)
			i++;
	}
	dst[o] = 0;
	return o;
}

char *text_clean_dup(const char *s)
{
	size_t n = strlen(s);
	char *clean = malloc(n + 1);

	if (clean)
		text_clean(clean, n + 1, s, n, 0);
	return clean;
}

int text_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int text_parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	bool neg;
	uint64_t v, lim;
	int r;

	if (!s)
		return -EINVAL;
	neg = s[0] == '-';
	if (neg && min >= 0)
		return -EINVAL;
	/* The magnitude bound: -(INT64_MIN) does not fit an int64_t. */
	lim = neg ? (uint64_t)(-(min + 1)) + 1 : (max < 0 ? 0 : (uint64_t)max);
	r = text_parse_u64(s + neg, strlen(s + neg), lim, &v);
	if (r < 0)
		return r;
	if (neg) {
		int64_t x = v == 0 ? 0 : -(int64_t)(v - 1) - 1;

		if (x > max)
			return -ERANGE;
		*ret = x;
	} else {
		if ((int64_t)v < min)
			return -ERANGE;
		*ret = (int64_t)v;
	}
	return 0;
}
