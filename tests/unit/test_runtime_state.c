/* src/runtime/state.c: the container's record. state.json is written (container_save) and read
 * (container_load) by state.c alone; the handle owns the cgroup manager rebuilt from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"

static const char cgroup_text[] =
        "{\"layout\":\"hybrid\",\"hierarchies\":["
        "{\"name\":\"memory\",\"v2\":false,\"controllers\":\"memory\",\"dir\":\"/sys/fs/cgroup/memory/berth/c1\","
        "\"created\":2},"
        "{\"name\":\"unified\",\"v2\":true,\"controllers\":\"hugetlb\",\"dir\":\"/sys/fs/cgroup/unified/berth/c1\","
        "\"created\":2}]}";

struct fixture {
        char root[PATH_MAX];
        int dirfd; /* root/c1 */
        struct runtime_context ctx;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        cleanup_free char *dir = NULL;

        snprintf(f->root, sizeof(f->root), "/tmp/berth-test-state.XXXXXX");
        if (mkdtemp(f->root) == NULL)
                return -1;
        dir = xasprintf("%s/c1", f->root);
        if (mkdir(dir, 0700) < 0)
                return -1;
        f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        f->ctx.state_root = f->root;
        *state = f;
        return f->dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", f->root);

        close(f->dirfd);
        if (system(cmd) != 0)
                return -1;
        free(f);
        return 0;
}

static void test_save_then_load(void **state)
{
        struct fixture *f = *state;
        cleanup_json json_t *saved = json_loads(cgroup_text, 0, NULL);
        cleanup_json json_t *annotations = json_pack("{s:s}", "a", "b");
        cleanup_json json_t *again = NULL;
        cleanup_container struct container *c = NULL;
        struct cgroup_manager *m = NULL;
        berth_error err = {0};
        enum container_status status;

        assert_int_equal(cgroup_manager_from_json(saved, &m, &err), 0);
        const struct container record = {
                .id = "c1", .oci_version = "1.2.0", .bundle = "/b", .rootfs = "/b/rootfs",
                .created = "2026-01-02T03:04:05.000000006Z", .owner = "root", .pid = 4242, .start_time = 987654321987,
                .annotations = annotations, .cgroup = m, .poststart_hooks = false, .poststop_hooks = true,
        };
        assert_int_equal(container_save(&record, f->dirfd, &err), 0);
        cgroup_manager_free(m);

        assert_int_equal(container_load(&f->ctx, "c1", &c, &err), 0);
        assert_true(c->recorded);
        assert_string_equal(c->oci_version, "1.2.0");
        assert_string_equal(c->bundle, "/b");
        assert_string_equal(c->rootfs, "/b/rootfs");
        assert_string_equal(c->created, "2026-01-02T03:04:05.000000006Z");
        assert_string_equal(c->owner, "root");
        assert_int_equal(c->pid, 4242);
        assert_int_equal(c->start_time, 987654321987);
        assert_true(json_equal(c->annotations, annotations));
        assert_false(c->poststart_hooks);
        assert_true(c->poststop_hooks);
        /* The handle's manager is the saved cgroup. */
        assert_non_null(c->cgroup);
        again = cgroup_manager_to_json(c->cgroup);
        assert_true(json_equal(again, saved));
        /* pid 4242, if it exists at all, started long before that tick (31 years of uptime): not our init. */
        assert_int_equal(container_status(c, &status, &err), 0);
        assert_int_equal(status, CONTAINER_STOPPED);
}

static void test_no_cgroup_and_being_created(void **state)
{
        struct fixture *f = *state;
        cleanup_container struct container *c = NULL, *d = NULL;
        berth_error err = {0};
        enum container_status status;

        /* Still being created: no state.json yet. */
        assert_int_equal(container_load(&f->ctx, "c1", &c, &err), 0);
        assert_false(c->recorded);
        assert_null(c->cgroup);
        assert_int_equal(container_status(c, &status, &err), 0);
        assert_int_equal(status, CONTAINER_CREATING);

        const struct container record = {.id = "c1", .pid = 1};
        assert_int_equal(container_save(&record, f->dirfd, &err), 0);
        assert_int_equal(container_load(&f->ctx, "c1", &d, &err), 0);
        assert_true(d->recorded);
        assert_null(d->cgroup);
        assert_null(d->annotations);
}

static void test_bad_cgroup_refused(void **state)
{
        struct fixture *f = *state;
        static const char text[] = "{\"id\":\"c1\",\"pid\":1,\"berth.cgroup\":{\"layout\":\"v2\"}}";
        cleanup_container struct container *c = NULL;
        berth_error err = {0};

        assert_int_equal(write_file_atomic_at(f->dirfd, "state.json", text, strlen(text), 0600, false, &err), 0);
        assert_true(container_load(&f->ctx, "c1", &c, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "c1/state.json: "));
        assert_non_null(strstr(berth_error_message(&err), "hierarchies"));
        berth_error_clear(&err);
        assert_true(container_load(&f->ctx, "nope", &c, &err) < 0);
        assert_int_equal(err.code, ENOENT);
        berth_error_clear(&err);
}

static void test_remove_record(void **state)
{
        struct fixture *f = *state;
        const struct container record = {.id = "c1", .pid = 1};
        struct stat st;
        berth_error err = {0};
        int fd;

        assert_int_equal(container_save(&record, f->dirfd, &err), 0);
        fd = openat(f->dirfd, "state.json.tmp123", O_WRONLY | O_CREAT | O_CLOEXEC, 0600); /* an interrupted write */
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(container_remove_record(f->dirfd, "c1", &err), 0);
        assert_int_equal(fstatat(f->dirfd, "state.json", &st, 0), -1);
        assert_int_equal(fstatat(f->dirfd, "state.json.tmp123", &st, 0), -1);
        /* The directory itself stays (the caller removes it); a second removal finds nothing to do. */
        assert_int_equal(fstat(f->dirfd, &st), 0);
        assert_int_equal(container_remove_record(f->dirfd, "c1", &err), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_save_then_load, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_cgroup_and_being_created, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_cgroup_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_record, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
