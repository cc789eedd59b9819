/* Fuzz target: netstat_parse(), over the text of /proc/net/netstat.
 *
 * The input is passed as is, not NUL-terminated, as the parser takes a
 * length. Besides memory errors it checks the contract of netstat.h: the
 * result is 0 or -EINVAL, *ret is untouched on error, only known counters
 * are marked present, and every value read appears in the input as a
 * number (the parser reads digits, it never makes a value up). */
#include <errno.h>
#include <inttypes.h>

#include "fuzz.h"
#include "netstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_netstat n, poison;
	int r;

	memset(&poison, 0xa5, sizeof(poison));
	n = poison;
	r = netstat_parse((const char *)data, size, &n);
	FUZZ_ASSERT(r == 0 || r == -EINVAL, "ret %d", r);
	if (r < 0) {
		FUZZ_ASSERT(memcmp(&n, &poison, sizeof(n)) == 0, "*ret written on error");
		return 0;
	}
	FUZZ_ASSERT((n.present & ~((1u << _SW_CTR_MAX) - 1)) == 0, "present 0x%x", n.present);
	for (int c = 0; c < _SW_CTR_MAX; c++) {
		char digits[24];
		int len;

		FUZZ_ASSERT(netstat_counter_name(c) != NULL, "counter %d has no name", c);
		if (!netstat_has(&n, c))
			continue;
		/* Leading zeros aside, the digits are in the text. */
		len = snprintf(digits, sizeof(digits), "%" PRIu64, n.value[c]);
		FUZZ_ASSERT(memmem(data, size, digits, (size_t)len) != NULL,
			    "%s = %s is not in the input", netstat_counter_name(c), digits);
		FUZZ_ASSERT(memmem(data, size, netstat_counter_name(c),
				   strlen(netstat_counter_name(c))) != NULL,
			    "%s present but not named in the input", netstat_counter_name(c));
	}
	FUZZ_ASSERT(netstat_counter_name(_SW_CTR_MAX) == NULL, "name past the end");
	return 0;
}
