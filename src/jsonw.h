/* A JSON text writer into a growing line (or a stream, in chunks), byte for
 * byte what json-c prints with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE: the status document's listeners are
 * written with it (status.c), without a json-c object per listener. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The text so far; with out set, what is already written there leaves the
 * buffer whenever it passes LINE_FLUSH, so memory stays at one listener's
 * text and the chunk size whatever the document's length. */
#define LINE_FLUSH 65536

/* A document's doubles are few distinct values (thresholds, 0, a few
 * percentages): the last ones formatted are kept (jw_double), as printing
 * one costs more than the rest of a listener. */
#define LINE_DCACHE 8

struct line_buf {
	char *p;
	size_t len, cap, max, total;
	FILE *out;
	struct {
		uint64_t bits;
		bool used;
		uint8_t len;
		char text[40];
	} dcache[LINE_DCACHE];
	unsigned dnext;
};

/* Sends what the line holds to b->out; 0 or -errno. */
int line_flush(struct line_buf *b);
/* Appends len bytes: -E2BIG past max (nothing written), -ENOMEM, or what
 * a flush to out failed with. */
int line_append(struct line_buf *b, const char *s, size_t len);

/* A listener's text is written straight into the line, without a JSON
 * object tree: building, printing and freeing json-c objects was most of
 * the CPU of a document at 10k listeners. The text is byte for byte what
 * json-c prints (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE):
 * its escapes, its "%.17g" doubles with ".0" on whole numbers. The first
 * error is kept and ends the writing. */
struct jw {
	struct line_buf *b;
	int err;
	bool comma;                  /* a member precedes at this level */
};

static inline void jw_raw(struct jw *w, const char *s, size_t n)
{
	struct line_buf *b = w->b;

	/* Most tokens fit where the line is: no flush, growth or bound due. */
	if (w->err >= 0 && b->len + n < b->cap && (!b->out || b->len + n <= LINE_FLUSH) &&
	    n <= b->max && b->total <= b->max - n) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->total += n;
		b->p[b->len] = 0;
		return;
	}
	if (w->err >= 0)
		w->err = line_append(b, s, n);
}

/* Each writes one member (key, then value; a NULL key: an array element,
 * or what follows jw_open's bracket), a comma before it when one precedes
 * at its level. jw_key and jw_digits are the pieces the others use. */
void jw_key(struct jw *w, const char *key);
void jw_open(struct jw *w, const char *key, char c);
void jw_close(struct jw *w, char c);
void jw_null(struct jw *w, const char *key);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_digits(struct jw *w, bool minus, uint64_t v);
void jw_uint(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_double(struct jw *w, const char *key, double v);
