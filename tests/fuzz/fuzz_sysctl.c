/* Fuzz target: sysctl_parse_int(), over the text of one sysctl file.
 *
 * Checked against a plain restatement of sysctl.h's rule: the kernel
 * prints "%d\n", so only digits with optional trailing whitespace
 * (' ', '\t', '\r', '\n') and a value up to INT32_MAX are accepted, and
 * *ret is written only then. */
#include <errno.h>

#include "fuzz.h"
#include "sysctl.h"

/* The expected verdict, by a different route: the digit run, then the
 * tail. Returns 0 and the value, or -EINVAL. */
static int reference(const char *s, int32_t *ret)
{
	size_t nd = strspn(s, "0123456789");
	size_t skip = 0;
	uint64_t v = 0;

	if (nd == 0 || s[nd + strspn(s + nd, " \t\r\n")] != 0)
		return -EINVAL;
	/* Leading zeros are fine ("0004096"); count the significant digits. */
	while (skip + 1 < nd && s[skip] == '0')
		skip++;
	if (nd - skip > 10)
		return -EINVAL;
	for (size_t i = skip; i < nd; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > INT32_MAX)
		return -EINVAL;
	*ret = (int32_t)v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The reader hands over a NUL-terminated file; a NUL inside ends it. */
	char *s = fuzz_strndup(data, size);
	int32_t got = -12345, want = -12345;
	int r, rr;

	r = sysctl_parse_int(s, &got);
	rr = reference(s, &want);
	FUZZ_ASSERT(r == rr, "'%s': ret %d, expected %d", s, r, rr);
	FUZZ_ASSERT(got == want, "'%s': value %d, expected %d", s, got, want);
	free(s);
	return 0;
}
