/* Fuzz target: addr_endpoint_parse(), the ADDRESS:PORT syntax of
 * [listener ...] config sections and of control-protocol filters.
 *
 * Besides memory errors it checks that an accepted endpoint is well formed
 * (a wildcard has family 0, an address is AF_INET with its last 12 bytes
 * zero or AF_INET6) and that addr_endpoint_str() prints it back to a text
 * that parses to the very same endpoint. */
#include <errno.h>
#include <sys/socket.h>

#include "addr.h"
#include "fuzz.h"
#include "macro.h"

static const uint8_t zero16[16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	char buf[ADDR_STRLEN];
	uint8_t addr[16], addr2[16];
	uint16_t port, port2;
	bool wild, wild2;
	int family, family2, r;

	r = addr_endpoint_parse(s, &family, addr, &port, &wild);
	FUZZ_ASSERT(r == 0 || r == -EINVAL, "'%s': ret %d", s, r);
	if (r < 0)
		goto out;
	if (wild) {
		FUZZ_ASSERT(family == 0 && memcmp(addr, zero16, 16) == 0,
			    "'%s': wildcard with family %d", s, family);
		snprintf(buf, sizeof(buf), "*:%u", port);
	} else {
		FUZZ_ASSERT(family == AF_INET || family == AF_INET6, "'%s': family %d", s, family);
		if (family == AF_INET)
			FUZZ_ASSERT(memcmp(addr + 4, zero16, 12) == 0,
				    "'%s': AF_INET address not zero-padded", s);
		addr_endpoint_str(family, addr, port, buf, sizeof(buf));
	}
	r = addr_endpoint_parse(buf, &family2, addr2, &port2, &wild2);
	FUZZ_ASSERT(r == 0, "'%s' printed as '%s', which does not parse", s, buf);
	FUZZ_ASSERT(family2 == family && port2 == port && wild2 == wild &&
			    memcmp(addr2, addr, 16) == 0,
		    "'%s' printed as '%s', which parses to another endpoint", s, buf);
out:
	free(s);
	return 0;
}
