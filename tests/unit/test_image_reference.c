/* Image references with docker's rules (src/image/reference.c); the registry client reuses the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

static void expect_invalid(const char *in, const char *message_part)
{
        struct image_ref ref;
        berth_error err = {0};

        assert_true(image_ref_parse(in, true, &ref, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), message_part));
        berth_error_clear(&err);
}

static void expect_ref(const char *in, const char *domain, const char *path, const char *tag, const char *digest,
                       const char *full)
{
        struct image_ref ref;
        berth_error err = {0};
        char *s;

        assert_int_equal(image_ref_parse(in, true, &ref, &err), 0);
        assert_string_equal(ref.domain, domain);
        assert_string_equal(ref.path, path);
        if (tag)
                assert_string_equal(ref.tag, tag);
        else
                assert_null(ref.tag);
        if (digest)
                assert_string_equal(ref.digest, digest);
        else
                assert_null(ref.digest);
        s = image_ref_string(&ref);
        assert_string_equal(s, full);
        free(s);
        image_ref_clear(&ref);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalisation(void **state)
{
        expect_ref("busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest");
        expect_ref("busybox:1.35", "docker.io", "library/busybox", "1.35", NULL, "docker.io/library/busybox:1.35");
        expect_ref("user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest");
        expect_ref("localhost/busybox", "localhost", "busybox", "latest", NULL, "localhost/busybox:latest");
        expect_ref("docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", NULL,
                   "docker.io/library/busybox:latest");
        expect_ref("index.docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
                   "docker.io/library/busybox:latest");
        expect_ref("127.0.0.1:5000/a/b/c:v1", "127.0.0.1:5000", "a/b/c", "v1", NULL, "127.0.0.1:5000/a/b/c:v1");
        expect_ref("localhost:5000/x", "localhost:5000", "x", "latest", NULL, "localhost:5000/x:latest");
        expect_ref("busybox@" D, "docker.io", "library/busybox", NULL, D, "docker.io/library/busybox@" D);
        expect_ref("busybox:1@" D, "docker.io", "library/busybox", "1", D, "docker.io/library/busybox:1@" D);
        expect_ref("a-b__c/e---f.g", "docker.io", "a-b__c/e---f.g", "latest", NULL, "docker.io/a-b__c/e---f.g:latest");
        expect_invalid("a-b__c.d/e", "invalid reference format"); /* a "." makes a domain, and "_" is no host */
        expect_ref("Registry.Example/x", "Registry.Example", "x", "latest", NULL, "Registry.Example/x:latest");
}

static void test_no_default_tag(void **state)
{
        struct image_ref ref;
        berth_error err = {0};

        assert_int_equal(image_ref_parse("busybox", false, &ref, &err), 0);
        assert_null(ref.tag);
        image_ref_clear(&ref);
}

static void test_invalid(void **state)
{
        expect_invalid("", "invalid reference format");
        expect_invalid("Busybox", "invalid reference format");
        expect_invalid("library/Busybox", "must be lowercase");
        expect_invalid("bad name", "invalid reference format");
        expect_invalid("a:b:c", "invalid reference format");
        expect_invalid("-a", "invalid reference format");
        expect_invalid("a-", "invalid reference format");
        expect_invalid("a___b", "invalid reference format");
        expect_invalid("a..b", "invalid reference format");
        expect_invalid("busybox@sha256:abc", "invalid reference format");
        expect_invalid("busybox:-tag", "invalid reference format");
        expect_invalid("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64-byte hexadecimal");
        expect_invalid("host:port/x", "invalid reference format");
}

static void test_tags(void **state)
{
        char long_tag[130];

        assert_true(reference_tag_is_valid("latest"));
        assert_true(reference_tag_is_valid("_x.Y-1"));
        assert_false(reference_tag_is_valid(".x"));
        memset(long_tag, 'a', 128);
        long_tag[128] = '\0';
        assert_true(reference_tag_is_valid(long_tag));
        long_tag[128] = 'a';
        long_tag[129] = '\0';
        assert_false(reference_tag_is_valid(long_tag));
}

static void test_familiar(void **state)
{
        char *s;

        s = reference_familiar_name("docker.io/library/busybox");
        assert_string_equal(s, "busybox");
        free(s);
        s = reference_familiar_name("docker.io/user/app");
        assert_string_equal(s, "user/app");
        free(s);
        s = reference_familiar_name("localhost/busybox");
        assert_string_equal(s, "localhost/busybox");
        free(s);
        s = reference_familiar_name("docker.io/library/a/b");
        assert_string_equal(s, "library/a/b");
        free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalisation), cmocka_unit_test(test_no_default_tag), cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_tags), cmocka_unit_test(test_familiar),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
