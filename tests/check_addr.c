/* addr_endpoint_parse: the ADDRESS:PORT forms accepted and refused. */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "checkrun.h"
#include "addr.h"

static const struct {
	const char *s;
	int r, family;
	uint16_t port;
	bool wildcard;
} endpoints[] = {
	{ "127.0.0.1:8080", 0, AF_INET, 8080, false },
	{ "[::1]:443", 0, AF_INET6, 443, false },
	{ "*:80", 0, 0, 80, true },
	{ "0.0.0.0:65535", 0, AF_INET, 65535, false },
	{ "0.0.0.0:65536", -EINVAL, 0, 0, false },
	{ "0.0.0.0:+80", -EINVAL, 0, 0, false },
	{ "0.0.0.0: 80", -EINVAL, 0, 0, false },
	{ "0.0.0.0:", -EINVAL, 0, 0, false },
	{ "0.0.0.0:0x50", -EINVAL, 0, 0, false },
	{ "[::1]:-1", -EINVAL, 0, 0, false },
	{ "nohost:80", -EINVAL, 0, 0, false },
};

START_TEST(test_endpoint_parse)
{
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		uint8_t addr[16];
		uint16_t port = 0;
		int family = -1;
		bool wildcard = false;
		int r = addr_endpoint_parse(endpoints[i].s, &family, addr, &port, &wildcard);

		ck_assert_msg(r == endpoints[i].r, "%s: %d", endpoints[i].s, r);
		if (r == 0) {
			ck_assert_int_eq(family, endpoints[i].family);
			ck_assert_uint_eq(port, endpoints[i].port);
			ck_assert(wildcard == endpoints[i].wildcard);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_endpoint_parse);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
