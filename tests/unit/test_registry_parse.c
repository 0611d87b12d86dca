/* The registry client's parsers: WWW-Authenticate challenges, registries.conf (TOML subset), registry error
 * bodies, platforms and index selection, docker's progress text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "registry/challenge.h"
#include "registry/errors.h"
#include "image/platform.h"
#include "registry/progress.h"
#include "registry/regconf.h"
#include "lib/util.h"

static void test_challenge_bearer(void **state)
{
        struct auth_challenge c;

        assert_int_equal(auth_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                                              "scope=\"repository:library/busybox:pull\"",
                                              &c),
                         0);
        assert_int_equal(c.scheme, AUTH_SCHEME_BEARER);
        assert_string_equal(c.realm, "https://auth.docker.io/token");
        assert_string_equal(c.service, "registry.docker.io");
        assert_string_equal(c.scope, "repository:library/busybox:pull");
        auth_challenge_clear(&c);

        /* Escapes, spaces around '=', unknown parameters, case-insensitive names. */
        assert_int_equal(auth_challenge_parse("bearer  Realm = \"http://x/t?a=\\\"b\\\"\" , error=\"insufficient_scope\", foo=bar", &c), 0);
        assert_int_equal(c.scheme, AUTH_SCHEME_BEARER);
        assert_string_equal(c.realm, "http://x/t?a=\"b\"");
        assert_string_equal(c.error, "insufficient_scope");
        assert_null(c.service);
        auth_challenge_clear(&c);
        (void) state;
}

static void test_challenge_basic_and_pick(void **state)
{
        struct auth_challenge c;
        char *both[] = {"Basic realm=\"berth-registry\"", "Bearer realm=\"http://127.0.0.1:1/token\",service=\"s\"", NULL};
        char *basic_only[] = {"Negotiate abc", "Basic realm=\"r\"", NULL};
        char *none[] = {"Negotiate", "garbage \"", NULL};

        assert_int_equal(auth_challenge_parse("Basic realm=\"berth-registry\"", &c), 0);
        assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
        assert_string_equal(c.realm, "berth-registry");
        auth_challenge_clear(&c);
        assert_int_equal(auth_challenge_parse("", &c), -EINVAL);
        assert_int_equal(auth_challenge_parse("Bearer realm=\"unterminated", &c), -EINVAL);
        assert_int_equal(auth_challenge_parse("Bearer realm", &c), -EINVAL);

        /* Bearer wins over Basic, as docker chooses. */
        assert_true(auth_challenge_pick(both, &c));
        assert_int_equal(c.scheme, AUTH_SCHEME_BEARER);
        assert_string_equal(c.service, "s");
        auth_challenge_clear(&c);
        assert_true(auth_challenge_pick(basic_only, &c));
        assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
        auth_challenge_clear(&c);
        assert_false(auth_challenge_pick(none, &c));
        assert_false(auth_challenge_pick(NULL, &c));
        (void) state;
}

static void test_regconf_v2(void **state)
{
        struct registries_conf c = {0};
        berth_error err = {0};
        const char *text =
                "# comment\n"
                "unqualified-search-registries = [\"127.0.0.1:5000\", # first\n"
                "    'docker.io',\n"
                "]\n"
                "short-name-mode = \"enforcing\"\n"
                "\n"
                "[[registry]]\n"
                "location = \"127.0.0.1:5000\"\n"
                "insecure = true\n"
                "[[registry.mirror]]\n"
                "location = \"mirror.example\"\n"
                "insecure = true\n"
                "[[registry]]\n"
                "prefix = \"example.com/team\"\n"
                "location = \"internal.example/team\"\n"
                "[[registry]]\n"
                "location = \"*.corp.example\"\n"
                "insecure = true\n"
                "[aliases]\n"
                "\"busybox\" = \"docker.io/library/busybox\"\n";
        const struct registry_entry *e;

        assert_int_equal(registries_conf_parse("test.conf", text, &c, &err), 0);
        assert_non_null(c.search);
        assert_string_equal(c.search[0], "127.0.0.1:5000");
        assert_string_equal(c.search[1], "docker.io");
        assert_null(c.search[2]);
        assert_int_equal(c.n, 3);
        assert_string_equal(registries_conf_alias(&c, "busybox"), "docker.io/library/busybox");
        assert_null(registries_conf_alias(&c, "alpine"));
        e = registries_conf_find(&c, "127.0.0.1:5000/app");
        assert_non_null(e);
        assert_true(e->insecure);
        /* its mirror, with its own keys */
        assert_int_equal(e->n_mirrors, 1);
        assert_string_equal(e->mirrors[0].location, "mirror.example");
        assert_true(e->mirrors[0].insecure);
        assert_null(registries_conf_find(&c, "127.0.0.1:50000/app"));
        assert_null(registries_conf_find(&c, "mirror.example/x"));
        /* prefix, not location, is what names are matched against */
        e = registries_conf_find(&c, "example.com/team/app");
        assert_non_null(e);
        assert_false(e->insecure);
        assert_null(registries_conf_find(&c, "example.com/teamx/app"));
        e = registries_conf_find(&c, "reg.corp.example/app");
        assert_non_null(e);
        assert_true(e->insecure);
        assert_null(registries_conf_find(&c, "corp.example/app"));

        /* A later file overrides: search list replaced, later equal location wins. */
        assert_int_equal(registries_conf_parse("second.conf",
                                               "unqualified-search-registries = []\n[[registry]]\nlocation=\"127.0.0.1:5000\"\ninsecure=false\n",
                                               &c, &err),
                         0);
        assert_null(c.search[0]);
        assert_false(registries_conf_find(&c, "127.0.0.1:5000/app")->insecure);
        registries_conf_clear(&c);
        (void) state;
}

static void test_regconf_v1_and_errors(void **state)
{
        struct registries_conf c = {0};
        berth_error err = {0};

        assert_int_equal(registries_conf_parse("v1.conf",
                                               "[registries.search]\nregistries = ['quay.io']\n[registries.insecure]\nregistries = [\"10.0.0.1:5000\"]\n",
                                               &c, &err),
                         0);
        assert_string_equal(c.search[0], "quay.io");
        assert_true(registries_conf_find(&c, "10.0.0.1:5000/x")->insecure);
        registries_conf_clear(&c);
        /* A mirror before any registry, or without a location: refused with the file's name. */
        assert_int_equal(registries_conf_parse("m.conf", "[[registry.mirror]]\nlocation = \"m\"\n", &c, &err), -EINVAL);
        berth_error_clear(&err);
        registries_conf_clear(&c);
        assert_int_equal(registries_conf_parse("m.conf", "[[registry]]\nlocation = \"r\"\n[[registry.mirror]]\ninsecure = true\n", &c, &err),
                         -EINVAL);
        assert_non_null(strstr(berth_error_message(&err), "has no location"));
        berth_error_clear(&err);
        registries_conf_clear(&c);

        struct {
                const char *text, *message;
        } bad[] = {
                {"a = \"unterminated\n", "bad.conf:1: unterminated string"},
                {"x = [1, 2]\n", "bad.conf:1: only arrays of strings"},
                {"\n\nunqualified-search-registries = \"docker.io\"\n", "bad.conf:3: unqualified-search-registries: expected an array"},
                {"[[registry]]\ninsecure = \"yes\"\n", "bad.conf:2: insecure: expected a boolean"},
                {"key value\n", "bad.conf:1: expected '='"},
                {"a = true false\n", "bad.conf:1: unexpected text"},
                {"a = {b = 1}\n", "inline tables"},
                {"a = \"\"\"x\"\"\"\n", "multi-line strings"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_true(registries_conf_parse("bad.conf", bad[i].text, &c, &err) < 0);
                if (strstr(berth_error_message(&err), bad[i].message) == NULL)
                        fail_msg("%s: got %s", bad[i].text, berth_error_message(&err));
                berth_error_clear(&err);
                registries_conf_clear(&c);
        }
        (void) state;
}

static void test_qualified(void **state)
{
        assert_true(reference_is_qualified("127.0.0.1:5000/app"));
        assert_true(reference_is_qualified("localhost/app"));
        assert_true(reference_is_qualified("quay.io/a/b"));
        assert_true(reference_is_qualified("Registry/app"));
        assert_false(reference_is_qualified("busybox"));
        assert_false(reference_is_qualified("user/app"));
        assert_false(reference_is_qualified("busybox:1.0"));
        (void) state;
}

static void test_error_text(void **state)
{
        struct http_response r = {.status = 404, .reason = "Not Found"};
        char *t, *code;

        r.body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}}]}";
        r.body_len = strlen(r.body);
        t = registry_error_text(&r);
        assert_string_equal(t, "manifest unknown: manifest unknown");
        free(t);
        code = registry_error_code(&r);
        assert_string_equal(code, "MANIFEST_UNKNOWN");
        free(code);

        r.body = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\\nway\"},{\"code\":\"NAME_UNKNOWN\",\"message\":\"x\"}]}";
        r.body_len = strlen(r.body);
        t = registry_error_text(&r);
        assert_string_equal(t, "denied: no way; name unknown: x");
        free(t);

        r = (struct http_response){.status = 500, .reason = "Internal Server Error", .body = "<html>", .body_len = 6};
        t = registry_error_text(&r);
        assert_string_equal(t, "received unexpected HTTP status: 500 Internal Server Error");
        free(t);
        assert_null(registry_error_code(&r));
        r = (struct http_response){.status = 401};
        t = registry_error_text(&r);
        assert_string_equal(t, "unauthorized: authentication required");
        free(t);

        assert_true(registry_status_is_transient(500));
        assert_true(registry_status_is_transient(503));
        assert_true(registry_status_is_transient(429));
        assert_false(registry_status_is_transient(501));
        assert_false(registry_status_is_transient(404));
        assert_false(registry_status_is_transient(401));
        (void) state;
}

static void test_platform(void **state)
{
        struct platform p;
        berth_error err = {0};
        char *s;

        assert_int_equal(platform_parse("linux/arm64", &p, &err), 0);
        assert_true(platform_matches(&p, "linux", "arm64", "v8"));
        assert_true(platform_matches(&p, "linux", "arm64", NULL));
        assert_true(platform_matches(&p, "linux", "aarch64", NULL));
        assert_false(platform_matches(&p, "linux", "amd64", NULL));
        assert_false(platform_matches(&p, "windows", "arm64", NULL));
        platform_clear(&p);

        assert_int_equal(platform_parse("linux/arm/v6", &p, &err), 0);
        assert_true(platform_matches(&p, "linux", "arm", "v6"));
        assert_false(platform_matches(&p, "linux", "arm", "v7"));
        assert_false(platform_matches(&p, "linux", "arm", NULL)); /* arm without variant means v7 */
        s = platform_string(&p);
        assert_string_equal(s, "linux/arm/v6");
        free(s);
        platform_clear(&p);

        assert_int_equal(platform_parse("x86_64", &p, &err), 0);
        assert_string_equal(p.os, "linux");
        assert_string_equal(p.arch, "amd64");
        platform_clear(&p);

        assert_true(platform_parse("linux/amd64/v2/x", &p, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "unknown operating system or architecture"));
        berth_error_clear(&err);
        assert_true(platform_parse("Linux/AMD64", &p, &err) < 0);
        berth_error_clear(&err);

        /* uname's names for arm: the variant is in the machine name. */
        assert_int_equal(platform_parse("linux/armv7l", &p, &err), 0);
        assert_true(platform_matches(&p, "linux", "arm", "v7"));
        assert_false(platform_matches(&p, "linux", "arm", "v6"));
        platform_clear(&p);
        (void) state;
}

/* The host's platform: linux and uname's machine in Go's names; "" and NULL for platform_parse mean it. */
static void test_platform_host(void **state)
{
        struct platform host, parsed;
        struct utsname u;
        berth_error err = {0};

        assert_int_equal(uname(&u), 0);
        platform_host(&host);
        assert_string_equal(host.os, "linux");
        assert_true(platform_matches(&host, "linux", u.machine, NULL));
        assert_false(platform_matches(&host, "windows", u.machine, NULL));
        if (strcmp(u.machine, "x86_64") == 0)
                assert_string_equal(host.arch, "amd64");
        if (strcmp(u.machine, "aarch64") == 0)
                assert_string_equal(host.arch, "arm64");
        assert_int_equal(platform_parse(NULL, &parsed, &err), 0);
        assert_string_equal(parsed.arch, host.arch);
        platform_clear(&parsed);
        platform_clear(&host);
        (void) state;
}

static void test_platform_select(void **state)
{
        struct descriptor entries[] = {
                {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = "sha256:a", .platform_os = "unknown", .platform_arch = "unknown"},
                {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = "sha256:b", .platform_os = "linux", .platform_arch = "arm", .platform_variant = "v6"},
                {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = "sha256:c", .platform_os = "linux", .platform_arch = "arm", .platform_variant = "v7"},
                {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = "sha256:d", .platform_os = "linux", .platform_arch = "amd64", .platform_variant = "v3"},
                {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = "sha256:e", .platform_os = "linux", .platform_arch = "amd64"},
                {.media_type = "application/vnd.oci.image.index.v1+json", .digest = "sha256:f", .platform_os = "linux", .platform_arch = "s390x"},
        };
        struct image_index ix = {.manifests = entries, .n = 6};
        struct platform p;
        berth_error err = {0};

        assert_true(platform_is_attestation(&entries[0]));
        assert_false(platform_is_attestation(&entries[1]));
        assert_int_equal(platform_parse("linux/arm", &p, &err), 0);
        assert_string_equal(platform_select(&p, &ix)->digest, "sha256:c"); /* arm means arm/v7 */
        platform_clear(&p);
        assert_int_equal(platform_parse("linux/arm/v6", &p, &err), 0);
        assert_string_equal(platform_select(&p, &ix)->digest, "sha256:b");
        platform_clear(&p);
        /* No variant asked: the entry without one first, though an entry with one comes earlier. */
        assert_int_equal(platform_parse("linux/amd64", &p, &err), 0);
        assert_string_equal(platform_select(&p, &ix)->digest, "sha256:e");
        platform_clear(&p);
        assert_int_equal(platform_parse("linux/amd64/v3", &p, &err), 0);
        assert_string_equal(platform_select(&p, &ix)->digest, "sha256:d");
        platform_clear(&p);
        /* Nested indexes and attestations are never chosen. */
        assert_int_equal(platform_parse("linux/s390x", &p, &err), 0);
        assert_null(platform_select(&p, &ix));
        platform_clear(&p);
        assert_int_equal(platform_parse("unknown/unknown", &p, &err), 0);
        assert_null(platform_select(&p, &ix));
        platform_clear(&p);
        (void) state;
}

static void test_progress_text(void **state)
{
        char buf[32];
        char *s;

        progress_human_size(0, buf, sizeof(buf));
        assert_string_equal(buf, "0B");
        progress_human_size(4194304, buf, sizeof(buf));
        assert_string_equal(buf, "4.194MB");
        progress_human_size(999, buf, sizeof(buf));
        assert_string_equal(buf, "999B");
        progress_human_size(47123456789.0, buf, sizeof(buf));
        assert_string_equal(buf, "47.12GB");

        s = progress_format(LAYER_DOWNLOADING, NULL, 2000000, 4000000, true);
        assert_string_equal(s, "Downloading [=========================>                         ]      2MB/4MB");
        free(s);
        s = progress_format(LAYER_DOWNLOADING, NULL, 1234, 5000000, false);
        assert_string_equal(s, "Downloading  1.234kB/5MB");
        free(s);
        s = progress_format(LAYER_PULL_COMPLETE, NULL, 0, 0, true);
        assert_string_equal(s, "Pull complete");
        free(s);
        s = progress_format(LAYER_MOUNTED, "library/busybox", 0, 0, true);
        assert_string_equal(s, "Mounted from library/busybox");
        free(s);
        s = progress_format(LAYER_RETRYING, "5", 0, 0, true);
        assert_string_equal(s, "Retrying in 5 seconds");
        free(s);
        s = progress_format(LAYER_RETRYING, "1", 0, 0, true);
        assert_string_equal(s, "Retrying in 1 second");
        free(s);
        (void) state;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_challenge_bearer),  cmocka_unit_test(test_challenge_basic_and_pick),
                cmocka_unit_test(test_regconf_v2),        cmocka_unit_test(test_regconf_v1_and_errors),
                cmocka_unit_test(test_qualified),         cmocka_unit_test(test_error_text),
                cmocka_unit_test(test_platform),          cmocka_unit_test(test_platform_select),
                cmocka_unit_test(test_platform_host),
                cmocka_unit_test(test_progress_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
