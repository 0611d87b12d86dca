/* Unit tests of the engine's pure parts: docker's sizes, users and groups resolved in a rootfs, HostConfig
 * limits as linux.resources, rlimits, id mappings, and a whole HostConfig as config.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "engine/engine.h"
#include "engine/spec_build.h"
#include "engine/user.h"
#include "lib/util.h"

static int make_rootfs(char *dir)
{
        char path[512];
        FILE *f;

        if (mkdtemp(dir) == NULL)
                return -1;
        snprintf(path, sizeof(path), "%s/etc", dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/etc/passwd", dir);
        f = fopen(path, "w");
        fputs("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n# comment\nbad:line\n", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/etc/group", dir);
        f = fopen(path, "w");
        fputs("root:x:0:\napp:x:1001:\nwheel:x:10:root,app\naudio:x:29:app\n", f);
        fclose(f);
        return 0;
}

static void remove_rootfs(const char *dir)
{
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_user_resolve(void **state)
{
        char dir[] = "/tmp/berth-unit-user.XXXXXX";
        cleanup_close int rootfd = -1;
        struct engine_user u = {0};
        berth_error err = {0};

        (void) state;
        assert_int_equal(make_rootfs(dir), 0);
        rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);

        assert_int_equal(engine_user_resolve(rootfd, "app", &u, &err), 0);
        assert_int_equal(u.uid, 1000);
        assert_int_equal(u.gid, 1001);
        assert_string_equal(u.home, "/home/app");
        assert_int_equal(u.n_groups, 2); /* wheel, audio */
        engine_user_clear(&u);

        assert_int_equal(engine_user_resolve(rootfd, "app:wheel", &u, &err), 0);
        assert_int_equal(u.gid, 10);
        engine_user_clear(&u);

        assert_int_equal(engine_user_resolve(rootfd, "4321:99", &u, &err), 0);
        assert_int_equal(u.uid, 4321);
        assert_int_equal(u.gid, 99);
        assert_int_equal(u.n_groups, 1);
        assert_int_equal(u.groups[0], 99);
        engine_user_clear(&u);

        assert_int_equal(engine_user_resolve(rootfd, "", &u, &err), 0);
        assert_int_equal(u.uid, 0);
        assert_string_equal(u.home, "/root");
        engine_user_clear(&u);

        assert_true(engine_user_resolve(rootfd, "nobody-here", &u, &err) < 0);
        assert_non_null(strstr(err.message, "unable to find user nobody-here"));
        berth_error_clear(&err);
        assert_true(engine_user_resolve(rootfd, "app:nogroup", &u, &err) < 0);
        assert_non_null(strstr(err.message, "unable to find group nogroup"));
        berth_error_clear(&err);
        remove_rootfs(dir);
}

static void test_resources(void **state)
{
        cleanup_json json_t *hc = json_pack("{s:I,s:I,s:I,s:b,s:I,s:I,s:s}", "Memory", (json_int_t) 268435456,
                                            "MemoryReservation", (json_int_t) 67108864, "NanoCpus",
                                            (json_int_t) 500000000, "OomKillDisable", 1, "PidsLimit", (json_int_t) 20,
                                            "CpuShares", (json_int_t) 512, "CpusetCpus", "0-1");
        cleanup_json json_t *lx = json_object();
        berth_error err = {0};
        json_t *res;

        (void) state;
        assert_int_equal(engine_spec_resources(hc, lx, &err), 0);
        res = json_object_get(lx, "resources");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")), 268435456);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "reservation")), 67108864);
        assert_true(json_is_true(json_object_get(json_object_get(res, "memory"), "disableOOMKiller")));
        assert_null(json_object_get(json_object_get(res, "memory"), "swap"));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")), 50000);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "period")), 100000);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")), 512);
        assert_string_equal(json_string_value(json_object_get(json_object_get(res, "cpu"), "cpus")), "0-1");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")), 20);
}

static void test_rlimits(void **state)
{
        cleanup_json json_t *hc = json_pack("{s:[{s:s,s:I,s:I}]}", "Ulimits", "Name", "nproc", "Soft", (json_int_t) 10,
                                            "Hard", (json_int_t) 20);
        cleanup_json json_t *process = json_object(), *plain = json_object(), *empty = json_object();
        struct rlimit rl;
        berth_error err = {0};
        json_t *list, *nofile;

        (void) state;
        assert_int_equal(engine_spec_rlimits(hc, process, &err), 0);
        list = json_object_get(process, "rlimits");
        assert_int_equal(json_array_size(list), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "type")), "RLIMIT_NPROC");
        /* The default open-file limit fits the hard limit we have. */
        assert_int_equal(engine_spec_rlimits(empty, plain, &err), 0);
        nofile = json_array_get(json_object_get(plain, "rlimits"), 0);
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
        assert_int_equal((uint64_t) json_integer_value(json_object_get(nofile, "hard")),
                         rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max);
}

static void test_userns_mappings(void **state)
{
        cleanup_json json_t *hc = json_pack("{s:[s]}", "BerthUidMaps", "0:200000:65536");
        cleanup_json json_t *bad = json_pack("{s:[s]}", "BerthUidMaps", "0:200000");
        json_t *uids = NULL, *gids = NULL;
        berth_error err = {0};

        (void) state;
        assert_int_equal(engine_userns_mappings(hc, &uids, &gids, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(uids, 0), "hostID")), 200000);
        /* --uidmap alone maps the gids the same way. */
        assert_int_equal(json_integer_value(json_object_get(json_array_get(gids, 0), "hostID")), 200000);
        json_decref(uids);
        json_decref(gids);
        assert_true(engine_userns_mappings(bad, &uids, &gids, &err) < 0);
        assert_non_null(strstr(err.message, "CONTAINER_ID:HOST_ID:SIZE"));
        berth_error_clear(&err);
}

/* HostConfig -> config.json: docker's Config and HostConfig of a container as the runtime's spec. */
static json_t *build_spec(const char *config, const char *host_config, const char *rootfs)
{
        struct engine e = {.init_exe = "/usr/libexec/berth/berth-init"};
        struct engine_container c = {.id = "0123456789ab", .name = "web"};
        struct spec_build_input in = {.c = &c, .rootfs = rootfs, .container_dir = "/var/lib/berth/containers/0123456789ab"};
        berth_error err = {0};
        json_t *spec = NULL;

        c.config = json_loads(config, 0, NULL);
        c.host_config = json_loads(host_config, 0, NULL);
        c.mounts = json_array();
        assert_non_null(c.config);
        assert_non_null(c.host_config);
        if (engine_spec_build(&e, &in, &spec, &err) < 0)
                fail_msg("engine_spec_build: %s", berth_error_message(&err));
        json_decref(c.config);
        json_decref(c.host_config);
        json_decref(c.mounts);
        return spec;
}

static const json_t *find_mount(const json_t *spec, const char *dest)
{
        size_t i;
        json_t *m;

        json_array_foreach(json_object_get(spec, "mounts"), i, m)
                if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
                        return m;
        return NULL;
}

static bool has_namespace(const json_t *spec, const char *type)
{
        size_t i;
        json_t *n;

        json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, n)
                if (strcmp(json_string_value(json_object_get(n, "type")), type) == 0)
                        return true;
        return false;
}

static bool has_string(const json_t *array, const char *s)
{
        size_t i;
        json_t *v;

        json_array_foreach(array, i, v)
                if (strcmp(json_string_value(v), s) == 0)
                        return true;
        return false;
}

static void test_spec_build(void **state)
{
        char dir[] = "/tmp/berth-unit-spec.XXXXXX";

        (void) state;
        assert_int_equal(make_rootfs(dir), 0);
        {
                cleanup_json json_t *spec = build_spec(
                        "{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],\"Env\":[\"A=1\"],\"User\":\"app\","
                        "\"WorkingDir\":\"/srv\",\"Hostname\":\"box\",\"Tty\":true}",
                        "{\"NetworkMode\":\"none\",\"Memory\":268435456,\"PidsLimit\":64,\"ShmSize\":1048576,"
                        "\"ReadonlyRootfs\":true,\"Init\":true,\"SecurityOpt\":[\"no-new-privileges\"],"
                        "\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"NET_BIND_SERVICE\"]}",
                        dir);
                const json_t *process = json_object_get(spec, "process"), *lx = json_object_get(spec, "linux");
                const json_t *shm = find_mount(spec, "/dev/shm"), *hosts = find_mount(spec, "/etc/hosts");
                const json_t *init = find_mount(spec, "/sbin/docker-init");
                cleanup_free char *args = json_dumps(json_object_get(process, "args"), JSON_COMPACT);
                cleanup_free char *caps = json_dumps(json_object_get(json_object_get(process, "capabilities"), "bounding"),
                                                     JSON_COMPACT);

                /* --init: the reaper runs the Entrypoint + Cmd. */
                assert_string_equal(args, "[\"/sbin/docker-init\",\"--\",\"/bin/sh\",\"-c\",\"echo hi\"]");
                assert_non_null(init);
                assert_string_equal(json_string_value(json_object_get(init, "source")), "/usr/libexec/berth/berth-init");
                /* User "app" resolved in the image's /etc/passwd. */
                assert_int_equal(json_integer_value(json_object_get(json_object_get(process, "user"), "uid")), 1000);
                assert_int_equal(json_integer_value(json_object_get(json_object_get(process, "user"), "gid")), 1001);
                assert_string_equal(json_string_value(json_object_get(process, "cwd")), "/srv");
                assert_true(json_is_true(json_object_get(process, "terminal")));
                assert_true(json_is_true(json_object_get(process, "noNewPrivileges")));
                assert_true(has_string(json_object_get(process, "env"), "A=1"));
                assert_true(has_string(json_object_get(process, "env"), "HOSTNAME=box"));
                assert_true(has_string(json_object_get(process, "env"), "TERM=xterm"));
                assert_true(has_string(json_object_get(process, "env"), "HOME=/home/app"));
                assert_string_equal(caps, "[\"CAP_NET_BIND_SERVICE\"]");
                assert_string_equal(json_string_value(json_object_get(spec, "hostname")), "box");
                assert_true(json_is_true(json_object_get(json_object_get(spec, "root"), "readonly")));
                /* --network none: a network namespace of its own; every other one too. */
                assert_true(has_namespace(spec, "network"));
                assert_true(has_namespace(spec, "pid"));
                assert_true(has_namespace(spec, "uts"));
                assert_false(has_namespace(spec, "user"));
                assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(lx, "resources"), "memory"), "limit")),
                                 268435456);
                assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(lx, "resources"), "pids"), "limit")),
                                 64);
                assert_true(has_string(json_object_get(shm, "options"), "size=1048576"));
                /* The read-only root makes the managed /etc files read-only too. */
                assert_string_equal(json_string_value(json_object_get(hosts, "source")), "/var/lib/berth/containers/0123456789ab/hosts");
                assert_true(has_string(json_object_get(hosts, "options"), "ro"));
                assert_true(json_array_size(json_object_get(lx, "maskedPaths")) > 0);
                assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "annotations"), "io.github.berth.container.name")),
                                    "web");
        }
        {
                cleanup_json json_t *spec = build_spec("{\"Cmd\":[\"true\"],\"Hostname\":\"box\"}",
                                                       "{\"NetworkMode\":\"host\",\"UTSMode\":\"host\",\"PidMode\":\"host\","
                                                       "\"Privileged\":true}",
                                                       dir);
                const json_t *process = json_object_get(spec, "process");

                /* Host namespaces are the host's: not in the list, no hostname of its own. */
                assert_false(has_namespace(spec, "network"));
                assert_false(has_namespace(spec, "uts"));
                assert_false(has_namespace(spec, "pid"));
                assert_true(has_namespace(spec, "mount"));
                assert_null(json_object_get(spec, "hostname"));
                /* --privileged: nothing masked, user root from the empty User, cwd "/". */
                assert_int_equal(json_array_size(json_object_get(json_object_get(spec, "linux"), "maskedPaths")), 0);
                assert_int_equal(json_integer_value(json_object_get(json_object_get(process, "user"), "uid")), 0);
                assert_string_equal(json_string_value(json_object_get(process, "cwd")), "/");
                assert_true(json_is_false(json_object_get(process, "noNewPrivileges")));
                assert_non_null(find_mount(spec, "/etc/hosts"));
                assert_null(find_mount(spec, "/sbin/docker-init"));
        }
        remove_rootfs(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user_resolve),
                cmocka_unit_test(test_resources),
                cmocka_unit_test(test_rlimits),
                cmocka_unit_test(test_userns_mappings),
                cmocka_unit_test(test_spec_build),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
