/* `berth run` / `berth create` flags: the input, split at NUL bytes, is the argument vector after "run".
 * run_flags_parse builds docker's Config and HostConfig; the engine then turns the HostConfig into the OCI
 * linux.resources, devices and rlimits (src/engine/spec_resources.c), which the runtime's
 * cgroup_resources_parse reads back: the whole path from a flag to a cgroup limit. Each argument also goes
 * through the size parser (lib/size.c) with every flag combination: the flags' sizes reach it only after
 * getopt has matched a size flag.
 *
 * --env-file and --label-file (and getopt's abbreviations of them) are dropped: they name files to read,
 * which a fuzzer would point at /dev/zero or a FIFO; the flags themselves are the untrusted input here. */
#include <getopt.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/size.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/spec_build.h"
#include "runtime/cgroup.h"
#include "fuzz.h"

#define MAX_ARGS 64

/* run_flags_parse reports through these two helpers of cmd_container.c, which brings the whole front end
 * (store, engine commands, main.c's cli_fail) with it: the same helpers, for the harness alone. */
int cli_flag_error(struct berth_cli *cli, const char *fmt, ...)
{
        va_list ap;

        (void) cli;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        return 125;
}

const char *cli_bad_option(char **argv, int optind_now)
{
        static char buf[256];
        const char *a = argv[optind_now - 1];

        snprintf(buf, sizeof(buf), "%.*s", (int) strcspn(a ? a : "", "="), a ? a : "");
        return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

/* "--env-", "--label-fi=x": getopt_long takes any unambiguous prefix; "--env" and "--label" are flags of
 * their own, so a prefix longer than those names a file flag. */
static bool names_a_file_flag(const char *arg)
{
        static const struct {
                const char *flag, *other;
        } files[] = {{"--env-file", "--env"}, {"--label-file", "--label"}};
        size_t n = strcspn(arg, "=");

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if (n > strlen(files[i].other) && n <= strlen(files[i].flag) && strncmp(arg, files[i].flag, n) == 0)
                        return true;
        return false;
}

static void to_oci(json_t *host_config)
{
        berth_error err = {0};
        json_t *linux_obj = json_object(), *process = json_object();
        struct cgroup_resources *r = NULL;

        if (engine_spec_resources(host_config, linux_obj, &err) == 0 &&
            engine_spec_devices(host_config, linux_obj, &err) == 0 &&
            engine_spec_rlimits(host_config, process, &err) == 0 &&
            cgroup_resources_parse(json_object_get(linux_obj, "resources"), &r, &err) == 0)
                cgroup_resources_free(r);
        berth_error_clear(&err);
        json_decref(linux_obj);
        json_decref(process);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *pieces[MAX_ARGS];
        char *argv[MAX_ARGS + 2];
        size_t n = fuzz_split(data, size, pieces, MAX_ARGS);
        int argc = 0;
        struct berth_cli cli = {.program = "berth", .root = "/nonexistent/berth-fuzz", .command = "run"};
        struct run_flags f;

        argv[argc++] = (char *) "run";
        for (size_t i = 0; i < n; i++)
                if (!names_a_file_flag(pieces[i]))
                        argv[argc++] = pieces[i];
        argv[argc] = NULL;
        optind = 0; /* glibc: a full re-initialisation of getopt's state */
        for (int is_run = 0; is_run <= 1; is_run++) {
                optind = 0;
                if (run_flags_parse(&cli, argc, argv, is_run, &f) == 0)
                        to_oci(f.host_config);
                run_flags_clear(&f);
        }
        for (size_t i = 0; i < n; i++) {
                int64_t v;
                for (unsigned flags = 0; flags <= (SIZE_DECIMAL | SIZE_MINUS_ONE); flags++)
                        size_parse(pieces[i], flags, &v);
                free(pieces[i]);
        }
        return 0;
}
