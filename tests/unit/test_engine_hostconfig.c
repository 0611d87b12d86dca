/* Unit tests of the engine's checks of docker's Config/HostConfig (hostconfig.h): what create refuses for
 * every front end, the restart policy and its back-off, docker's name rule, and docker's sizes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/create.h"
#include "engine/hostconfig.h"
#include "lib/cleanup.h"
#include "lib/json.h"

/* Validates {Config, HostConfig} given as JSON text; the error message, or NULL when accepted. */
static char *validate(const char *config, const char *host_config)
{
        cleanup_json json_t *c = json_loads(config, 0, NULL);
        cleanup_json json_t *hc = json_loads(host_config, 0, NULL);
        berth_error err = {0};
        char *msg = NULL;

        assert_non_null(c);
        assert_non_null(hc);
        if (engine_config_validate(c, hc, &err) < 0) {
                assert_int_equal(err.code, EINVAL);
                msg = strdup(berth_error_message(&err));
        }
        berth_error_clear(&err);
        return msg;
}

static void assert_refused(const char *config, const char *host_config, const char *words)
{
        char *msg = validate(config, host_config);

        if (msg == NULL)
                fail_msg("accepted: %s %s", config, host_config);
        if (strstr(msg, words) == NULL)
                fail_msg("%s %s: \"%s\" does not say \"%s\"", config, host_config, msg, words);
        free(msg);
}

static void assert_accepted(const char *config, const char *host_config)
{
        char *msg = validate(config, host_config);

        if (msg != NULL)
                fail_msg("%s %s refused: %s", config, host_config, msg);
}

static void test_accepts_docker_defaults(void **state)
{
        (void) state;
        /* What `docker run busybox` sends, and an empty one (the API's minimum). */
        assert_accepted("{}", "{}");
        assert_accepted("{\"WorkingDir\":\"\",\"StopSignal\":\"\"}",
                        "{\"NetworkMode\":\"none\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{}},"
                        "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0}}");
        assert_accepted("{\"WorkingDir\":\"/srv\",\"StopSignal\":\"SIGUSR1\"}",
                        "{\"Memory\":6291456,\"MemorySwap\":-1,\"NanoCpus\":1500000000,\"PidMode\":\"host\","
                        "\"IpcMode\":\"shareable\",\"UTSMode\":\"container:abc\",\"NetworkMode\":\"host\","
                        "\"UsernsMode\":\"remap\",\"Tmpfs\":{\"/run\":\"size=1m\"},"
                        "\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":20}],"
                        "\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/x\",\"CgroupPermissions\":\"rw\"}],"
                        "\"BlkioDeviceReadBps\":[{\"Path\":\"/dev/sda\",\"Rate\":1048576}],"
                        "\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\"}],"
                        "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"10m\",\"max-file\":\"3\"}},"
                        "\"SecurityOpt\":[\"seccomp=unconfined\",\"no-new-privileges\"]}");
}

static void test_refuses_bad_values(void **state)
{
        (void) state;
        assert_refused("{\"WorkingDir\":\"relative\"}", "{}", "needs to be an absolute path");
        assert_refused("{\"StopSignal\":\"SIGNOPE\"}", "{}", "Invalid signal: SIGNOPE");
        assert_refused("{}", "{\"Memory\":1024}", "Minimum memory limit allowed is 6MB");
        /* More CPUs than the host has (dockerd's bound; 100,000 CPUs also overflowed the quota's arithmetic). */
        assert_refused("{}", "{\"NanoCpus\":100000000000000}", "Range of CPUs is from 0.01 to");
        assert_refused("{}", "{\"Memory\":16777216,\"MemorySwap\":8388608}", "memoryswap limit should be larger");
        assert_refused("{}", "{\"MemorySwap\":-2}", "invalid memory swap limit");
        assert_refused("{}", "{\"NanoCpus\":-1}", "NanoCpus");
        assert_refused("{}", "{\"ShmSize\":-1}", "SHM size");
        assert_refused("{}", "{\"Ulimits\":[{\"Name\":\"nofiles\",\"Soft\":1,\"Hard\":1}]}", "invalid ulimit type: nofiles");
        assert_refused("{}", "{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":2,\"Hard\":1}]}", "soft limit must be less");
        assert_refused("{}", "{\"Devices\":[{\"PathOnHost\":\"dev/null\"}]}", "invalid device mode");
        assert_refused("{}", "{\"Tmpfs\":{\"run\":\"\"}}", "invalid mount path: run");
        assert_refused("{}", "{\"BlkioDeviceWriteIOps\":[{\"Path\":\"/dev/sda\",\"Rate\":-1}]}", "invalid rate");
        assert_refused("{}", "{\"Mounts\":[{\"Type\":\"npipe\",\"Target\":\"/x\"}]}", "mount type unknown");
        assert_refused("{}", "{\"PidMode\":\"weird\"}", "invalid pid mode: weird");
        assert_refused("{}", "{\"IpcMode\":\"shareable-ish\"}", "invalid ipc mode");
        assert_refused("{}", "{\"UTSMode\":\"none\"}", "invalid uts mode: none");
        assert_refused("{}", "{\"NetworkMode\":\"bridge/0\"}", "network bridge/0 not found");
        assert_refused("{}", "{\"UsernsMode\":\"weird\"}", "invalid USER mode: weird");
        assert_refused("{}", "{\"LogConfig\":{\"Type\":\"syslog\"}}", "no log driver named 'syslog'");
        assert_refused("{}", "{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"12zb\"}}}", "invalid max-size");
        assert_refused("{}", "{\"LogConfig\":{\"Config\":{\"max-file\":\"0\"}}}", "invalid max-file: 0");
        assert_refused("{}", "{\"LogConfig\":{\"Config\":{\"tag\":\"x\"}}}", "unknown log opt 'tag'");
        assert_refused("{}", "{\"SecurityOpt\":[\"apparmor=docker-default\"]}", "invalid --security-opt");
}

static void test_field_types(void **state)
{
        (void) state;
        /* dockerd's decoder refuses a value of another type in Go's words; jansson's accessors would read 0. */
        assert_refused("{}", "{\"Memory\":\"64m\"}",
                       "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64");
        assert_refused("{}", "{\"Memory\":[[0]]}", "cannot unmarshal array into Go struct field HostConfig.Memory");
        assert_refused("{}", "{\"NanoCpus\":1.5}", "cannot unmarshal number 1.5 into Go struct field HostConfig.NanoCpus");
        assert_refused("{}", "{\"Privileged\":1}", "cannot unmarshal number into Go struct field HostConfig.Privileged of type bool");
        assert_refused("{}", "{\"CapAdd\":[\"NET_ADMIN\",7]}", "HostConfig.CapAdd of type string");
        assert_refused("{}", "{\"RestartPolicy\":\"always\"}", "HostConfig.RestartPolicy of type container.RestartPolicy");
        assert_refused("{\"Env\":\"A=1\"}", "{}", "cannot unmarshal string into Go struct field Config.Env of type []string");
        assert_refused("{\"Cmd\":[\"sh\",[\"-c\"]]}", "{}", "Config.Cmd of type string");
        assert_refused("{\"Tty\":\"yes\"}", "{}", "Config.Tty of type bool");
        assert_refused("{\"Labels\":[\"a=b\"]}", "{}", "Config.Labels of type map[string]string");
        /* null is a field's zero value; strslice takes a string; unknown fields are ignored, as Go does. */
        assert_accepted("{\"Cmd\":\"echo hi\",\"Entrypoint\":null,\"Env\":null,\"Whatever\":[1]}",
                        "{\"Memory\":null,\"CapAdd\":null,\"BerthProcView\":false,\"Unknown\":\"x\"}");
}

static void test_restart_policy_checks(void **state)
{
        (void) state;
        assert_accepted("{}", "{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}}");
        assert_accepted("{}", "{\"RestartPolicy\":{\"Name\":\"\"},\"AutoRemove\":true}");
        assert_accepted("{}", "{\"RestartPolicy\":{\"Name\":\"no\"},\"AutoRemove\":true}");
        assert_refused("{}", "{\"RestartPolicy\":{\"Name\":\"sometimes\"}}", "unknown policy 'sometimes'");
        assert_refused("{}", "{\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":2}}",
                       "can only be used with 'on-failure'");
        assert_refused("{}", "{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":-1}}", "cannot be negative");
        assert_refused("{}", "{\"RestartPolicy\":{\"Name\":\"unless-stopped\"},\"AutoRemove\":true}",
                       "cannot specify both --restart and --rm");
}

static json_t *policy(const char *name, int max)
{
        return json_pack("{s:{s:s,s:i}}", "RestartPolicy", "Name", name, "MaximumRetryCount", max);
}

static void test_restart_decisions(void **state)
{
        cleanup_json json_t *no = policy("no", 0), *always = policy("always", 0), *unless = policy("unless-stopped", 0);
        cleanup_json json_t *on_failure = policy("on-failure", 0), *on_failure_2 = policy("on-failure", 2);
        cleanup_json json_t *none = json_object();
        enum engine_restart_policy p;

        (void) state;
        assert_int_equal(engine_restart_policy_parse("", &p), 0);
        assert_int_equal(p, ENGINE_RESTART_NO);
        assert_int_equal(engine_restart_policy_parse("unless-stopped", &p), 0);
        assert_int_equal(p, ENGINE_RESTART_UNLESS_STOPPED);
        assert_int_equal(engine_restart_policy_parse("Always", &p), -EINVAL);

        assert_false(engine_restart_wanted(none, 1, 0, false));
        assert_false(engine_restart_wanted(no, 1, 0, false));
        assert_true(engine_restart_wanted(always, 0, 100, false));
        assert_true(engine_restart_wanted(unless, 0, 0, false));
        /* A stop by the user holds every policy back (docker: until the next start). */
        assert_false(engine_restart_wanted(always, 137, 0, true));
        assert_false(engine_restart_wanted(unless, 0, 0, true));
        /* on-failure: only after a failure; :N at most N restarts. */
        assert_false(engine_restart_wanted(on_failure, 0, 0, false));
        assert_true(engine_restart_wanted(on_failure, 3, 50, false));
        assert_true(engine_restart_wanted(on_failure_2, 1, 1, false));
        assert_false(engine_restart_wanted(on_failure_2, 1, 2, false));

        /* docker's back-off: 100 ms doubled per restart, a minute at most. */
        assert_int_equal(engine_restart_delay_ms(1), 100);
        assert_int_equal(engine_restart_delay_ms(2), 200);
        assert_int_equal(engine_restart_delay_ms(4), 800);
        assert_int_equal(engine_restart_delay_ms(10), 51200);
        assert_int_equal(engine_restart_delay_ms(11), 60000);
        assert_int_equal(engine_restart_delay_ms(1000), 60000);
}

static void test_names(void **state)
{
        (void) state;
        /* docker: ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$ */
        assert_true(engine_name_is_valid("web"));
        assert_true(engine_name_is_valid("/web"));
        assert_true(engine_name_is_valid("a1_b.c-d"));
        assert_true(engine_name_is_valid("0x"));
        assert_false(engine_name_is_valid(""));
        assert_false(engine_name_is_valid("/"));
        assert_false(engine_name_is_valid("a"));
        assert_false(engine_name_is_valid("_web"));
        assert_false(engine_name_is_valid(".web"));
        assert_false(engine_name_is_valid("-web"));
        assert_false(engine_name_is_valid("a/b"));
        assert_false(engine_name_is_valid("//web"));
        assert_false(engine_name_is_valid("we b"));
        assert_false(engine_name_is_valid("wéb"));

        /* Generated names pass the rule; ids are 64 hex digits. */
        for (unsigned attempt = 0; attempt < 20; attempt++) {
                cleanup_free char *name = engine_new_name(attempt);
                assert_true(engine_name_is_valid(name));
                assert_non_null(strchr(name, '_'));
        }
        {
                cleanup_free char *id = engine_new_id(), *other = engine_new_id();
                assert_int_equal(strlen(id), 64);
                assert_int_equal(strspn(id, "0123456789abcdef"), 64);
                assert_string_not_equal(id, other);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepts_docker_defaults),
                cmocka_unit_test(test_refuses_bad_values),
                cmocka_unit_test(test_field_types),
                cmocka_unit_test(test_restart_policy_checks),
                cmocka_unit_test(test_restart_decisions),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
