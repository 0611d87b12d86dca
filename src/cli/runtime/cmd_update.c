/* `update`: new resource limits for a created or running container, from --resources (a linux.resources
 * object, "-" for stdin) or from runc's flags (--memory 256m, --cpu-quota...). Limits not named are left as
 * they are. Changing the device rules is not part of update (runc does not change them either). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "cli/runtime/cgroup_flags.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "cli/runtime/commands.h"
#include "lib/json.h"
#include "lib/util.h"

static void cgroup_resources_free_ptr(struct cgroup_resources **r)
{
        cgroup_resources_free(*r);
}

static json_t *read_resources(const char *path, berth_error *err)
{
        cleanup_free char *text = NULL;
        size_t len = 0;

        if (strcmp(path, "-") != 0)
                return json_load_path(path, err);
        if (read_fd(STDIN_FILENO, "standard input", &text, &len, err) < 0)
                return NULL;
        return json_load_text("standard input", text, len, err);
}

static int update_container(struct runtime_context *ctx, const char *id, json_t *resources, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        __attribute__((cleanup(cgroup_resources_free_ptr))) struct cgroup_resources *r = NULL;
        int ret;

        /* Validate before touching the container: a bad value changes nothing. */
        if ((ret = cgroup_resources_parse(resources, &r, err)) < 0)
                return ret;
        if ((ret = container_load(ctx, id, &c, err)) < 0)
                return ret;
        return container_update(c, r, err);
}

int cmd_update(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"resources", required_argument, NULL, 'r'},
                {"blkio-weight", required_argument, NULL, 'A' + UPDATE_BLKIO_WEIGHT},
                {"cpu-period", required_argument, NULL, 'A' + UPDATE_CPU_PERIOD},
                {"cpu-quota", required_argument, NULL, 'A' + UPDATE_CPU_QUOTA},
                {"cpu-share", required_argument, NULL, 'A' + UPDATE_CPU_SHARES}, /* runc's spelling */
                {"cpu-shares", required_argument, NULL, 'A' + UPDATE_CPU_SHARES},
                {"cpu-rt-period", required_argument, NULL, 'A' + UPDATE_CPU_RT_PERIOD},
                {"cpu-rt-runtime", required_argument, NULL, 'A' + UPDATE_CPU_RT_RUNTIME},
                {"cpuset-cpus", required_argument, NULL, 'A' + UPDATE_CPUSET_CPUS},
                {"cpuset-mems", required_argument, NULL, 'A' + UPDATE_CPUSET_MEMS},
                {"memory", required_argument, NULL, 'A' + UPDATE_MEMORY},
                {"memory-reservation", required_argument, NULL, 'A' + UPDATE_MEMORY_RESERVATION},
                {"memory-swap", required_argument, NULL, 'A' + UPDATE_MEMORY_SWAP},
                {"pids-limit", required_argument, NULL, 'A' + UPDATE_PIDS_LIMIT},
                {"kernel-memory", required_argument, NULL, 'k'},
                {"kernel-memory-tcp", required_argument, NULL, 'k'},
                {"l3-cache-schema", required_argument, NULL, 'l'},
                {"mem-bw-schema", required_argument, NULL, 'l'},
                {NULL, 0, NULL, 0},
        };
        const char *values[UPDATE_FLAG_COUNT] = {0}, *resources_path = NULL;
        cleanup_json json_t *resources = NULL;
        cleanup_error berth_error err = {0};
        int opt;

        while ((opt = getopt_long(argc, argv, "+r:", options, NULL)) != -1) {
                if (opt == 'r')
                        resources_path = optarg;
                else if (opt >= 'A' && opt < 'A' + UPDATE_FLAG_COUNT)
                        values[opt - 'A'] = optarg;
                else if (opt == 'k') {
                        /* runc warns on stderr too; the logger sends only errors there. */
                        fprintf(stderr, "berth-runtime: warning: kernel memory settings are ignored (deprecated in "
                                        "the kernel; runc ignores them too)\n");
                        log_warning(ctx->log, "kernel memory settings are ignored");
                }
                else if (opt == 'l')
                        return cli_usage_error(ctx, "update: Intel RDT is not supported");
                else
                        return 1;
        }
        if (argc - optind != 1)
                return cli_usage_error(ctx, "update: usage: update [--resources FILE | flags] CONTAINER_ID");
        /* As runc: with --resources the file says everything and the limit flags are not read. */
        if (resources_path != NULL) {
                resources = read_resources(resources_path, &err);
                if (resources == NULL) {
                        berth_error_prefix(&err, "--resources: ");
                        return cli_fail(ctx, &err);
                }
        } else if (cgroup_flags_update_resources(values, &resources, &err) < 0) {
                return cli_fail(ctx, &err);
        }
        if (update_container(ctx, argv[optind], resources, &err) < 0)
                return cli_fail(ctx, &err);
        return 0;
}
