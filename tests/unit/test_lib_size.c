/* src/lib/size.c: docker's sizes, with go-units' accept/reject rules (RAMInBytes, FromHumanSize; cases
 * from its size_test.go), the "-1" of --memory-swap and runc's update, and the range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdint.h>

#include "lib/cleanup.h"
#include "lib/size.h"

#define KiB 1024LL
#define MiB (1024LL * KiB)
#define GiB (1024LL * MiB)
#define TiB (1024LL * GiB)
#define PiB (1024LL * TiB)

struct accepted {
        const char *text;
        int64_t value;
};

static void expect_values(const struct accepted *cases, size_t n, unsigned flags)
{
        for (size_t i = 0; i < n; i++) {
                int64_t v = 12345;
                int r = size_parse(cases[i].text, flags, &v);
                if (r != 0 || v != cases[i].value)
                        fail_msg("size_parse(\"%s\", %u): %d, %lld; expected %lld", cases[i].text, flags, r,
                                 (long long) v, (long long) cases[i].value);
        }
}

static void expect_refused(const char *const *cases, size_t n, unsigned flags, int code)
{
        for (size_t i = 0; i < n; i++) {
                int64_t v = 12345;
                int r = size_parse(cases[i], flags, &v);
                if (r != code || v != 12345)
                        fail_msg("size_parse(\"%s\", %u): %d, %lld; expected %d and no value", cases[i], flags, r,
                                 (long long) v, code);
        }
}

static void test_ram_in_bytes(void **state)
{
        static const struct accepted ok[] = {
                {"32", 32}, {"32b", 32}, {"32B", 32}, {"32k", 32 * KiB}, {"32K", 32 * KiB},
                {"32kb", 32 * KiB}, {"32Kb", 32 * KiB}, {"32Kib", 32 * KiB}, {"32KIB", 32 * KiB},
                {"32Mb", 32 * MiB}, {"32Gb", 32 * GiB}, {"32Tb", 32 * TiB}, {"32Pb", 32 * PiB},
                {"32PB", 32 * PiB}, {"32P", 32 * PiB}, {"32.3", 32}, {"32.3 mb", (int64_t) (32.3 * MiB)},
                {"0.3MB", (int64_t) (0.3 * MiB)}, {"512m", 512 * MiB}, {"1g", GiB}, {"1.5GiB", 3 * GiB / 2},
                {"1KiB", KiB}, {".5g", GiB / 2}, {"1.5k", 1536}, {"2 t", 2 * TiB}, {"1e3", 1000},
                {"+2k", 2 * KiB}, {"5.", 5}, {"0 ", 0}, {"-0", 0}, {"1e-400", 0},
        };
        static const char *const refused[] = {
                "", "hello", "-32", " 32 ", "32m b", "32bm", "-1", "m", "12x", "1gg", "1kk", "1ki", "1kbb",
                "32  b", " 0", "0b ", ".", " ", "1_000", "0x10", "0x1p4", "inf", "nan", "1.2.3", "1e", "1 2",
                "32b.", "12zb",
        };

        (void) state;
        expect_values(ok, ARRAY_SIZE(ok), 0);
        expect_refused(refused, ARRAY_SIZE(refused), 0, -EINVAL);
}

static void test_from_human_size(void **state)
{
        static const struct accepted ok[] = {
                {"32", 32}, {"32k", 32000}, {"32Kb", 32000}, {"32Mb", 32000000}, {"32Gb", 32000000000LL},
                {"32Pb", 32000000000000000LL}, {"32.5kB", 32500}, {"32.5 kB", 32500}, {"32.5 B", 32},
                {"0.3 K", 300}, {".3kB", 300}, {"0.", 0}, {"0. ", 0}, {"0.b", 0}, {"-0 B", 0},
                {"32.", 32}, {"32.B", 32}, {"32. b", 32}, {"10m", 10000000},
        };
        static const char *const refused[] = {
                " 0", " 0b", " 0 B", "0b ", "0B ", "0 B ", "", "hello", ".", ". ", " ", "  ", " .", " . ",
                "-32", "-32b", "-32 B", "32b.", "32 b.", "32 bb", "32 b b", "32  b", " 32 ", "32m b", "32bm",
        };

        (void) state;
        expect_values(ok, ARRAY_SIZE(ok), SIZE_DECIMAL);
        expect_refused(refused, ARRAY_SIZE(refused), SIZE_DECIMAL, -EINVAL);
}

static void test_minus_one(void **state)
{
        static const struct accepted ok[] = {{"-1", -1}, {"1g", GiB}, {"0", 0}};
        static const char *const refused[] = {"-2", "-1k", "-1.0", " -1", "-1 "};

        (void) state;
        expect_values(ok, ARRAY_SIZE(ok), SIZE_MINUS_ONE);
        expect_refused(refused, ARRAY_SIZE(refused), SIZE_MINUS_ONE, -EINVAL);
}

static void test_range(void **state)
{
        static const struct accepted ok[] = {
                {"9223372036854774784", 9223372036854774784LL}, /* the largest double below 2^63 */
                {"8191p", 8191 * PiB},
        };
        static const char *const too_large[] = {"8192p", "99999999p", "9223372036854775807", "1e19", "1e400"};

        (void) state;
        expect_values(ok, ARRAY_SIZE(ok), 0);
        expect_refused(too_large, ARRAY_SIZE(too_large), 0, -ERANGE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ram_in_bytes),
                cmocka_unit_test(test_from_human_size),
                cmocka_unit_test(test_minus_one),
                cmocka_unit_test(test_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
