/* SPDX-License-Identifier: MIT */
/*
 * The optional libraries (drivers/base/amp_dl.h): not mapped until a subsystem loads its own, a
 * missing library or symbol is an error naming the library and who needed it, and a loaded table
 * calls the real function.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "controller/telemetry/mhd_dl.h"
#include "controller/telemetry/mosq_dl.h"
#include "drivers/base/amp_dl.h"
#include "drivers/ocpp/lws_dl.h"
#include "tests/support/check_main.h"

/* Whether a library whose file name starts with prefix is mapped into this process. */
static bool mapped(const char *prefix)
{
    FILE *f = fopen("/proc/self/maps", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        const char *slash = strrchr(line, '/');
        found = slash && strncmp(slash + 1, prefix, strlen(prefix)) == 0;
    }
    fclose(f);
    return found;
}

START_TEST(test_optional_libraries_are_mapped_only_once_loaded)
{
    /* this test program links the whole core, as the binary does */
    ck_assert(!mapped("libwebsockets.so"));
    ck_assert(!mapped("libmicrohttpd.so"));
    ck_assert(!mapped("libmosquitto.so"));
    ck_assert(!mapped("libssl.so"));
    ck_assert(!mapped("libgnutls.so"));
    char err[300];
    ck_assert_int_eq(amp_dl_load(&lws_dl, "[ocpp]", err, sizeof(err)), 0);
    ck_assert(mapped("libwebsockets.so"));
    ck_assert(!mapped("libmicrohttpd.so"));
    ck_assert_int_eq(amp_dl_load(&mhd_dl, "[http]", err, sizeof(err)), 0);
    ck_assert(mapped("libmicrohttpd.so"));
    ck_assert_int_eq(amp_dl_load(&mosq_dl, "[mqtt]", err, sizeof(err)), 0);
    ck_assert(mapped("libmosquitto.so"));
    /* a call through the table reaches the library */
    char b64[16];
    ck_assert_int_eq(lws_b64_encode_string("amp", 3, b64, sizeof(b64)), 4);
    ck_assert_str_eq(b64, "YW1w");
    ck_assert_str_eq(mosquitto_strerror(0), "No error.");
}

END_TEST

START_TEST(test_a_missing_library_names_itself_and_the_section)
{
    static const char *const names[] = {"cos"};
    static void *slots[1];
    static struct amp_dl d = AMP_DL_INIT("libampshare-absent.so.9", names, slots);
    char err[300] = "";
    ck_assert_int_eq(amp_dl_load(&d, "[ocpp]", err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "libampshare-absent.so.9"));
    ck_assert_ptr_nonnull(strstr(err, "[ocpp]"));
    /* the answer is kept: a second load says the same */
    char again[300] = "";
    ck_assert_int_eq(amp_dl_load(&d, "[ocpp]", again, sizeof(again)), -ENOENT);
    ck_assert_str_eq(err, again);
}

END_TEST

START_TEST(test_a_missing_symbol_is_named)
{
    static const char *const names[] = {"cos", "ampshare_no_such_function"};
    static void *slots[2];
    static struct amp_dl d = AMP_DL_INIT("libm.so.6", names, slots);
    char err[300] = "";
    ck_assert_int_eq(amp_dl_load(&d, "[http]", err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "ampshare_no_such_function"));
    ck_assert_ptr_nonnull(strstr(err, "[http]"));
}

END_TEST

START_TEST(test_a_loaded_symbol_is_the_real_function)
{
    static const char *const names[] = {"cos", "sqrt"};
    static void *slots[2];
    static struct amp_dl d = AMP_DL_INIT("libm.so.6", names, slots);
    double (*fn)(double);
    void *sym = amp_dl_sym(&d, 1);
    memcpy(&fn, &sym, sizeof(fn)); /* POSIX: an object pointer from dlsym holds a function */
    ck_assert_double_eq_tol(fn(2.25), 1.5, 1e-12);
}

END_TEST

static Suite *amp_dl_suite(void)
{
    Suite *s = suite_create("amp_dl");
    TCase *tc = tcase_create("amp_dl");
    tcase_add_test(tc, test_optional_libraries_are_mapped_only_once_loaded);
    tcase_add_test(tc, test_a_missing_library_names_itself_and_the_section);
    tcase_add_test(tc, test_a_missing_symbol_is_named);
    tcase_add_test(tc, test_a_loaded_symbol_is_the_real_function);
    suite_add_tcase(s, tc);
    return s;
}

AMP_CHECK_MAIN(amp_dl_suite)
