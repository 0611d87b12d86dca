#include "cli/runtime/create_flags.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime/commands.h"
#include "lib/util.h"

static void usage(const char *name, bool is_run)
{
        printf("Usage: berth-runtime %s [options] CONTAINER_ID\n\n"
               "  --bundle, -b DIR       the bundle (default: the current directory)\n"
               "  --pid-file FILE        write the init's pid there\n"
               "  --console-socket PATH  send the pty master there (process.terminal)\n"
               "  --no-pivot             chroot instead of pivot_root (ramdisk roots)\n"
               "  --no-new-keyring       keep the caller's session keyring\n"
               "  --preserve-fds N       pass fds 3..3+N-1 to the container\n"
               "  --config, -f FILE      the config instead of BUNDLE/config.json (crun; relative to the bundle)\n",
               name);
        if (is_run)
                printf("  --detach, -d           do not wait for the container\n"
                       "  --keep                 do not delete the container after it exits\n");
}

/* systemd socket activation, as crun: when LISTEN_FDS is set for us (LISTEN_PID is our pid, or unset), fds
 * 3..3+N-1 pass into the container too, where LISTEN_FDS=N and LISTEN_PID=1 say so to the process. */
static int listen_fds(struct runtime_context *ctx, struct create_flags *f)
{
        const char *count = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        int n = 0, listen_pid = 0;

        if (count == NULL)
                return 0;
        if (pid != NULL && (parse_int(pid, &listen_pid) < 0 || listen_pid != (int) getpid()))
                return 0;
        if (parse_int(count, &n) < 0 || n < 0 || n > 65536) {
                cli_usage_error(ctx, "LISTEN_FDS: \"%s\" is not a count of fds", count);
                return -1;
        }
        f->opts.listen_fds = n;
        f->opts.preserve_fds += n;
        return 0;
}

int create_flags_parse(struct runtime_context *ctx, int argc, char **argv, bool is_run, struct create_flags *f)
{
        static const struct option options[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"pid-file", required_argument, NULL, 'p'},
                {"console-socket", required_argument, NULL, 'c'},
                {"no-pivot", no_argument, NULL, 'P'},
                {"no-new-keyring", no_argument, NULL, 'K'},
                {"preserve-fds", required_argument, NULL, 'F'},
                {"detach", no_argument, NULL, 'd'},
                {"keep", no_argument, NULL, 'k'},
                {"no-subreaper", no_argument, NULL, 'S'},
                {"config", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *bundle = ".";
        char resolved[PATH_MAX];
        int opt;

        memset(f, 0, sizeof(*f));
        while ((opt = getopt_long(argc, argv, "+b:df:h", options, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        bundle = optarg;
                        break;
                case 'p':
                        f->opts.pid_file = optarg;
                        break;
                case 'c':
                        f->opts.console_socket = optarg;
                        break;
                case 'P':
                        f->opts.no_pivot = true;
                        break;
                case 'K':
                        f->opts.no_new_keyring = true;
                        break;
                case 'F':
                        if (parse_int(optarg, &f->opts.preserve_fds) < 0 || f->opts.preserve_fds < 0) {
                                cli_usage_error(ctx, "--preserve-fds: \"%s\" is not a count", optarg);
                                return -1;
                        }
                        break;
                case 'd':
                        if (!is_run) {
                                cli_usage_error(ctx, "%s: unknown flag -d", argv[0]);
                                return -1;
                        }
                        f->detach = true;
                        break;
                case 'k':
                        f->keep = true;
                        break;
                case 'S':
                        break;
                case 'f':
                        f->opts.config_path = optarg;
                        break;
                case 'h':
                        usage(argv[0], is_run);
                        return 1;
                default:
                        return -1;
                }
        }
        if (optind != argc - 1) {
                cli_usage_error(ctx, "%s: expects exactly one container id, got %d arguments", argv[0], argc - optind);
                return -1;
        }
        f->opts.id = argv[optind];
        if (realpath(bundle, resolved) == NULL) {
                cli_usage_error(ctx, "bundle %s: %m", bundle);
                return -1;
        }
        f->bundle_abs = xstrdup(resolved);
        f->opts.bundle = f->bundle_abs;
        return listen_fds(ctx, f);
}

void create_flags_free(struct create_flags *f)
{
        free(f->bundle_abs);
        f->bundle_abs = NULL;
}
