/* SPDX-License-Identifier: MIT */
/* The shared two-line main of every Check test executable. */
#ifndef AMP_CHECK_MAIN_H
#define AMP_CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

/* The exit code ctest counts as "skipped" (SKIP_RETURN_CODE, set for every test): for a test
 * whose peer program is missing. CI fails on any skip (tests/run-all.sh). */
#define AMP_TEST_SKIP 77

/* Defines main() running one suite; exits non-zero when any check failed. */
#define AMP_CHECK_MAIN(suite_fn)                                                                   \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_ENV);                                                               \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
