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
#include "lib/json.h"
#include "build/cache.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "engine/diskusage.h"
#include "engine/imageinfo.h"
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

/* One line of the summary: docker's TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE (with its share of the size,
 * except for the build cache, as docker prints them). */
static json_t *df_row(const char *type, const struct engine_usage_totals *t, bool share)
{
        char size[32], reclaim[32], total[24], active[24];
        cleanup_free char *reclaimable = NULL;

        format_human_size_precision((double) t->size, 4, size, sizeof(size));
        format_human_size_precision((double) t->reclaimable, 4, reclaim, sizeof(reclaim));
        snprintf(total, sizeof(total), "%llu", (unsigned long long) t->total);
        snprintf(active, sizeof(active), "%llu", (unsigned long long) t->active);
        reclaimable = share ? xasprintf("%s (%d%%)", reclaim, t->size ? (int) (100 * t->reclaimable / t->size) : 0)
                            : xstrdup(reclaim);
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "Type", type, "TotalCount", total, "Active", active, "Size", size,
                         "Reclaimable", reclaimable);
}

/* The rows as the format asks: docker's table, a table template, a template per row, or JSON per row. */
static int print_rows(struct berth_cli *cli, const struct output_format *f, json_t *rows)
{
        cleanup_error berth_error err = {0};
        struct table t = {0};
        size_t i;
        json_t *row;

        if (f->kind == OUTPUT_TABLE_DEFAULT)
                table_add_line(&t, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE");
        if (f->kind == OUTPUT_TABLE) {
                cleanup_json json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Type", "TYPE", "TotalCount", "TOTAL", "Active",
                                                   "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
                cleanup_free char *header = template_header(f->template, h);
                table_add_line(&t, header);
        }
        json_array_foreach(rows, i, row) {
                cleanup_free char *line = NULL;
                if (f->kind == OUTPUT_JSON) {
                        line = json_to_string(row);
                        printf("%s\n", line);
                } else if (f->kind == OUTPUT_TEMPLATE || f->kind == OUTPUT_TABLE) {
                        if (template_render(f->template, row, &line, &err) < 0) {
                                table_free(&t);
                                return cli_fail(cli, &err);
                        }
                        if (f->kind == OUTPUT_TEMPLATE)
                                printf("%s\n", line);
                        else
                                table_add_line(&t, line);
                } else {
                        line = xasprintf("%s\t%s\t%s\t%s\t%s", json_string_value(json_object_get(row, "Type")),
                                         json_string_value(json_object_get(row, "TotalCount")),
                                         json_string_value(json_object_get(row, "Active")),
                                         json_string_value(json_object_get(row, "Size")),
                                         json_string_value(json_object_get(row, "Reclaimable")));
                        table_add_line(&t, line);
                }
        }
        table_print(&t, stdout);
        table_free(&t);
        return 0;
}

static void df_verbose(const struct engine_disk_usage *u, uint64_t cache_size)
{
        struct table t = {0};
        char size[32];
        size_t i;
        json_t *o;

        printf("Images space usage:\n\n");
        table_add_line(&t, "REPOSITORY\tTAG\tIMAGE ID\tSIZE\tCONTAINERS");
        json_array_foreach(u->images, i, o) {
                json_t *tags = json_object_get(o, "RepoTags");
                const char *tag0 = json_array_size(tags) > 0 ? json_string_value(json_array_get(tags, 0)) : NULL;
                cleanup_free char *repo = NULL, *tag = NULL, *line = NULL;
                const char *id = json_string_value(json_object_get(o, "Id")) ?: "";
                if (tag0 != NULL)
                        engine_image_split_name(tag0, &repo, &tag);
                format_human_size((double) json_integer_value(json_object_get(o, "Size")), size, sizeof(size));
                line = xasprintf("%s\t%s\t%.12s\t%s\t%lld", repo ? repo : "<none>", tag ? tag : "<none>",
                                 str_has_prefix(id, "sha256:") ? id + 7 : id, size,
                                 (long long) json_integer_value(json_object_get(o, "Containers")));
                table_add_line(&t, line);
        }
        table_print(&t, stdout);
        table_free(&t);
        printf("\nContainers space usage:\n\n");
        table_add_line(&t, "CONTAINER ID\tIMAGE\tSIZE\tSTATUS\tNAMES");
        json_array_foreach(u->containers, i, o) {
                cleanup_free char *line = NULL;
                const char *name = json_string_value(json_array_get(json_object_get(o, "Names"), 0)) ?: "/";
                format_human_size_precision((double) json_integer_value(json_object_get(o, "SizeRw")), 4, size, sizeof(size));
                line = xasprintf("%.12s\t%s\t%s\t%s\t%s", json_string_value(json_object_get(o, "Id")) ?: "",
                                 json_string_value(json_object_get(o, "Image")) ?: "", size,
                                 json_string_value(json_object_get(o, "Status")) ?: "", name + 1);
                table_add_line(&t, line);
        }
        table_print(&t, stdout);
        table_free(&t);
        printf("\nLocal Volumes space usage:\n\n");
        table_add_line(&t, "VOLUME NAME\tLINKS\tSIZE");
        json_array_foreach(u->volumes, i, o) {
                cleanup_free char *line = NULL;
                json_t *usage = json_object_get(o, "UsageData");
                format_human_size_precision((double) json_integer_value(json_object_get(usage, "Size")), 4, size, sizeof(size));
                line = xasprintf("%s\t%lld\t%s", json_string_value(json_object_get(o, "Name")) ?: "",
                                 (long long) json_integer_value(json_object_get(usage, "RefCount")), size);
                table_add_line(&t, line);
        }
        table_print(&t, stdout);
        table_free(&t);
        format_human_size_precision((double) cache_size, 4, size, sizeof(size));
        printf("\nBuild cache usage: %s\n", size);
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {CLI_HELP_OPTION, {"format", required_argument, NULL, 'f'},
                                                {"verbose", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct engine_disk_usage u = {0};
        struct engine_usage_totals cache = {0};
        struct output_format f = {.kind = OUTPUT_TABLE_DEFAULT};
        const char *format = NULL;
        bool verbose = false;
        json_t *rows;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "hf:v", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        printf("Usage:  berth system df [OPTIONS]\n\nShow berth disk usage\n\nOptions:\n"
                               "      --format string   Format output using a custom template ('table', 'table TEMPLATE',\n"
                               "                        'json', or a Go template)\n"
                               "  -v, --verbose         Show detailed information on space usage\n");
                        return 0;
                case 'f': format = optarg; break;
                case 'v': verbose = true; break;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "\"%s %s\" accepts no arguments.", cli->program, cli->command);
        if (format != NULL && output_format_parse(format, &f, &err) < 0)
                return cli_fail(cli, &err);
        if (verbose && f.kind != OUTPUT_TABLE_DEFAULT) {
                output_format_clear(&f);
                return cli_usage_error(cli, "the verbose and format options cannot be combined");
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_disk_usage(e, &u, &err) < 0 ||
            build_cache_usage(e->store, &cache.total, &cache.size, NULL, NULL, &err) < 0) {
                output_format_clear(&f);
                engine_disk_usage_clear(&u);
                return cli_fail(cli, &err);
        }
        cache.reclaimable = cache.size;
        if (verbose) {
                df_verbose(&u, cache.size);
                engine_disk_usage_clear(&u);
                return 0;
        }
        rows = json_pack("[o,o,o,o]", df_row("Images", &u.image_totals, true), df_row("Containers", &u.container_totals, true),
                         df_row("Local Volumes", &u.volume_totals, true), df_row("Build Cache", &cache, false));
        r = print_rows(cli, &f, rows);
        json_decref(rows);
        output_format_clear(&f);
        engine_disk_usage_clear(&u);
        return r;
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
