/* Credentials files (src/registry/authfile.c): docker's config.json and podman's auth.json, lookup rules,
 * writes that keep other keys and mode 0600, base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/authfile.h"
#include "registry/credhelper.h"
#include "lib/cleanup.h"
#include "lib/util.h"

static char dir[64];

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-authfile-test.XXXXXX");
        if (mkdtemp(dir) == NULL)
                return -1;
        (void) state;
        return 0;
}

static int teardown(void **state)
{
        char *cmd = xasprintf("rm -rf '%s'", dir);
        int r = system(cmd);
        free(cmd);
        (void) state;
        return r == 0 ? 0 : -1;
}

static char *write_file(const char *name, const char *text)
{
        char *path = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void test_base64(void **state)
{
        char *s, *d;
        size_t n;

        s = base64_encode("berth:berth", 11);
        assert_string_equal(s, "YmVydGg6YmVydGg=");
        assert_int_equal(base64_decode(s, &d, &n), 0);
        assert_int_equal(n, 11);
        assert_memory_equal(d, "berth:berth", 11);
        free(s);
        free(d);
        for (size_t len = 0; len < 7; len++) {
                const char *in = "abcdefg";
                s = base64_encode(in, len);
                assert_int_equal(base64_decode(s, &d, &n), 0);
                assert_int_equal(n, len);
                assert_memory_equal(d, in, len);
                free(s);
                free(d);
        }
        assert_int_equal(base64_decode("abc", &d, &n), -EINVAL);
        assert_int_equal(base64_decode("ab!d", &d, &n), -EINVAL);
        assert_int_equal(base64_decode("a=bc", &d, &n), -EINVAL);
        (void) state;
}

/* credHelpers' entry for the registry, else credsStore, else none; names that are not a program suffix are
 * refused before anything runs. */
static void test_credhelper_choice(void **state)
{
        json_t *root = json_loads("{\"credsStore\": \"all\", \"credHelpers\": {\"a.example\": \"one\", \"b.example\": \"\"}}", 0, NULL);
        json_t *none = json_loads("{\"auths\": {}}", 0, NULL);
        struct registry_credentials c = {0};
        berth_error err = {0};
        bool found = true;

        assert_string_equal(credhelper_for(root, "a.example"), "one");
        assert_string_equal(credhelper_for(root, "b.example"), "all");
        assert_string_equal(credhelper_for(root, "c.example"), "all");
        assert_null(credhelper_for(none, "a.example"));
        assert_null(credhelper_for(NULL, "a.example"));
        assert_int_equal(credhelper_get("../../bin/sh", "a.example", &c, &found, &err), -EINVAL);
        assert_false(found);
        assert_non_null(strstr(berth_error_message(&err), "not a docker-credential-NAME suffix"));
        berth_error_clear(&err);
        assert_true(credhelper_get("berth-no-such-helper", "a.example", &c, &found, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "docker-credential-berth-no-such-helper"));
        berth_error_clear(&err);
        json_decref(root);
        json_decref(none);
        (void) state;
}

static void test_lookup_rules(void **state)
{
        cleanup_free char *path = write_file(
                "config.json",
                "{\"auths\": {"
                "\"https://index.docker.io/v1/\": {\"auth\": \"aHViOmh1YnB3\"},"              /* hub:hubpw */
                "\"https://old.example:5000/v1/\": {\"auth\": \"b2xkOm9sZHB3\"},"             /* old:oldpw */
                "\"127.0.0.1:5000\": {\"auth\": \"cmVnOnJlZ3B3\"},"                           /* reg:regpw */
                "\"127.0.0.1:5000/team\": {\"auth\": \"dGVhbTp0ZWFtcHc=\"},"                  /* team:teampw */
                "\"tok.example\": {\"auth\": \"dXNlcjo=\", \"identitytoken\": \"refresh-1\"}" /* user: */
                "}}");
        struct registry_credentials c;
        berth_error err = {0};
        bool found;

        assert_int_equal(authfile_lookup(path, "docker.io/library/busybox", &c, &found, &err), 0);
        assert_true(found);
        assert_string_equal(c.username, "hub");
        assert_string_equal(c.password, "hubpw");
        registry_credentials_clear(&c);

        assert_int_equal(authfile_lookup(path, "old.example:5000/app", &c, &found, &err), 0);
        assert_true(found);
        assert_string_equal(c.username, "old");
        registry_credentials_clear(&c);

        /* A repository-scoped entry (podman) wins for its namespace only. */
        assert_int_equal(authfile_lookup(path, "127.0.0.1:5000/team/app", &c, &found, &err), 0);
        assert_string_equal(c.username, "team");
        registry_credentials_clear(&c);
        assert_int_equal(authfile_lookup(path, "127.0.0.1:5000/teamx/app", &c, &found, &err), 0);
        assert_string_equal(c.username, "reg");
        registry_credentials_clear(&c);

        assert_int_equal(authfile_lookup(path, "tok.example/app", &c, &found, &err), 0);
        assert_true(found);
        assert_string_equal(c.username, "user");
        assert_null(c.password);
        assert_string_equal(c.identity_token, "refresh-1");
        registry_credentials_clear(&c);

        assert_int_equal(authfile_lookup(path, "127.0.0.2:5000/app", &c, &found, &err), 0);
        assert_false(found);
        registry_credentials_clear(&c);
        (void) state;
}

static void test_missing_and_invalid(void **state)
{
        cleanup_free char *missing = xasprintf("%s/none/config.json", dir);
        cleanup_free char *bad_json = write_file("bad.json", "{\"auths\": {\"x\": {\"auth\": \"s3cret-pw\"}");
        cleanup_free char *bad_auth = write_file("badauth.json", "{\"auths\": {\"x\": {\"auth\": \"not base64 s3cret\"}}}");
        struct registry_credentials c;
        berth_error err = {0};
        bool found = true;

        assert_int_equal(authfile_lookup(missing, "x/y", &c, &found, &err), 0);
        assert_false(found);
        /* Malformed files fail, and the message never quotes the content (it may be a password). */
        assert_true(authfile_lookup(bad_json, "x/y", &c, &found, &err) < 0);
        assert_null(strstr(berth_error_message(&err), "s3cret"));
        assert_non_null(strstr(berth_error_message(&err), "invalid JSON"));
        berth_error_clear(&err);
        assert_true(authfile_lookup(bad_auth, "x/y", &c, &found, &err) < 0);
        assert_null(strstr(berth_error_message(&err), "s3cret"));
        assert_non_null(strstr(berth_error_message(&err), "invalid \"auth\""));
        berth_error_clear(&err);
        (void) state;
}

static void test_store_and_erase(void **state)
{
        cleanup_free char *path = xasprintf("%s/new/dir/config.json", dir);
        cleanup_free char *text = NULL;
        struct registry_credentials in = {.username = "berth", .password = "pw:with:colons"};
        struct registry_credentials c;
        berth_error err = {0};
        struct stat st;
        size_t len;
        bool found;

        assert_int_equal(authfile_store(path, "127.0.0.1:5000", &in, &err), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(authfile_lookup(path, "127.0.0.1:5000/app", &c, &found, &err), 0);
        assert_true(found);
        assert_string_equal(c.password, "pw:with:colons");
        registry_credentials_clear(&c);

        /* Docker Hub is written under docker's key; other keys of the file survive a write. */
        chmod(path, 0644);
        assert_int_equal(authfile_store(path, "docker.io", &(struct registry_credentials){.username = "u", .identity_token = "tok"}, &err), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_file_at(AT_FDCWD, path, &text, &len, &err), 0);
        assert_non_null(strstr(text, "\"https://index.docker.io/v1/\""));
        assert_non_null(strstr(text, "\"identitytoken\": \"tok\""));
        assert_non_null(strstr(text, "\"127.0.0.1:5000\""));

        assert_int_equal(authfile_erase(path, "127.0.0.1:5000", &found, &err), 0);
        assert_true(found);
        assert_int_equal(authfile_erase(path, "127.0.0.1:5000", &found, &err), 0);
        assert_false(found);
        assert_int_equal(authfile_lookup(path, "docker.io/library/x", &c, &found, &err), 0);
        assert_true(found);
        registry_credentials_clear(&c);
        assert_int_equal(authfile_erase_all(path, &err), 0);
        assert_int_equal(authfile_lookup(path, "docker.io/library/x", &c, &found, &err), 0);
        assert_false(found);
        (void) state;
}

static void test_path_choice(void **state)
{
        char *p;

        setenv("REGISTRY_AUTH_FILE", "/a/auth.json", 1);
        setenv("DOCKER_CONFIG", "/b", 1);
        p = authfile_path("/c/x.json");
        assert_string_equal(p, "/c/x.json");
        free(p);
        p = authfile_path(NULL);
        assert_string_equal(p, "/a/auth.json");
        free(p);
        unsetenv("REGISTRY_AUTH_FILE");
        p = authfile_path(NULL);
        assert_string_equal(p, "/b/config.json");
        free(p);
        unsetenv("DOCKER_CONFIG");
        setenv("HOME", "/home/h", 1);
        p = authfile_path(NULL);
        assert_string_equal(p, "/home/h/.docker/config.json");
        free(p);
        p = authfile_key("docker.io");
        assert_string_equal(p, "https://index.docker.io/v1/");
        free(p);
        (void) state;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_base64),
                cmocka_unit_test(test_credhelper_choice),
                cmocka_unit_test_setup_teardown(test_lookup_rules, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_and_invalid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_store_and_erase, setup, teardown),
                cmocka_unit_test(test_path_choice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
