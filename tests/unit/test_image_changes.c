/* import --change: Dockerfile instructions applied to an image config (src/image/changes.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/changes.h"
#include "lib/json.h"

static json_t *apply(const char *const *changes)
{
        json_t *c = json_object();
        berth_error err = {0};

        for (; *changes; changes++)
                assert_int_equal(image_change_apply(c, *changes, &err), 0);
        return c;
}

static void assert_json(json_t *v, const char *expected)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        assert_string_equal(s, expected);
        free(s);
}

static void test_commands(void **state)
{
        const char *const changes[] = {"CMD [\"/bin/sh\", \"-c\", \"x\"]", "ENTRYPOINT /init --flag", NULL};
        json_t *c = apply(changes);

        assert_json(json_object_get(c, "Cmd"), "[\"/bin/sh\",\"-c\",\"x\"]");
        assert_json(json_object_get(c, "Entrypoint"), "[\"/bin/sh\",\"-c\",\"/init --flag\"]");
        json_decref(c);
}

static void test_env_label(void **state)
{
        const char *const changes[] = {"ENV A=1 B=\"two words\"", "ENV A=3", "ENV LEGACY value with spaces",
                                       "LABEL x=y \"k 2\"=v", NULL};
        json_t *c = apply(changes);

        assert_json(json_object_get(c, "Env"), "[\"A=3\",\"B=two words\",\"LEGACY=value with spaces\"]");
        assert_json(json_object_get(c, "Labels"), "{\"k 2\":\"v\",\"x\":\"y\"}");
        json_decref(c);
}

static void test_sets_and_scalars(void **state)
{
        const char *const changes[] = {"EXPOSE 80 53/udp", "VOLUME [\"/a\", \"/b\"]", "VOLUME /c",
                                       "WORKDIR /w", "USER 1000:1000", "STOPSIGNAL SIGTERM", "expose 8080", NULL};
        json_t *c = apply(changes);

        assert_json(json_object_get(c, "ExposedPorts"), "{\"53/udp\":{},\"80/tcp\":{},\"8080/tcp\":{}}");
        assert_json(json_object_get(c, "Volumes"), "{\"/a\":{},\"/b\":{},\"/c\":{}}");
        assert_json(json_object_get(c, "WorkingDir"), "\"/w\"");
        assert_json(json_object_get(c, "User"), "\"1000:1000\"");
        assert_json(json_object_get(c, "StopSignal"), "\"SIGTERM\"");
        json_decref(c);
}

static void test_errors(void **state)
{
        const char *const bad[] = {"RUN echo", "ENV", "ENV =x", "LABEL novalue", "EXPOSE http", "WORKDIR a b", "", NULL};

        for (const char *const *b = bad; *b; b++) {
                json_t *c = json_object();
                berth_error err = {0};
                assert_true(image_change_apply(c, *b, &err) < 0);
                assert_non_null(err.message);
                berth_error_clear(&err);
                json_decref(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_commands), cmocka_unit_test(test_env_label),
                cmocka_unit_test(test_sets_and_scalars), cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
