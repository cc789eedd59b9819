/* The one Check runner every tests/check_*.c ends with: runs the suite,
 * frees it, and turns the result into the exit code run-tests.sh reads. */
#pragma once

#include <check.h>
#include <stdlib.h>

static inline int sw_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
