/* The JSON text writer; see jsonw.h. */
#include "jsonw.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

int line_flush(struct line_buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, b->out) != b->len)
		return errno > 0 ? -errno : -EIO;
	b->len = 0;
	return 0;
}

int line_append(struct line_buf *b, const char *s, size_t len)
{
	if (len > b->max || b->total > b->max - len)
		return -E2BIG;
	if (b->out && b->len > 0 && b->len + len > LINE_FLUSH) {
		int r = line_flush(b);

		if (r < 0)
			return r;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->total += len;
	b->p[b->len] = 0;
	return 0;
}

/* Keys are the callers' constants: nothing in them needs escaping. */
void jw_key(struct jw *w, const char *key)
{
	char text[64];
	size_t n = 0, len = key ? strlen(key) : 0;

	if (len + 4 > sizeof(text)) {
		if (w->comma)
			jw_raw(w, ",", 1);
		jw_raw(w, "\"", 1);
		jw_raw(w, key, len);
		jw_raw(w, "\":", 2);
		w->comma = true;
		return;
	}
	/* One copy of ,"key": into the line. */
	if (w->comma)
		text[n++] = ',';
	w->comma = true;
	if (key) {
		text[n++] = '"';
		memcpy(text + n, key, len);
		n += len;
		text[n++] = '"';
		text[n++] = ':';
	}
	if (n)
		jw_raw(w, text, n);
}

void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	jw_raw(w, &c, 1);
	w->comma = false;
}

void jw_close(struct jw *w, char c)
{
	jw_raw(w, &c, 1);
	w->comma = true;
}

void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_raw(w, "null", 4);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

/* Decimal digits as printf's %" PRIu64 " gives them, without printf. */
void jw_digits(struct jw *w, bool minus, uint64_t v)
{
	char num[24];
	size_t i = sizeof(num);

	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (minus)
		num[--i] = '-';
	jw_raw(w, num + i, sizeof(num) - i);
}

void jw_uint(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_digits(w, false, v);
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_digits(w, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

/* json-c's json_escape_str() with JSON_C_TO_STRING_NOSLASHESCAPE. */
void jw_str(struct jw *w, const char *key, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0, i;

	if (!s) {
		jw_null(w, key);
		return;
	}
	jw_key(w, key);
	jw_raw(w, "\"", 1);
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t n = 2;

		switch (c) {
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\f': esc[1] = 'f'; break;
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		default:
			if (c >= ' ')
				continue;
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			n = 6;
		}
		jw_raw(w, s + start, i - start);
		jw_raw(w, esc, n);
		start = i + 1;
	}
	jw_raw(w, s + start, i - start);
	jw_raw(w, "\"", 1);
}

/* json-c's json_object_double_to_json_string_format() at its defaults. */
void jw_double(struct jw *w, const char *key, double v)
{
	char num[40];
	uint64_t bits;
	int n;

	jw_key(w, key);
	memcpy(&bits, &v, sizeof(bits));
	for (unsigned i = 0; i < LINE_DCACHE; i++) {
		if (w->b->dcache[i].used && w->b->dcache[i].bits == bits) {
			jw_raw(w, w->b->dcache[i].text, w->b->dcache[i].len);
			return;
		}
	}
	if (isnan(v)) {
		jw_raw(w, "NaN", 3);
		return;
	}
	if (isinf(v)) {
		jw_raw(w, v > 0 ? "Infinity" : "-Infinity", v > 0 ? 8 : 9);
		return;
	}
	n = snprintf(num, sizeof(num) - 2, "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(num) - 2) {
		w->err = -EINVAL;
		return;
	}
	if (!strpbrk(num, ".,e") && (isdigit((unsigned char)num[0]) ||
				      (num[0] == '-' && isdigit((unsigned char)num[1])))) {
		memcpy(num + n, ".0", 3);
		n += 2;
	}
	w->b->dcache[w->b->dnext].bits = bits;
	w->b->dcache[w->b->dnext].used = true;
	w->b->dcache[w->b->dnext].len = (uint8_t)n;
	memcpy(w->b->dcache[w->b->dnext].text, num, (size_t)n + 1);
	w->b->dnext = (w->b->dnext + 1) % LINE_DCACHE;
	jw_raw(w, num, (size_t)n);
}
