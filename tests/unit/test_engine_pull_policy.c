/* Unit tests of the pull-on-run decision (engine/pull.h, pull_policy.c): --pull missing|always|never and
 * --platform against a store that has one image, busybox of linux/amd64, and the platform match that decides
 * whether a present image serves a --platform request (registry/platform.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/pull.h"
#include "image/blob.h"
#include "image/imagedb.h"
#include "lib/cleanup.h"
#include "image/platform.h"

static char root[] = "/tmp/berth-unit-pull.XXXXXX";
static struct engine *engine;
static char image_id[DIGEST_STRING_LEN + 1];

static int setup(void **state)
{
        const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                          "\"config\":{\"Cmd\":[\"sh\"]}}";
        char *names[] = {"docker.io/library/busybox:latest", NULL};
        struct image_record rec = {
                .manifest_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                .manifest_media_type = "application/vnd.oci.image.manifest.v1+json",
                .created = "2024-01-01T00:00:00Z",
                .architecture = "amd64",
                .os = "linux",
                .names = names,
        };
        berth_error err = {0};

        (void) state;
        if (mkdtemp(root) == NULL)
                return -1;
        if (engine_open(root, "copy", &engine, &err) < 0 || store_blob_put(engine->store, cfg, strlen(cfg), image_id, &err) < 0)
                goto fail;
        rec.id = image_id;
        if (imagedb_put(engine->store, &rec, &err) < 0)
                goto fail;
        return 0;
fail:
        fprintf(stderr, "setup: %s\n", berth_error_message(&err));
        berth_error_clear(&err);
        return -1;
}

static int teardown(void **state)
{
        char cmd[128];

        (void) state;
        engine_close(engine);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_policy_words(void **state)
{
        enum engine_pull_policy p;
        berth_error err = {0};

        (void) state;
        assert_int_equal(engine_pull_policy_parse("missing", &p, &err), 0);
        assert_int_equal(p, ENGINE_PULL_MISSING);
        assert_int_equal(engine_pull_policy_parse("always", &p, &err), 0);
        assert_int_equal(p, ENGINE_PULL_ALWAYS);
        assert_int_equal(engine_pull_policy_parse("never", &p, &err), 0);
        assert_int_equal(p, ENGINE_PULL_NEVER);
        assert_int_equal(engine_pull_policy_parse("Missing", &p, &err), -EINVAL);
        assert_non_null(strstr(berth_error_message(&err), "must be one of \"always\", \"missing\" or \"never\""));
        berth_error_clear(&err);
}

/* The decision for ref with policy and platform; *id the image it names (NULL unless present). */
static int decide(const char *ref, enum engine_pull_policy pull, const char *platform, enum engine_image_decision *d,
                  char **id, berth_error *err)
{
        struct engine_image_request req = {.ref = ref, .pull = pull, .platform = platform};

        return engine_image_decide(engine, &req, d, id, err);
}

static void test_decisions(void **state)
{
        enum engine_image_decision d;
        berth_error err = {0};
        char *id = NULL;

        (void) state;
        /* missing (the default): a present image is used as it is, by name or id prefix. */
        assert_int_equal(decide("busybox", ENGINE_PULL_MISSING, NULL, &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PRESENT);
        assert_string_equal(id, image_id);
        free(id);
        assert_int_equal(decide("busybox:latest", ENGINE_PULL_NEVER, NULL, &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PRESENT);
        free(id);
        /* ... and an absent one is pulled. */
        assert_int_equal(decide("alpine", ENGINE_PULL_MISSING, NULL, &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PULL);
        assert_null(id);
        assert_int_equal(decide("busybox:1.36", ENGINE_PULL_MISSING, NULL, &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PULL);
        /* always: pulled even when present. */
        assert_int_equal(decide("busybox", ENGINE_PULL_ALWAYS, NULL, &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PULL);
        assert_null(id);
        /* never: an absent image is docker's "No such image", nothing pulled. */
        assert_int_equal(decide("alpine", ENGINE_PULL_NEVER, NULL, &d, &id, &err), -ENOENT);
        assert_non_null(strstr(berth_error_message(&err), "No such image"));
        assert_null(id);
        berth_error_clear(&err);
        /* --platform with a present image: its platform decides (engine_image_ensure checks it). */
        assert_int_equal(decide("busybox", ENGINE_PULL_MISSING, "linux/arm64", &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_CHECK_PLATFORM);
        assert_string_equal(id, image_id);
        free(id);
        assert_int_equal(decide("busybox", ENGINE_PULL_NEVER, "linux/amd64", &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_CHECK_PLATFORM);
        free(id);
        /* --platform with an absent image: pulled (the index entry is chosen then). */
        assert_int_equal(decide("alpine", ENGINE_PULL_MISSING, "linux/arm64", &d, &id, &err), 0);
        assert_int_equal(d, ENGINE_IMAGE_PULL);
}

static void test_platform_match(void **state)
{
        cleanup_platform struct platform amd64 = {0}, arm64 = {0}, armv7 = {0};
        berth_error err = {0};

        (void) state;
        assert_int_equal(platform_parse("linux/amd64", &amd64, &err), 0);
        assert_int_equal(platform_parse("linux/arm64/v8", &arm64, &err), 0);
        assert_int_equal(platform_parse("linux/arm/v7", &armv7, &err), 0);
        /* The present busybox (linux/amd64) serves linux/amd64 only. */
        assert_true(platform_matches(&amd64, "linux", "amd64", NULL));
        assert_false(platform_matches(&arm64, "linux", "amd64", NULL));
        assert_false(platform_matches(&armv7, "linux", "arm", "v6"));
        assert_true(platform_matches(&armv7, "linux", "arm", "v7"));
        assert_false(platform_matches(&amd64, "windows", "amd64", NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_policy_words),
                cmocka_unit_test(test_decisions),
                cmocka_unit_test(test_platform_match),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
