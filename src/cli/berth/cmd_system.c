/* berth system df, system check, info. */
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/format.h"
#include "image/gc.h"
#include "image/snapshot.h"
#include "lib/util.h"

static int no_args(struct berth_cli *cli, int argc, char **argv, const char *usage)
{
        static const struct option options[] = {CLI_HELP_OPTION, {"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
        int c;

        while ((c = getopt_long(argc, argv, "hf:", options, NULL)) != -1) {
                if (c == 'h') {
                        printf("%s\n", usage);
                        return 0;
                }
                if (c != 'f')
                        return cli_usage_error(cli, "invalid option");
        }
        if (optind < argc)
                return cli_usage_error(cli, "\"%s %s\" accepts no arguments.", cli->program, cli->command);
        return -1;
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        struct store_usage u;
        struct table t = {0};
        char size[32], reclaim[32], snap[32];
        int r = no_args(cli, argc, argv, "Usage:  berth system df");

        if (r >= 0)
                return r;
        if (cli_open_store(cli, STORE_LOCK_NONE, &s, &err) < 0 || store_usage(s, &u, &err) < 0)
                return cli_fail(cli, &err);
        format_human_size((double) u.images_size, size, sizeof(size));
        format_human_size((double) u.reclaimable, reclaim, sizeof(reclaim));
        format_human_size((double) u.snapshots_size, snap, sizeof(snap));
        table_add_line(&t, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE");
        cleanup_free char *images = xasprintf("Images\t%llu\t%llu\t%s\t%s (%d%%)", (unsigned long long) u.images,
                                              (unsigned long long) u.active_images, size, reclaim,
                                              u.images_size ? (int) (100 * u.reclaimable / u.images_size) : 0);
        cleanup_free char *containers = xasprintf("Containers\t%llu\t%llu\t%s\t%s", (unsigned long long) u.snapshots,
                                                  (unsigned long long) u.snapshots, snap, "0B");
        table_add_line(&t, images);
        table_add_line(&t, containers);
        table_add_line(&t, "Local Volumes\t0\t0\t0B\t0B");
        table_add_line(&t, "Build Cache\t0\t0\t0B\t0B");
        table_print(&t, stdout);
        table_free(&t);
        return 0;
}

static void print_problem(void *data, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("problem: ", stdout);
        vprintf(fmt, ap);
        fputc('\n', stdout);
        va_end(ap);
}

int cmd_system_check(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        uint64_t blobs = 0, problems = 0;
        int r = no_args(cli, argc, argv, "Usage:  berth system check");

        if (r >= 0)
                return r;
        /* Shared: loads may run meanwhile (their unfinished work is invisible), removals wait. */
        if (cli_open_store(cli, STORE_LOCK_SHARED, &s, &err) < 0 ||
            store_check(s, print_problem, NULL, &blobs, &problems, &err) < 0)
                return cli_fail(cli, &err);
        if (problems > 0) {
                fprintf(stderr, "Error: %llu problem(s) found in %s\n", (unsigned long long) problems, s->root);
                return CLI_EXIT_ERROR;
        }
        printf("%llu blobs verified, no problems found\n", (unsigned long long) blobs);
        return 0;
}

static const char *fs_name(long type)
{
        switch ((unsigned long) type) {
        case 0xef53: return "extfs";
        case 0x58465342: return "xfs";
        case 0x9123683e: return "btrfs";
        case 0x01021994: return "tmpfs";
        case 0x794c7630: return "overlayfs";
        default: return "unknown";
        }
}

int cmd_info(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        struct store_usage u;
        struct utsname un;
        struct statfs sf;
        int r = no_args(cli, argc, argv, "Usage:  berth info");

        if (r >= 0)
                return r;
        if (cli_open_store(cli, STORE_LOCK_NONE, &s, &err) < 0 || store_usage(s, &u, &err) < 0)
                return cli_fail(cli, &err);
        uname(&un);
        printf("Images: %llu\n", (unsigned long long) u.images);
        printf("Storage Driver: %s\n", strcmp(s->driver, "overlay") == 0 ? "overlay2" : "vfs");
        printf(" Snapshotter: %s\n", s->driver);
        printf(" Backing Filesystem: %s\n", fstatfs(s->rootfd, &sf) == 0 ? fs_name((long) sf.f_type) : "unknown");
        if (strcmp(s->driver, "overlay") == 0)
                printf(" Supports lowerdir+: %s\n", snapshot_overlay_lowerdir_plus() ? "true" : "false");
        printf(" Device nodes in layers: %s\n", s->is_root && s->nodev ? "created (nodev store)" : "skipped");
        printf("Kernel Version: %s\n", un.release);
        printf("OSType: linux\nArchitecture: %s\n", un.machine);
        printf("CPUs: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
        printf("Total Memory: %.4gGiB\n",
               (double) sysconf(_SC_PHYS_PAGES) * (double) sysconf(_SC_PAGESIZE) / (1024.0 * 1024 * 1024));
        printf("Docker Root Dir: %s\n", s->root);
        printf("Server Version: %s\n", BERTH_VERSION);
        return 0;
}

/* system service: the Docker Engine API server is its own binary, berth-api (it links libmicrohttpd): beside
 * berth, in libexec, or in the build tree. It gets berth's global options and the command's arguments, and
 * BERTH_EXE (the monitor's exit command runs berth). */
int cmd_system_service(struct berth_cli *cli, int argc, char **argv)
{
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        const char *candidates[3] = {NULL, BERTH_LIBEXECDIR "/berth/berth-api", BERTH_API_BUILD_PATH};
        cleanup_free char *beside = NULL;
        char **args = xzalloc(sizeof(char *) * ((size_t) argc + 6));
        size_t k = 0;

        if (n < 0) {
                free(args);
                fprintf(stderr, "Error: readlink /proc/self/exe: %s\n", strerror(errno));
                return CLI_EXIT_ERROR;
        }
        self[n] = '\0';
        if (getenv("BERTH_EXE") == NULL)
                setenv("BERTH_EXE", self, 1);
        if (strrchr(self, '/') != NULL)
                *strrchr(self, '/') = '\0';
        beside = xasprintf("%s/berth-api", self);
        candidates[0] = beside;
        args[k++] = "berth-api";
        if (cli->root != NULL) {
                args[k++] = "--root";
                args[k++] = (char *) cli->root;
        }
        if (cli->driver != NULL) {
                args[k++] = "--storage-driver";
                args[k++] = (char *) cli->driver;
        }
        for (int i = 1; i < argc; i++)
                args[k++] = argv[i];
        args[k] = NULL;
        fflush(stdout);
        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        execv(candidates[i], args);
        fprintf(stderr, "Error: berth-api (the API server) not found beside %s, in %s/berth or the build tree\n", self,
                BERTH_LIBEXECDIR);
        free(args);
        return CLI_EXIT_ERROR;
}
