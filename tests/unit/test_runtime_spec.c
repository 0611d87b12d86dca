/* src/runtime/spec.c and validate.c: config.json parsing; every bad field is named in the error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/mounts.h"
#include "runtime/namespaces.h"
#include "runtime/spec.h"
#include "runtime/userns.h"
#include "lib/util.h"
#include "runtime/validate.h"

static const char *const minimal =
        "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
        "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
        "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";

/* Parses minimal with a jq-like edit applied by the caller (a JSON object merged at a path). */
static int parse_with(const char *patch_path, const char *patch_json, struct runtime_spec **out, berth_error *err)
{
        cleanup_json json_t *doc = json_loads(minimal, 0, NULL);
        json_t *parent = doc;
        cleanup_free char *path = patch_path ? xstrdup(patch_path) : NULL;
        char *save = NULL, *key, *next;

        assert_non_null(doc);
        if (path != NULL) {
                key = strtok_r(path, ".", &save);
                while ((next = strtok_r(NULL, ".", &save)) != NULL) {
                        json_t *child = json_object_get(parent, key);
                        if (child == NULL) {
                                child = json_object();
                                json_object_set_new(parent, key, child);
                        }
                        parent = child;
                        key = next;
                }
                if (patch_json == NULL) {
                        json_object_del(parent, key);
                } else {
                        json_t *value = json_loads(patch_json, JSON_DECODE_ANY, NULL);
                        assert_non_null(value);
                        json_object_set_new(parent, key, value);
                }
        }
        return spec_parse(doc, "/bundle", out, err);
}

static void expect_error(const char *patch_path, const char *patch_json, const char *needle)
{
        struct runtime_spec *spec = NULL;
        berth_error err = {0};
        int r = parse_with(patch_path, patch_json, &spec, &err);

        if (r == 0) {
                spec_free(spec);
                fail_msg("%s=%s: parsed, expected an error naming '%s'", patch_path, patch_json, needle);
        }
        if (strstr(berth_error_message(&err), needle) == NULL)
                fail_msg("%s=%s: error '%s' does not name '%s'", patch_path, patch_json, berth_error_message(&err), needle);
        berth_error_clear(&err);
}

static void test_minimal(void **state)
{
        struct runtime_spec *spec = NULL;
        berth_error err = {0};

        (void) state;
        assert_int_equal(parse_with(NULL, NULL, &spec, &err), 0);
        assert_string_equal(spec->root_path, "/bundle/rootfs");
        assert_string_equal(spec->process.args[0], "sh");
        assert_true(spec->linux_section.namespaces[NS_MOUNT].present);
        assert_false(spec->linux_section.namespaces[NS_PID].present);
        spec_free(spec);
}

static void test_full_process(void **state)
{
        struct runtime_spec *spec = NULL;
        berth_error err = {0};
        const char *process =
                "{\"terminal\":true,\"consoleSize\":{\"height\":40,\"width\":120},\"args\":[\"a\",\"b\"],"
                "\"env\":[\"A=1\",\"B=x=y\"],\"cwd\":\"/w\",\"user\":{\"uid\":1000,\"gid\":1001,\"umask\":18,"
                "\"additionalGids\":[5,6]},\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"],"
                "\"ambient\":[\"CAP_KILL\",\"CAP_NOPE\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
                "\"noNewPrivileges\":true,\"oomScoreAdj\":-500}";

        (void) state;
        assert_int_equal(parse_with("process", process, &spec, &err), 0);
        assert_true(spec->process.terminal);
        assert_int_equal(spec->process.console_height, 40);
        assert_int_equal(spec->process.user.uid, 1000);
        assert_int_equal(spec->process.user.umask, 18);
        assert_int_equal(spec->process.user.n_additional_gids, 2);
        assert_int_equal(spec->process.capabilities.bounding, (1ull << 5) | (1ull << 21));
        assert_int_equal(spec->process.capabilities.ambient, 1ull << 5);
        /* runtime-spec 1.1: an unknown capability is left out (create warns), not an error. */
        assert_non_null(spec->process.capabilities.unknown);
        assert_string_equal(spec->process.capabilities.unknown[0], "CAP_NOPE");
        assert_null(spec->process.capabilities.unknown[1]);
        assert_int_equal(spec->process.rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(spec->process.rlimits[0].hard, 20);
        assert_true(spec->process.no_new_privileges);
        assert_int_equal(spec->process.oom_score_adj, -500);
        spec_free(spec);
}

static void test_linux_section(void **state)
{
        struct runtime_spec *spec = NULL;
        berth_error err = {0};
        const char *linux_obj =
                "{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},"
                "{\"type\":\"user\"},{\"type\":\"time\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
                "\"timeOffsets\":{\"monotonic\":{\"secs\":5,\"nanosecs\":6}},"
                "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
                "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"personality\":{\"domain\":\"LINUX32\"},"
                "\"rootfsPropagation\":\"rslave\",\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"]}";

        (void) state;
        assert_int_equal(parse_with("linux", linux_obj, &spec, &err), 0);
        assert_string_equal(spec->linux_section.namespaces[NS_NETWORK].path, "/proc/1/ns/net");
        assert_true(spec->linux_section.namespaces[NS_USER].present);
        assert_int_equal(spec->linux_section.uid_mappings[0].host_id, 1000);
        assert_int_equal(spec->linux_section.time_monotonic.secs, 5);
        assert_int_equal(spec->linux_section.devices[0].file_mode, 438);
        assert_int_equal(spec->linux_section.personality, PER_LINUX32);
        assert_string_equal(spec->linux_section.sysctls[0].key, "net.ipv4.ip_forward");
        assert_false(namespaces_single_clone(&spec->linux_section)); /* time ns: two stages */
        spec_free(spec);
}

static void test_errors_name_the_field(void **state)
{
        (void) state;
        expect_error("ociVersion", NULL, "ociVersion: required field is missing");
        expect_error("ociVersion", "\"0.9\"", "ociVersion");
        expect_error("root", NULL, "root: required field is missing");
        expect_error("root.path", "7", "root.path: expected a string, got integer");
        expect_error("process.args", "[]", "process.args: must not be empty");
        expect_error("process.args", "\"sh\"", "process.args: expected an array, got string");
        expect_error("process.args", "[\"sh\", 1]", "process.args[1]: expected a string, got integer");
        expect_error("process.cwd", "\"relative\"", "process.cwd");
        expect_error("process.user", NULL, "process.user: required field is missing");
        expect_error("process.user.uid", "-1", "process.user.uid: expected an unsigned integer");
        expect_error("process.env", "[\"NOEQUALS\"]", "process.env[0]");
        expect_error("process.rlimits", "[{\"type\":\"RLIMIT_X\",\"soft\":1,\"hard\":1}]", "unknown rlimit");
        expect_error("process.rlimits", "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]", "above the hard limit");
        expect_error("process.oomScoreAdj", "5000", "process.oomScoreAdj");
        expect_error("linux.namespaces", "[{\"type\":\"wormhole\"}]", "linux.namespaces[0].type: unknown namespace type");
        expect_error("linux.namespaces", "[{\"type\":\"pid\"},{\"type\":\"pid\"}]", "listed twice");
        expect_error("linux.namespaces", "[{\"type\":\"user\"}]", "a new user namespace needs both mappings");
        expect_error("linux.uidMappings", "[{\"containerID\":0,\"hostID\":0,\"size\":0}]", "linux.uidMappings[0].size");
        expect_error("linux.devices", "[{\"path\":\"/dev/x\",\"type\":\"q\",\"major\":1,\"minor\":1}]",
                     "linux.devices[0].type");
        expect_error("linux.devices", "[{\"path\":\"dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1}]",
                     "linux.devices[0].path");
        expect_error("linux.timeOffsets", "{\"monotonic\":{\"secs\":1}}", "without a time namespace");
        expect_error("linux.rootfsPropagation", "\"sideways\"", "linux.rootfsPropagation");
        expect_error("linux.personality", "{\"domain\":\"WINDOWS\"}", "linux.personality.domain");
        expect_error("mounts", "[{\"type\":\"tmpfs\"}]", "mounts[0].destination: required field is missing");
        expect_error("mounts", "[{\"destination\":\"/x\",\"options\":\"ro\"}]", "mounts[0].options");
        expect_error("hooks", "{\"prestart\":[{\"path\":\"rel\"}]}", "hooks.prestart[0].path");
        expect_error("hooks", "{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}", "hooks.poststop[0].timeout");
        expect_error("annotations", "{\"a\":1}", "annotations.a");
}

static void test_validate_sysctl(void **state)
{
        struct spec_linux lx = {0};
        berth_error err = {0};

        (void) state;
        assert_true(validate_sysctl(&lx, "net.ipv4.ip_forward", &err) < 0);
        berth_error_clear(&err);
        lx.namespaces[NS_NETWORK].present = true;
        assert_int_equal(validate_sysctl(&lx, "net.ipv4.ip_forward", &err), 0);
        assert_true(validate_sysctl(&lx, "kernel.shmmax", &err) < 0);
        berth_error_clear(&err);
        lx.namespaces[NS_IPC].present = true;
        assert_int_equal(validate_sysctl(&lx, "kernel.shmmax", &err), 0);
        assert_int_equal(validate_sysctl(&lx, "fs.mqueue.msg_max", &err), 0);
        assert_true(validate_sysctl(&lx, "vm.swappiness", &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "vm.swappiness"));
        berth_error_clear(&err);
}

static void test_mount_options(void **state)
{
        char *opts[] = {"rbind", "ro", "nosuid", "noexec", "rshared", "rnodev", "size=64m", "mode=755", "tmpcopyup", NULL};
        struct mount_options o;
        berth_error err = {0};

        (void) state;
        assert_int_equal(mount_options_parse(opts, &o, &err), 0);
        assert_true(o.bind && o.recursive_bind && o.tmpcopyup);
        assert_int_equal(o.flags, MS_RDONLY | MS_NOSUID | MS_NOEXEC);
        assert_int_equal(o.propagation, MS_SHARED | MS_REC);
        assert_int_equal(o.recursive_set, MOUNT_ATTR_NODEV);
        assert_string_equal(o.data, "size=64m,mode=755");
        mount_options_clear(&o);

        char *opts2[] = {"ro", "rw", "nosuid", "suid", NULL};
        assert_int_equal(mount_options_parse(opts2, &o, &err), 0);
        assert_int_equal(o.flags, 0); /* the later option wins */
        assert_int_equal(o.cleared, MS_RDONLY | MS_NOSUID);
        assert_null(o.data);
        mount_options_clear(&o);
}

static void test_signals_and_numbers(void **state)
{
        int sig = 0;
        uint64_t u = 0;

        (void) state;
        assert_int_equal(signal_parse("KILL", &sig), 0);
        assert_int_equal(sig, 9);
        assert_int_equal(signal_parse("sigterm", &sig), 0);
        assert_int_equal(sig, 15);
        assert_int_equal(signal_parse("10", &sig), 0);
        assert_int_equal(sig, 10);
        assert_int_equal(signal_parse("RTMIN+2", &sig), 0);
        assert_int_equal(sig, SIGRTMIN + 2);
        assert_true(signal_parse("NOPE", &sig) < 0);
        assert_true(signal_parse("0", &sig) < 0);
        assert_true(signal_parse("999", &sig) < 0);
        assert_int_equal(parse_u64("18446744073709551615", &u), 0);
        assert_true(parse_u64("18446744073709551616", &u) < 0);
        assert_true(parse_u64("-1", &u) < 0);
        assert_true(parse_u64("12x", &u) < 0);
}

static void test_id_maps(void **state)
{
        struct spec_id_mapping map[] = {{0, 100000, 1000}, {1000, 1000, 1}};
        cleanup_free char *text = userns_format_map(map, 2);

        (void) state;
        assert_string_equal(text, "0 100000 1000\n1000 1000 1\n");
        assert_int_equal(userns_host_id(map, 2, 0), 100000);
        assert_int_equal(userns_host_id(map, 2, 999), 100999);
        assert_int_equal(userns_host_id(map, 2, 1000), 1000);
        assert_int_equal(userns_host_id(map, 2, 1001), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_full_process),
                cmocka_unit_test(test_linux_section),
                cmocka_unit_test(test_errors_name_the_field),
                cmocka_unit_test(test_validate_sysctl),
                cmocka_unit_test(test_mount_options),
                cmocka_unit_test(test_signals_and_numbers),
                cmocka_unit_test(test_id_maps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
