/* util: size parsing, -d items, process start times. */
#include <glib.h>
#include <unistd.h>

#include "util/util.h"

static void test_sizes(void)
{
    uint64_t v;
    g_assert_true(util_parse_size("256", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 256ull << 20);
    g_assert_true(util_parse_size("64k", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 64ull << 10);
    g_assert_true(util_parse_size("1G", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 1ull << 30);
    g_assert_true(util_parse_size("3g", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 3ull << 30);
    g_assert_true(util_parse_size("512M", 1, &v));
    g_assert_cmpuint(v, ==, 512ull << 20);
    g_assert_true(util_parse_size("1.5G", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 3ull << 29);
    g_assert_true(util_parse_size("0.5", 1 << 20, &v));
    g_assert_cmpuint(v, ==, 1ull << 19);
    g_assert_false(util_parse_size("1.G", 1, &v));
    g_assert_false(util_parse_size(".5G", 1, &v));
    g_assert_false(util_parse_size(" 5", 1, &v));
    g_assert_false(util_parse_size("+5", 1, &v));
    g_assert_false(util_parse_size("", 1, &v));
    g_assert_false(util_parse_size("-1", 1, &v));
    g_assert_false(util_parse_size("12Q", 1, &v));
    g_assert_false(util_parse_size("1MB", 1, &v));
    g_assert_false(util_parse_size("M", 1, &v));
    g_assert_false(util_parse_size("99999999999999999999", 1, &v));
    g_assert_false(util_parse_size("17179869184G", 1, &v)); /* overflows 64 bits */
}

static void test_items(void)
{
    uint32_t mask;
    char *bad = NULL;
    g_assert_true(log_parse_items("sup,ring", &mask, &bad));
    g_assert_cmpuint(mask, ==, LOG_SUP | LOG_RING);
    g_assert_false(log_parse_items("sup,nope", &mask, &bad));
    g_assert_cmpstr(bad, ==, "nope");
    g_free(bad);
}

static void test_starttime(void)
{
    uint64_t a, b;
    g_assert_true(util_proc_starttime(getpid(), &a));
    g_assert_true(util_proc_starttime(getpid(), &b));
    g_assert_cmpuint(a, ==, b);
    g_assert_true(util_proc_starttime(1, &b));
    g_assert_false(util_proc_starttime(0x7ffffff0, &b));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/util/sizes", test_sizes);
    g_test_add_func("/util/log-items", test_items);
    g_test_add_func("/util/starttime", test_starttime);
    return g_test_run();
}
