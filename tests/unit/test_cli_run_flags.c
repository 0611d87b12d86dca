/* Unit tests of docker's run/create flags into Config and HostConfig (src/cli/berth/cmd_run_flags.c), and
 * of that HostConfig through the engine's checks (hostconfig.h): the path a command line takes to create. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/berth/cmd_container.h"
#include "engine/hostconfig.h"
#include "lib/cleanup.h"
#include "lib/json.h"

/* Parses "run ARGS..." (NULL-terminated) into f; the parser's return. */
static int parse(struct run_flags *f, bool is_run, ...)
{
        struct berth_cli cli = {.program = "berth", .command = is_run ? "run" : "create"};
        char *argv[64];
        int argc = 0;
        va_list ap;

        argv[argc++] = is_run ? "run" : "create";
        va_start(ap, is_run);
        for (char *a = va_arg(ap, char *); a != NULL; a = va_arg(ap, char *))
                argv[argc++] = a;
        va_end(ap);
        argv[argc] = NULL;
        optind = 0; /* getopt_long: a fresh scan */
        return run_flags_parse(&cli, argc, argv, is_run, f);
}

static json_int_t hc_int(const struct run_flags *f, const char *key)
{
        const json_t *v = json_object_get(f->host_config, key);
        assert_true(json_is_integer(v));
        return json_integer_value(v);
}

static const char *hc_str(const struct run_flags *f, const char *key)
{
        const char *s = json_string_value(json_object_get(f->host_config, key));
        assert_non_null(s);
        return s;
}

static void assert_json(const json_t *v, const char *want)
{
        cleanup_json json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
        cleanup_free char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

        assert_non_null(w);
        if (!json_equal((json_t *) v, w))
                fail_msg("got %s, want %s", got ? got : "(null)", want);
}

static void test_defaults(void **state)
{
        struct run_flags f;

        (void) state;
        assert_int_equal(parse(&f, true, "busybox", NULL), 0);
        assert_string_equal(f.image, "busybox");
        assert_null(json_object_get(f.config, "Cmd"));
        assert_string_equal(hc_str(&f, "NetworkMode"), "default");
        assert_json(json_object_get(f.host_config, "RestartPolicy"), "{\"Name\":\"no\",\"MaximumRetryCount\":0}");
        assert_json(json_object_get(f.host_config, "LogConfig"), "{\"Type\":\"json-file\",\"Config\":{}}");
        /* docker run attaches stdout and stderr by default; stdin only with -i. */
        assert_true(f.attach_stdout && f.attach_stderr && !f.attach_stdin);
        assert_true(json_is_false(json_object_get(f.config, "Tty")));
        assert_true(json_is_false(json_object_get(f.config, "OpenStdin")));
        assert_true(f.sig_proxy);
        assert_false(f.detach);
        run_flags_clear(&f);

        assert_int_equal(parse(&f, false, "busybox", "echo", "a b", NULL), 0);
        assert_json(json_object_get(f.config, "Cmd"), "[\"echo\",\"a b\"]");
        /* create attaches nothing. */
        assert_false(f.attach_stdout || f.attach_stderr || f.attach_stdin);
        run_flags_clear(&f);
}

static void test_resources(void **state)
{
        struct run_flags f;

        (void) state;
        assert_int_equal(parse(&f, true, "-m", "256m", "--memory-swap", "-1", "--memory-reservation", "1g", "--cpus", "1.5",
                               "-c", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpuset-cpus", "0-1",
                               "--pids-limit", "64", "--shm-size", "64m", "--oom-kill-disable", "busybox", NULL), 0);
        assert_int_equal(hc_int(&f, "Memory"), 268435456);
        assert_int_equal(hc_int(&f, "MemorySwap"), -1);
        assert_int_equal(hc_int(&f, "MemoryReservation"), 1073741824);
        assert_int_equal(hc_int(&f, "NanoCpus"), 1500000000);
        assert_int_equal(hc_int(&f, "CpuShares"), 512);
        assert_int_equal(hc_int(&f, "CpuPeriod"), 100000);
        assert_int_equal(hc_int(&f, "CpuQuota"), 50000);
        assert_string_equal(hc_str(&f, "CpusetCpus"), "0-1");
        assert_int_equal(hc_int(&f, "PidsLimit"), 64);
        assert_int_equal(hc_int(&f, "ShmSize"), 67108864);
        assert_true(json_is_true(json_object_get(f.host_config, "OomKillDisable")));
        run_flags_clear(&f);

        assert_int_equal(parse(&f, true, "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=10",
                               "--device", "/dev/fuse", "--device", "/dev/null:/dev/mynull:r",
                               "--device-read-bps", "/dev/sda:1mb", "--device-write-iops", "/dev/sda:100", "busybox", NULL), 0);
        assert_json(json_object_get(f.host_config, "Ulimits"),
                    "[{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2048},{\"Name\":\"nproc\",\"Soft\":10,\"Hard\":10}]");
        assert_json(json_object_get(f.host_config, "Devices"),
                    "[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rwm\"},"
                    "{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/mynull\",\"CgroupPermissions\":\"r\"}]");
        assert_json(json_object_get(f.host_config, "BlkioDeviceReadBps"), "[{\"Path\":\"/dev/sda\",\"Rate\":1048576}]");
        assert_json(json_object_get(f.host_config, "BlkioDeviceWriteIOps"), "[{\"Path\":\"/dev/sda\",\"Rate\":100}]");
        run_flags_clear(&f);
}

static void test_config_and_mounts(void **state)
{
        struct run_flags f;

        (void) state;
        assert_int_equal(parse(&f, true, "-d", "--name", "web", "-e", "A=1", "-e", "B=two=2", "-w", "/srv", "-u", "1000:1000",
                               "--entrypoint", "/bin/sh", "-h", "box", "-l", "k=v", "-l", "flag", "--stop-signal", "SIGUSR1",
                               "--stop-timeout", "3", "-it", "busybox", "-c", "true", NULL), 0);
        assert_true(f.detach);
        assert_string_equal(f.name, "web");
        assert_json(json_object_get(f.config, "Env"), "[\"A=1\",\"B=two=2\"]");
        assert_json(json_object_get(f.config, "Entrypoint"), "[\"/bin/sh\"]");
        assert_json(json_object_get(f.config, "Cmd"), "[\"-c\",\"true\"]");
        assert_json(json_object_get(f.config, "Labels"), "{\"k\":\"v\",\"flag\":\"\"}");
        assert_string_equal(json_string_value(json_object_get(f.config, "WorkingDir")), "/srv");
        assert_string_equal(json_string_value(json_object_get(f.config, "User")), "1000:1000");
        assert_string_equal(json_string_value(json_object_get(f.config, "Hostname")), "box");
        assert_string_equal(json_string_value(json_object_get(f.config, "StopSignal")), "SIGUSR1");
        assert_int_equal(json_integer_value(json_object_get(f.config, "StopTimeout")), 3);
        assert_true(json_is_true(json_object_get(f.config, "Tty")));
        assert_true(json_is_true(json_object_get(f.config, "OpenStdin")));
        /* -d attaches nothing. */
        assert_false(f.attach_stdout || f.attach_stdin);
        run_flags_clear(&f);

        assert_int_equal(parse(&f, true, "-v", "/host:/in:ro", "-v", "data:/data", "--tmpfs", "/run:size=1m",
                               "--mount", "type=bind,source=/a,target=/b,readonly", "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m",
                               "--read-only", "--rm", "busybox", NULL), 0);
        assert_json(json_object_get(f.host_config, "Binds"), "[\"/host:/in:ro\",\"data:/data\"]");
        assert_json(json_object_get(f.host_config, "Tmpfs"), "{\"/run\":\"size=1m\"}");
        assert_json(json_object_get(f.host_config, "Mounts"),
                    "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"ReadOnly\":true},"
                    "{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsSize\":1048576}]");
        assert_true(json_is_true(json_object_get(f.host_config, "ReadonlyRootfs")));
        assert_true(json_is_true(json_object_get(f.host_config, "AutoRemove")));
        run_flags_clear(&f);
}

static void test_modes_and_policies(void **state)
{
        struct run_flags f;

        (void) state;
        assert_int_equal(parse(&f, true, "--restart", "on-failure:5", "--pid", "host", "--ipc", "shareable", "--uts", "host",
                               "--network", "host", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--privileged",
                               "--security-opt", "no-new-privileges", "--init", "--log-driver", "none", "--log-opt",
                               "max-size=10m", "--add-host", "db:10.0.0.2", "--add-host", "x=1.2.3.4", "--dns", "1.1.1.1",
                               "--uidmap", "0:100000:65536", "busybox", NULL), 0);
        assert_json(json_object_get(f.host_config, "RestartPolicy"), "{\"Name\":\"on-failure\",\"MaximumRetryCount\":5}");
        assert_string_equal(hc_str(&f, "PidMode"), "host");
        assert_string_equal(hc_str(&f, "IpcMode"), "shareable");
        assert_string_equal(hc_str(&f, "UTSMode"), "host");
        assert_string_equal(hc_str(&f, "NetworkMode"), "host");
        assert_string_equal(hc_str(&f, "UsernsMode"), "remap");
        assert_json(json_object_get(f.host_config, "CapAdd"), "[\"NET_ADMIN\"]");
        assert_json(json_object_get(f.host_config, "CapDrop"), "[\"ALL\"]");
        assert_json(json_object_get(f.host_config, "SecurityOpt"), "[\"no-new-privileges\"]");
        assert_json(json_object_get(f.host_config, "ExtraHosts"), "[\"db:10.0.0.2\",\"x:1.2.3.4\"]");
        assert_json(json_object_get(f.host_config, "BerthUidMaps"), "[\"0:100000:65536\"]");
        assert_json(json_object_get(f.host_config, "LogConfig"), "{\"Type\":\"none\",\"Config\":{\"max-size\":\"10m\"}}");
        assert_true(json_is_true(json_object_get(f.host_config, "Privileged")));
        assert_true(json_is_true(json_object_get(f.host_config, "Init")));
        /* What the flags made passes the engine's checks. */
        {
                berth_error err = {0};
                assert_int_equal(engine_config_validate(f.config, f.host_config, &err), 0);
        }
        run_flags_clear(&f);
}

/* Syntax errors fail in the parser with 125; values whose meaning is wrong parse, and the engine refuses
 * them (the API sends the same values). */
/* --health-* into Config.Healthcheck with Go's durations in nanoseconds; --no-healthcheck is Test NONE. */
static void test_health(void **state)
{
        struct run_flags f;

        (void) state;
        assert_int_equal(parse(&f, true, "--health-cmd", "curl -f localhost || exit 1", "--health-interval", "1m30s",
                               "--health-timeout", "500ms", "--health-start-period", "1.5s", "--health-start-interval",
                               "2s", "--health-retries", "4", "img", NULL),
                         0);
        assert_json(json_object_get(f.config, "Healthcheck"),
                    "{\"Test\": [\"CMD-SHELL\", \"curl -f localhost || exit 1\"], \"Interval\": 90000000000, "
                    "\"Timeout\": 500000000, \"StartPeriod\": 1500000000, \"StartInterval\": 2000000000, \"Retries\": 4}");
        run_flags_clear(&f);
        assert_int_equal(parse(&f, true, "--health-interval", "10s", "img", NULL), 0);
        assert_json(json_object_get(f.config, "Healthcheck"), "{\"Interval\": 10000000000}");
        run_flags_clear(&f);
        assert_int_equal(parse(&f, true, "--no-healthcheck", "img", NULL), 0);
        assert_json(json_object_get(f.config, "Healthcheck"), "{\"Test\": [\"NONE\"]}");
        assert_null(json_object_get(f.config, "BerthNoHealthcheck"));
        run_flags_clear(&f);
        assert_int_not_equal(parse(&f, true, "--no-healthcheck", "--health-retries", "1", "img", NULL), 0);
        run_flags_clear(&f);
        assert_int_not_equal(parse(&f, true, "--health-interval", "10", "img", NULL), 0);
        run_flags_clear(&f);
        assert_int_not_equal(parse(&f, true, "--health-timeout", "-1s", "img", NULL), 0);
        run_flags_clear(&f);
}

static void test_refusals(void **state)
{
        static const char *const syntax[][2] = {
                {"--cpus", "x"},           {"-m", "12zb"},          {"--memory-swap", "lots"}, {"--pids-limit", "many"},
                {"--ulimit", "nofile"},    {"--ulimit", "nofile=a"}, {"--restart", "on-failure:x"},
                {"--device-read-bps", "/dev/sda"}, {"--add-host", "nohost"}, {"--uidmap", "0:1"},
                {"--log-opt", "novalue"},  {"-a", "stdweird"},      {"--pull", "sometimes"},   {"--bogus", "x"},
        };
        static const char *const semantic[][2] = {
                {"--restart", "sometimes"}, {"--restart", "always:3"}, {"--ulimit", "nofiles=1"}, {"--ulimit", "nofile=2:1"},
                {"--network", "bridge/0"},   {"--userns", "weird"},     {"--stop-signal", "SIGNOPE"}, {"-w", "relative"},
                {"-m", "1k"},               {"--pid", "weird"},        {"--log-driver", "syslog"}, {"--log-opt", "max-file=0"},
                {"--tmpfs", "run"},         {"--device", "dev/null"},  {"--security-opt", "apparmor=x"},
        };
        struct run_flags f;
        FILE *saved = stderr;

        (void) state;
        stderr = fopen("/dev/null", "w"); /* the parser's one-line messages */
        for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
                int r = parse(&f, true, syntax[i][0], syntax[i][1], "busybox", NULL);
                if (r != 125)
                        fail_msg("%s %s: parser returned %d", syntax[i][0], syntax[i][1], r);
                run_flags_clear(&f);
        }
        for (size_t i = 0; i < sizeof(semantic) / sizeof(semantic[0]); i++) {
                berth_error err = {0};
                int r = parse(&f, true, semantic[i][0], semantic[i][1], "busybox", NULL);
                if (r != 0)
                        fail_msg("%s %s: parser returned %d", semantic[i][0], semantic[i][1], r);
                if (engine_config_validate(f.config, f.host_config, &err) == 0)
                        fail_msg("%s %s: accepted by the engine", semantic[i][0], semantic[i][1]);
                berth_error_clear(&err);
                run_flags_clear(&f);
        }
        /* --rm with a restart policy: both parse, the engine refuses the pair. */
        {
                berth_error err = {0};
                assert_int_equal(parse(&f, true, "--rm", "--restart", "always", "busybox", NULL), 0);
                assert_true(engine_config_validate(f.config, f.host_config, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "cannot specify both --restart and --rm"));
                berth_error_clear(&err);
                run_flags_clear(&f);
        }
        /* Flag combinations the parser refuses. */
        assert_int_equal(parse(&f, true, "-d", "-a", "stdout", "busybox", NULL), 125);
        run_flags_clear(&f);
        assert_int_equal(parse(&f, false, "-d", "busybox", NULL), 125);
        run_flags_clear(&f);
        assert_int_equal(parse(&f, true, NULL), 125);
        run_flags_clear(&f);
        fclose(stderr);
        stderr = saved;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_resources),
                cmocka_unit_test(test_config_and_mounts),
                cmocka_unit_test(test_modes_and_policies),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_health),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
