/* grow_array: the capacity it picks (first size, doubling, never less than
 * asked), no reallocation when there is room, and the overflow refusals
 * that leave the array and its capacity untouched. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkrun.h"
#include "grow.h"

static const struct {
	const char *what;
	size_t cap, need, elem, first;
	size_t want_cap;            /* 0: refused */
} cases[] = {
	{ "empty takes first", 0, 1, 4, 16, 16 },
	{ "empty, need 0, takes first", 0, 0, 4, 16, 16 },
	{ "empty, first 0 counts as 1", 0, 1, 4, 0, 1 },
	{ "empty, need past first", 0, 40, 4, 16, 64 },
	{ "room: unchanged", 16, 16, 4, 16, 16 },
	{ "full doubles", 16, 17, 4, 16, 32 },
	{ "doubles until need fits", 16, 129, 4, 16, 256 },
	{ "capacity overflow", SIZE_MAX / 2 + 1, SIZE_MAX, 1, 16, 0 },
	{ "byte size overflow", 8, (SIZE_MAX / 16) + 1, 16, 8, 0 },
};

START_TEST(test_grow_array)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t cap = cases[i].cap;
		/* A real block only where the case allocates; p stands for the
		 * caller's array either way and must come back when refused. */
		char *p = cap && cap <= 4096 ? calloc(cap, cases[i].elem) : cap ? malloc(1) : NULL;
		char *np;

		ck_assert(p || !cap);
		np = grow_array(p, &cap, cases[i].need, cases[i].elem, cases[i].first);
		if (!cases[i].want_cap) {
			ck_assert_msg(np == NULL, "%s: not refused", cases[i].what);
			ck_assert_msg(cap == cases[i].cap, "%s: cap changed", cases[i].what);
			free(p);
			continue;
		}
		ck_assert_msg(np != NULL, "%s: refused", cases[i].what);
		ck_assert_msg(cap == cases[i].want_cap, "%s: cap %zu", cases[i].what, cap);
		if (cases[i].need <= cases[i].cap && p)
			ck_assert_msg(np == p, "%s: reallocated", cases[i].what);
		/* The whole new capacity is usable. */
		memset(np, 0xa5, cap * cases[i].elem);
		free(np);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grow");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_grow_array);
	suite_add_tcase(s, tc);
	return sw_check_run(s);
}
