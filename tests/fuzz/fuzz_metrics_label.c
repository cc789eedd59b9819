/* Fuzz target: metrics_label_escape(), over any bytes a socket path or a
 * process name can hold. Whatever the input and the room given, the output
 * is NUL-terminated within it, holds no raw '"' or newline, has only the
 * three escapes Prometheus's text format knows (\\, \", \n), and is valid
 * UTF-8, checked here by decoding each code point (minimal length, no
 * surrogate, at most U+10FFFF): a label value that is not would fail the
 * whole scrape. */
#include "fuzz.h"
#include "metrics.h"

/* The length of the valid UTF-8 character at s, by decoding it; 0 if none. */
static size_t decode(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;

	if (len == 0 || len > n)
		return 0;
	cp = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7f >> len));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	size_t room[] = { 1, 2, 5, 64, 4 * size + 1 };

	for (size_t k = 0; k < sizeof(room) / sizeof(room[0]); k++) {
		char *out = malloc(room[k]);
		size_t n;

		FUZZ_ASSERT(out, "malloc");
		n = metrics_label_escape(s, out, room[k]);
		FUZZ_ASSERT(n < room[k] && out[n] == 0 && strlen(out) == n,
			    "length %zu in room %zu", n, room[k]);
		for (size_t i = 0; i < n;) {
			size_t len = decode((const unsigned char *)out + i, n - i);

			FUZZ_ASSERT(len > 0, "invalid UTF-8 at %zu", i);
			FUZZ_ASSERT(out[i] != '"' && out[i] != '\n', "raw 0x%02x at %zu", out[i], i);
			FUZZ_ASSERT((unsigned char)out[i] >= 0x20 && out[i] != 0x7f,
				    "control character at %zu", i);
			if (out[i] == '\\') {
				FUZZ_ASSERT(i + 1 < n && strchr("\\\"n", out[i + 1]),
					    "bad escape at %zu", i);
				len = 2;
			}
			i += len;
		}
		free(out);
	}
	free(s);
	return 0;
}
