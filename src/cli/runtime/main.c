/* berth-runtime: an OCI runtime with runc's command line, so that containerd, Podman and Docker can use it
 * in runc's place. This file parses the global flags and dispatches; each command is its own file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/runtime/commands.h"
#include "runtime/exe_protect.h"
#include "lib/log.h"
#include "lib/util.h"

static const struct {
        const char *name;
        runtime_command_fn fn;
        bool enters_container; /* runs code in the container: re-executes from a protected copy first */
        const char *summary;
} commands[] = {
        {"create", cmd_create, true, "create a container"},
        {"start", cmd_start, false, "start the process of a created container"},
        {"run", cmd_run, true, "create and start a container"},
        {"state", cmd_state, false, "print the state of a container"},
        {"kill", cmd_kill, false, "send a signal to the container's init (or all its processes)"},
        {"delete", cmd_delete, false, "delete a container and everything it made"},
        {"list", cmd_list, false, "list containers"},
        {"exec", cmd_exec, true, "run a new process inside a container"},
        {"ps", cmd_ps, false, "show the processes of a container"},
        {"spec", cmd_spec, false, "write a default config.json"},
        {"features", cmd_features, false, "print the features this runtime supports (JSON)"},
        {"update", cmd_update, false, "change the resource limits of a running container"},
        {"pause", cmd_pause, false, "freeze all processes of a container"},
        {"resume", cmd_resume, false, "thaw a paused container"},
        {"events", cmd_events, false, "print resource statistics and OOM events"},
};

int cli_fail(struct runtime_context *ctx, berth_error *err)
{
        berth_log(ctx->log, LOG_LEVEL_ERROR, "%s", berth_error_message(err));
        berth_error_clear(err);
        return 1;
}

int cli_usage_error(struct runtime_context *ctx, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        berth_log(ctx->log, LOG_LEVEL_ERROR, "%s", msg);
        free(msg);
        return 1;
}

static void usage(FILE *out)
{
        fprintf(out, "Usage: berth-runtime [global options] COMMAND [options] [arguments]\n\n"
                     "An OCI runtime (runtime-spec 1.2), command line compatible with runc.\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(out, "\nGlobal options:\n"
                     "  --root DIR            state directory (default /run/berth-runtime)\n"
                     "  --log FILE            log file (default: none; errors always go to stderr)\n"
                     "  --log-format FORMAT   text or json (default text)\n"
                     "  --debug               log debug messages\n"
                     "  --systemd-cgroup      use systemd to manage cgroups (not supported)\n"
                     "  --cgroup-manager M    cgroupfs (default), systemd (not supported) or disabled (crun)\n"
                     "  --version, -v         print the version\n");
}

static void print_version(void)
{
        printf("berth-runtime version %s\nspec: 1.2.0\n", BERTH_VERSION);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                {"root", required_argument, NULL, 'r'},
                {"log", required_argument, NULL, 'l'},
                {"log-format", required_argument, NULL, 'f'},
                {"debug", no_argument, NULL, 'd'},
                {"systemd-cgroup", no_argument, NULL, 's'},
                {"cgroup-manager", required_argument, NULL, 'm'},
                {"rootless", required_argument, NULL, 'R'},
                {"criu", required_argument, NULL, 'c'},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        struct berth_log log = {
                .fd = -1,
                .format = LOG_FORMAT_TEXT,
                .level = LOG_LEVEL_WARNING,
                .also_stderr = true,
                .program = "berth-runtime",
        };
        struct runtime_context ctx = {.log = &log, .rootless = geteuid() != 0};
        static char default_root[4096];
        const char *log_path = NULL, *command;
        bool systemd_cgroup = false;
        int opt;

        ctx.state_root = "/run/berth-runtime";
        if (ctx.rootless && getenv("XDG_RUNTIME_DIR") != NULL) {
                snprintf(default_root, sizeof(default_root), "%s/berth-runtime", getenv("XDG_RUNTIME_DIR"));
                ctx.state_root = default_root;
        }
        while ((opt = getopt_long(argc, argv, "+vh", options, NULL)) != -1) {
                switch (opt) {
                case 'r':
                        ctx.state_root = optarg;
                        break;
                case 'l':
                        log_path = optarg;
                        break;
                case 'f':
                        if (strcmp(optarg, "json") == 0)
                                log.format = LOG_FORMAT_JSON;
                        else if (strcmp(optarg, "text") == 0)
                                log.format = LOG_FORMAT_TEXT;
                        else
                                return cli_usage_error(&ctx, "--log-format: unknown format \"%s\" (text or json)", optarg);
                        break;
                case 'd':
                        log.level = LOG_LEVEL_DEBUG;
                        ctx.debug = true;
                        break;
                case 's':
                        systemd_cgroup = true;
                        break;
                case 'm':
                        /* crun's global option. */
                        if (strcmp(optarg, "systemd") == 0)
                                systemd_cgroup = true;
                        else if (strcmp(optarg, "disabled") == 0)
                                ctx.no_cgroup = true;
                        else if (strcmp(optarg, "cgroupfs") != 0)
                                return cli_usage_error(&ctx, "--cgroup-manager: unknown manager \"%s\" (cgroupfs, "
                                                             "systemd or disabled)",
                                                       optarg);
                        break;
                case 'R':
                case 'c':
                        break; /* runc's --rootless auto|true|false and --criu PATH: accepted, decided by us */
                case 'v':
                        print_version();
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        }
        if (log_path != NULL) {
                log.fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (log.fd < 0)
                        fprintf(stderr, "berth-runtime: open log %s: %s\n", log_path, strerror(errno));
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        if (systemd_cgroup)
                return cli_usage_error(&ctx, "--systemd-cgroup: the systemd cgroup driver is not supported; "
                                             "use the cgroupfs driver (leave out --systemd-cgroup)");
        command = argv[optind];
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                if (strcmp(command, commands[i].name) != 0)
                        continue;
                if (commands[i].enters_container && !exe_is_protected()) {
                        berth_error err = {0};
                        /* CVE-2019-5736: see exe_protect.h. Returns only on failure. */
                        exe_reexec_protected(argv, &err);
                        return cli_fail(&ctx, &err);
                }
                /* Each command sees its own name as argv[0], and getopt starts over. */
                {
                        int first = optind;
                        optind = 1;
                        return commands[i].fn(&ctx, argc - first, argv + first);
                }
        }
        if (strcmp(command, "help") == 0) {
                usage(stdout);
                return 0;
        }
        return cli_usage_error(&ctx, "unknown command \"%s\" (see berth-runtime --help)", command);
}
