/* Unit tests of the event journal (engine/events.h): docker's filters (moby's matching rules), appending and
 * reading back, since/until, the bound (rotation into events.log.1) and a torn line skipped, in a directory
 * of the test's own; and the health check's Config.Healthcheck defaults (engine/health.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/events.h"
#include "engine/health.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

static json_t *event(const char *type, const char *action, const char *id, const char *attrs)
{
        json_t *a = json_loads(attrs, 0, NULL);

        assert_non_null(a);
        return json_pack("{s:s,s:s,s:{s:s,s:o},s:I}", "Type", type, "Action", action, "Actor", "ID", id, "Attributes", a,
                         "timeNano", (json_int_t) 1);
}

static bool matches(const char *const *filters, size_t n, json_t *ev)
{
        struct engine_events_filter f = {0};
        berth_error err = {0};
        bool ok;

        assert_int_equal(engine_events_filter_parse((char *const *) filters, n, &f, &err), 0);
        ok = engine_events_filter_match(&f, ev);
        engine_events_filter_clear(&f);
        return ok;
}

static void test_filters(void **state)
{
        cleanup_json json_t *die = event("container", "die", "0123456789abcdef", "{\"name\":\"web\",\"image\":\"busybox:1.36\",\"tier\":\"front\",\"exitCode\":\"3\"}");
        cleanup_json json_t *tag = event("image", "tag", "sha256:aaaa", "{\"name\":\"busybox:latest\"}");
        cleanup_json json_t *health = event("container", "health_status: healthy", "0123456789abcdef", "{\"name\":\"web\",\"image\":\"busybox\"}");
        berth_error err = {0};
        struct engine_events_filter f = {0};

        (void) state;
        assert_true(matches((const char *[]){"container=web"}, 1, die));
        assert_true(matches((const char *[]){"container=0123"}, 1, die));        /* an id prefix */
        assert_true(matches((const char *[]){"container=we"}, 1, die));          /* a name prefix (FuzzyMatch) */
        assert_false(matches((const char *[]){"container=web"}, 1, tag));        /* an image event */
        assert_true(matches((const char *[]){"event=start", "event=die"}, 2, die)); /* alternatives */
        assert_false(matches((const char *[]){"event=die", "type=image"}, 2, die)); /* both keys */
        assert_true(matches((const char *[]){"image=busybox"}, 1, die));         /* without the tag */
        assert_true(matches((const char *[]){"image=busybox:1.36"}, 1, die));
        assert_true(matches((const char *[]){"image=busybox"}, 1, tag));
        assert_true(matches((const char *[]){"image=sha256:aaaa"}, 1, tag));
        assert_true(matches((const char *[]){"label=tier"}, 1, die));
        assert_true(matches((const char *[]){"label=tier=front"}, 1, die));
        assert_false(matches((const char *[]){"label=tier=back"}, 1, die));
        assert_true(matches((const char *[]){"event=health_status"}, 1, health)); /* moby #25798 */
        assert_false(matches((const char *[]){"event=health"}, 1, health));
        assert_int_equal(engine_events_filter_parse((char *const[]){"colour=red"}, 1, &f, &err), -EINVAL);
        assert_string_equal(berth_error_message(&err), "invalid filter 'colour'");
        berth_error_clear(&err);
        assert_int_equal(engine_events_filter_parse((char *const[]){"type=teapot"}, 1, &f, &err), -EINVAL);
        berth_error_clear(&err);
        assert_int_equal(engine_events_filter_parse((char *const[]){"container"}, 1, &f, &err), -EINVAL);
        berth_error_clear(&err);
}

struct collected {
        json_t *events;
};

static int collect(json_t *ev, void *data)
{
        struct collected *c = data;

        json_array_append(c->events, ev);
        return 0;
}

static char *make_root(void)
{
        char tmpl[] = "/tmp/berth-events-unit.XXXXXX";

        assert_non_null(mkdtemp(tmpl));
        return xstrdup(tmpl);
}

static void remove_root(const char *root)
{
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

static size_t read_all_events(const char *root, struct engine_events_options *o, json_t **out, size_t *corrupt)
{
        struct collected c = {.events = json_array()};
        struct engine_events_result res = {0};
        berth_error err = {0};

        assert_int_equal(engine_events_read(root, o, collect, &c, &res, &err), 0);
        *out = c.events;
        if (corrupt)
                *corrupt = res.corrupt_lines;
        return json_array_size(c.events);
}

static void test_journal(void **state)
{
        cleanup_free char *root = make_root();
        cleanup_free char *path = xasprintf("%s/%s", root, ENGINE_EVENTS_FILE);
        struct engine_events_options all = {.past = true};
        json_t *events = NULL;
        berth_error err = {0};
        size_t corrupt = 0;
        int64_t mid;
        FILE *f;

        (void) state;
        assert_int_equal(engine_event_append(root, "container", "create", "c1", "busybox", NULL, &err), 0);
        mid = engine_events_now_ns();
        assert_int_equal(engine_event_append(root, "volume", "create", "v1", NULL, NULL, &err), 0);
        assert_int_equal(read_all_events(root, &all, &events, NULL), 2);
        /* docker's message: status/id/from only for containers and images. */
        assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "from")), "busybox");
        assert_null(json_object_get(json_array_get(events, 1), "status"));
        json_decref(events);
        all.since_ns = mid;
        assert_int_equal(read_all_events(root, &all, &events, NULL), 1);
        json_decref(events);
        all.since_ns = 0;
        all.until_ns = mid;
        assert_int_equal(read_all_events(root, &all, &events, NULL), 1);
        json_decref(events);
        all.until_ns = 0;
        /* A torn line (no newline), then an append: the torn one is skipped, nothing else lost. */
        f = fopen(path, "a");
        assert_non_null(f);
        fputs("{\"Type\":\"cont", f);
        fclose(f);
        assert_int_equal(engine_event_append(root, "container", "start", "c1", "busybox", NULL, &err), 0);
        assert_int_equal(read_all_events(root, &all, &events, &corrupt), 3);
        assert_int_equal(corrupt, 1);
        json_decref(events);
        remove_root(root);
}

static void test_rotation(void **state)
{
        cleanup_free char *root = make_root();
        cleanup_free char *cur = xasprintf("%s/%s", root, ENGINE_EVENTS_FILE), *old = xasprintf("%s/%s.1", root, ENGINE_EVENTS_FILE);
        struct engine_events_options all = {.past = true};
        json_t *events = NULL;
        berth_error err = {0};
        struct stat st;

        (void) state;
        setenv("BERTH_EVENTS_MAX_SIZE", "2048", 1);
        for (int i = 0; i < 100; i++) {
                char name[16];
                snprintf(name, sizeof(name), "c%d", i);
                assert_int_equal(engine_event_append(root, "container", "create", name, NULL, NULL, &err), 0);
        }
        unsetenv("BERTH_EVENTS_MAX_SIZE");
        assert_int_equal(stat(cur, &st), 0);
        assert_true(st.st_size <= 2048);
        assert_int_equal(stat(old, &st), 0);
        assert_true(st.st_size <= 2048);
        /* The newest kept, in order, the oldest gone. */
        size_t n = read_all_events(root, &all, &events, NULL);
        assert_true(n > 5 && n < 100);
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(events, n - 1), "Actor"), "ID")), "c99");
        json_decref(events);
        remove_root(root);
}

static void test_healthcheck_config(void **state)
{
        cleanup_json json_t *shell = json_loads("{\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"exit 1\"],\"Retries\":0}}", 0, NULL);
        cleanup_json json_t *cmd = json_loads("{\"Healthcheck\":{\"Test\":[\"CMD\",\"true\",\"x\"],\"Interval\":1000000000}}", 0, NULL);
        cleanup_json json_t *none = json_loads("{\"Healthcheck\":{\"Test\":[\"NONE\"]}}", 0, NULL);
        cleanup_json json_t *bad = json_loads("{\"Healthcheck\":{\"Test\":[\"CMD\",\"true\"],\"Interval\":500}}", 0, NULL);
        struct engine_healthcheck hc;
        berth_error err = {0};

        (void) state;
        assert_true(engine_healthcheck_get(shell, &hc));
        assert_string_equal(hc.argv[0], "/bin/sh");
        assert_string_equal(hc.argv[2], "exit 1");
        assert_true(hc.interval_ns == 30000000000LL && hc.timeout_ns == 30000000000LL && hc.retries == 3 &&
                    hc.start_interval_ns == 5000000000LL && hc.start_period_ns == 0);
        engine_healthcheck_clear(&hc);
        assert_true(engine_healthcheck_get(cmd, &hc));
        assert_int_equal(strv_length(hc.argv), 2);
        assert_true(hc.interval_ns == 1000000000LL);
        engine_healthcheck_clear(&hc);
        assert_false(engine_healthcheck_get(none, &hc));
        assert_int_equal(engine_healthcheck_validate(bad, &err), -EINVAL);
        assert_string_equal(berth_error_message(&err), "Interval in Healthcheck cannot be less than 1ms");
        berth_error_clear(&err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_filters),
                cmocka_unit_test(test_journal),
                cmocka_unit_test(test_rotation),
                cmocka_unit_test(test_healthcheck_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
