/* Shared by the libFuzzer targets in this directory (README.md). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer calls this; declared here so that -Wmissing-prototypes holds. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding like any crash: abort() makes libFuzzer
 * save the input as crash-<sha1> and print the stack. A plain assert()
 * would vanish under -DNDEBUG. */
#define FUZZ_ASSERT(cond, ...)                                                   \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, \
				__LINE__, #cond);                                \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			abort();                                                 \
		}                                                                \
	} while (0)

/* A NUL-terminated heap copy of exactly size + 1 bytes, so ASan sees any
 * read past the terminator. Aborts on allocation failure: that is an
 * environment problem, not a finding about the input. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* Whether [data, data + size) contains a NUL byte. */
static inline int fuzz_has_nul(const uint8_t *data, size_t size)
{
	return size && memchr(data, 0, size) != NULL;
}
