/* berth: the docker-compatible command line. Global options come before the command
 * (`berth --root DIR images`); each command parses its own flags. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/help.h"
#ifdef BERTH_FULL
#include "cli/berth/registry_cli.h" /* the pull/push/login commands */
#endif
#include "lib/util.h"

/* Commands that need libarchive or libcurl. They live only in berth-full: `berth` itself stays lean (it
 * starts in a fraction of the time without ~40 shared libraries), and hands these over with execv. */
#define HEAVY_COMMANDS(X) \
        X("load", cmd_load, "Load an image from a tar archive or STDIN") \
        X("image load", cmd_load, "Load an image from a tar archive or STDIN") \
        X("save", cmd_save, "Save one or more images to a tar archive") \
        X("image save", cmd_save, "Save one or more images to a tar archive") \
        X("import", cmd_import, "Import the contents from a tarball to create a filesystem image") \
        X("image import", cmd_import, "Import the contents from a tarball to create a filesystem image") \
        X("commit", cmd_commit, "Create a new image from a container's changes") \
        X("export", cmd_export, "Export a container's filesystem as a tar archive") \
        X("container export", cmd_export, "Export a container's filesystem as a tar archive") \
        X("container commit", cmd_commit, "Create a new image from a container's changes") \
        X("pull", cmd_pull, "Download an image from a registry") \
        X("image pull", cmd_pull, "Download an image from a registry") \
        X("push", cmd_push, "Upload an image to a registry") \
        X("image push", cmd_push, "Upload an image to a registry") \
        X("login", cmd_login, "Log in to a registry") \
        X("logout", cmd_logout, "Log out from a registry") \
        X("build", cmd_build, "Build an image from a Dockerfile") \
        X("image build", cmd_build, "Build an image from a Dockerfile")

/* The command table. A later command (run, ps, ...) adds its cmd_*.c file and one line here; two-word
 * names ("image ls") are matched before one-word names. */
static const struct berth_command COMMANDS[] = {
        {"images", cmd_images, "List images"},
        {"image ls", cmd_images, "List images"},
        {"image list", cmd_images, "List images"},
        {"history", cmd_history, "Show the history of an image"},
        {"image history", cmd_history, "Show the history of an image"},
        {"inspect", cmd_inspect, "Return low-level information on images"},
        {"image inspect", cmd_inspect, "Display detailed information on one or more images"},
        {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
        {"image tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
        {"rmi", cmd_rmi, "Remove one or more images"},
        {"image rm", cmd_rmi, "Remove one or more images"},
        {"image remove", cmd_rmi, "Remove one or more images"},
        {"image prune", cmd_image_prune, "Remove unused images"},
        {"image mount", cmd_image_mount, "Mount an image's root filesystem read-only and print its path"},
        {"image unmount", cmd_image_unmount, "Unmount an image's root filesystem"},
        {"image umount", cmd_image_unmount, "Unmount an image's root filesystem"},
        {"builder prune", cmd_builder_prune, "Remove build cache"},
        {"system df", cmd_system_df, "Show disk usage"},
        {"system check", cmd_system_check, "Verify every blob's digest and every record of the store"},
        {"info", cmd_info, "Display system-wide information"},
        {"system info", cmd_info, "Display system-wide information"},
        {"run", cmd_run, "Create and run a new container from an image"},
        {"container run", cmd_run, "Create and run a new container from an image"},
        {"create", cmd_create, "Create a new container"},
        {"container create", cmd_create, "Create a new container"},
        {"start", cmd_start, "Start one or more stopped containers"},
        {"container start", cmd_start, "Start one or more stopped containers"},
        {"stop", cmd_stop, "Stop one or more running containers"},
        {"container stop", cmd_stop, "Stop one or more running containers"},
        {"restart", cmd_restart, "Restart one or more containers"},
        {"container restart", cmd_restart, "Restart one or more containers"},
        {"kill", cmd_kill, "Kill one or more running containers"},
        {"container kill", cmd_kill, "Kill one or more running containers"},
        {"rm", cmd_rm, "Remove one or more containers"},
        {"container rm", cmd_rm, "Remove one or more containers"},
        {"ps", cmd_ps, "List containers"},
        {"container ls", cmd_ps, "List containers"},
        {"container list", cmd_ps, "List containers"},
        {"logs", cmd_logs, "Fetch the logs of a container"},
        {"container logs", cmd_logs, "Fetch the logs of a container"},
        {"events", cmd_events, "Get real time events from the server"},
        {"system events", cmd_events, "Get real time events from the server"},
        {"update", cmd_update, "Update configuration of one or more containers"},
        {"container update", cmd_update, "Update configuration of one or more containers"},
        {"system boot", cmd_system_boot, "Start the containers whose restart policy outlives a reboot"},
        {"system service", cmd_system_service, "Serve the Docker Engine API (berth-api)"},
        {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
        {"container wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
        {"pause", cmd_pause, "Pause all processes within one or more containers"},
        {"container pause", cmd_pause, "Pause all processes within one or more containers"},
        {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
        {"container unpause", cmd_unpause, "Unpause all processes within one or more containers"},
        {"rename", cmd_rename, "Rename a container"},
        {"container rename", cmd_rename, "Rename a container"},
        {"container prune", cmd_container_prune, "Remove all stopped containers"},
        {"container inspect", cmd_inspect, "Display detailed information on one or more containers"},
        {"container cleanup", cmd_container_cleanup, "(internal) the monitor's exit command"},
        {"container healthcheck", cmd_container_healthcheck, "(internal) one health probe, run by the monitor"},
        {"exec", cmd_exec, "Execute a command in a running container"},
        {"container exec", cmd_exec, "Execute a command in a running container"},
        {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
        {"container attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
        {"top", cmd_top, "Display the running processes of a container"},
        {"port", cmd_port, "List port mappings or a specific mapping for the container"},
        {"container port", cmd_port, "List port mappings or a specific mapping for the container"},
        {"container top", cmd_top, "Display the running processes of a container"},
        {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
        {"container stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
        {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
        {"container cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
        {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
        {"container diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
        {"network create", cmd_network_create, "Create a network"},
        {"network ls", cmd_network_ls, "List networks"},
        {"network list", cmd_network_ls, "List networks"},
        {"network inspect", cmd_network_inspect, "Display detailed information on one or more networks"},
        {"network rm", cmd_network_rm, "Remove one or more networks"},
        {"network remove", cmd_network_rm, "Remove one or more networks"},
        {"network prune", cmd_network_prune, "Remove all unused networks"},
        {"network connect", cmd_network_connect, "Connect a container to a network"},
        {"network disconnect", cmd_network_disconnect, "Disconnect a container from a network"},
        {"network reload", cmd_network_reload, "Put berth's firewall rules back (after nft flush ruleset)"},
        {"volume create", cmd_volume_create, "Create a volume"},
        {"volume ls", cmd_volume_ls, "List volumes"},
        {"volume list", cmd_volume_ls, "List volumes"},
        {"volume inspect", cmd_volume_inspect, "Display detailed information on one or more volumes"},
        {"volume rm", cmd_volume_rm, "Remove one or more volumes"},
        {"volume remove", cmd_volume_rm, "Remove one or more volumes"},
        {"volume prune", cmd_volume_prune, "Remove unused local volumes"},
#ifdef BERTH_FULL
#define COMMAND_ENTRY(name, fn, summary) {name, fn, summary},
        HEAVY_COMMANDS(COMMAND_ENTRY)
#endif
};

#ifndef BERTH_FULL
#define FORWARDED_ENTRY(name, fn, summary) {name, NULL, summary},
static const struct berth_command FORWARDED[] = {HEAVY_COMMANDS(FORWARDED_ENTRY)};
#endif

int cli_fail(struct berth_cli *cli, const berth_error *err)
{
        return cli_fail_status(cli, err, CLI_EXIT_ERROR);
}

int cli_fail_status(struct berth_cli *cli, const berth_error *err, int status)
{
        (void) cli;
        fprintf(stderr, "Error: %s\n", berth_error_message(err));
        return status;
}

int cli_usage_error(struct berth_cli *cli, const char *fmt, ...)
{
        va_list ap;

        fputs("Error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nSee '%s %s --help'.\n", cli->program, cli->command ? cli->command : "");
        return CLI_EXIT_ERROR;
}

int cli_open_store(struct berth_cli *cli, enum store_lock_mode lock, struct image_store **out, berth_error *err)
{
        const char *mount_api = getenv("BERTH_OVERLAY_MOUNT");
        int r = store_open(cli->root, cli->driver, lock, out, err);

        /* BERTH_OVERLAY_MOUNT=legacy: mount(2) with one option string, as on kernels before 6.8 (tests). */
        if (r == 0 && mount_api != NULL && strcmp(mount_api, "legacy") == 0)
                (*out)->overlay_legacy_mount = true;
        return r;
}

/* Every command of this binary and of berth-full, for the help text. */
static size_t all_commands(const struct berth_command **out)
{
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(COMMANDS); i++)
                out[n++] = &COMMANDS[i];
#ifndef BERTH_FULL
        for (size_t i = 0; i < ARRAY_SIZE(FORWARDED); i++)
                out[n++] = &FORWARDED[i];
#endif
        return n;
}

#ifdef BERTH_FULL
#define N_ALL_COMMANDS ARRAY_SIZE(COMMANDS)
#else
#define N_ALL_COMMANDS (ARRAY_SIZE(COMMANDS) + ARRAY_SIZE(FORWARDED))
#endif

static void usage(FILE *f)
{
        const struct berth_command *all[N_ALL_COMMANDS];
        cleanup_free char *options = xasprintf(
                "      --root DIR              Root of the image store (default %s)\n"
                "      --storage-driver NAME   overlay or copy (default: the store's own, chosen when created)\n"
                "  -v, --version               Print version information and quit\n",
                STORE_DEFAULT_ROOT);

        cli_print_help(f, all, all_commands(all), options);
}

/* `berth image` (or `berth image --help`): the group's commands; an unknown subcommand is an error. */
static int group_usage(int argc, char **argv)
{
        const struct berth_command *all[N_ALL_COMMANDS];

        if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0) {
                fprintf(stderr, "berth: '%s %s' is not a berth command.\nSee 'berth %s --help'\n", argv[0], argv[1], argv[0]);
                return CLI_EXIT_ERROR;
        }
        cli_print_group_help(stdout, all, all_commands(all), argv[0]);
        return 0;
}

#ifndef BERTH_FULL
static bool is_forwarded(int argc, char **argv)
{
        for (size_t i = 0; i < ARRAY_SIZE(FORWARDED); i++) {
                size_t len = strlen(argv[0]);
                const char *name = FORWARDED[i].name;
                if (strcmp(name, argv[0]) == 0)
                        return true;
                if (argc >= 2 && strncmp(name, argv[0], len) == 0 && name[len] == ' ' && strcmp(name + len + 1, argv[1]) == 0)
                        return true;
        }
        return false;
}

#endif

/* berth-full sits next to berth (build tree and install alike). */
int cli_forward_to_full(struct berth_cli *cli)
{
        char self[4096], *slash;
        cleanup_free char *full = NULL;
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n < 0) {
                fprintf(stderr, "Error: readlink /proc/self/exe: %s\n", strerror(errno));
                return CLI_EXIT_ERROR;
        }
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash != NULL)
                *slash = '\0';
        full = xasprintf("%s/berth-full", self);
        fflush(stdout);
        execv(full, cli->argv);
        fprintf(stderr, "Error: run %s: %s\n", full, strerror(errno));
        return CLI_EXIT_ERROR;
}

static const struct berth_command *find_command(int argc, char **argv, int *words)
{
        if (argc >= 2) {
                char two[128];
                snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
                for (size_t i = 0; i < ARRAY_SIZE(COMMANDS); i++)
                        if (strcmp(COMMANDS[i].name, two) == 0) {
                                *words = 2;
                                return &COMMANDS[i];
                        }
        }
        for (size_t i = 0; i < ARRAY_SIZE(COMMANDS); i++)
                if (strcmp(COMMANDS[i].name, argv[0]) == 0) {
                        *words = 1;
                        return &COMMANDS[i];
                }
        return NULL;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                {"root", required_argument, NULL, 'r'},
                {"storage-driver", required_argument, NULL, 's'},
                {"version", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        struct berth_cli cli = {.program = "berth"};
        const struct berth_command *cmd;
        char *cmdname = NULL;
        int c, words = 1, r;

#ifdef BERTH_FULL
        /* libarchive converts entry names with the locale's charset: UTF-8 names from images and tarballs stay
         * intact. Only berth-full reads archives; in `berth` loading the locale would cost every command. */
        setlocale(LC_CTYPE, "C.UTF-8");
#endif
        /* Files unpacked from images get exactly their modes: the umask must not strip bits first. */
        umask(022);
        /* '+': stop at the first non-option, the command; its own flags are its business. */
        while ((c = getopt_long(argc, argv, "+vh", options, NULL)) != -1) {
                switch (c) {
                case 'r': cli.root = optarg; break;
                case 's': cli.driver = optarg; break;
                case 'v': printf("berth version %s\n", BERTH_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return CLI_EXIT_ERROR;
                }
        }
        if (cli.root == NULL)
                cli.root = getenv("BERTH_ROOT");
        if (optind >= argc) {
                usage(stderr);
                return CLI_EXIT_ERROR;
        }
        cli.argv = argv;
        argc -= optind;
        argv += optind;
        cmd = find_command(argc, argv, &words);
#ifndef BERTH_FULL
        if (cmd == NULL && is_forwarded(argc, argv))
                return cli_forward_to_full(&cli);
#endif
        if (cmd == NULL && cli_help_is_group(argv[0]))
                return group_usage(argc, argv);
        if (cmd == NULL) {
                fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n", argv[0]);
                return CLI_EXIT_ERROR;
        }
        cmdname = xstrdup(cmd->name);
        cli.command = cmdname;
        /* The command sees itself as argv[0] (getopt skips it). */
        argc -= words - 1;
        argv += words - 1;
        optind = 0;
        r = cmd->run(&cli, argc, argv);
        if (fflush(stdout) != 0 && r == 0) {
                fprintf(stderr, "Error: write standard output: %s\n", strerror(errno));
                r = CLI_EXIT_ERROR;
        }
        free(cmdname);
        return r;
}
