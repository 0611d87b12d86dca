/* berth volume create|ls|inspect|rm|prune: docker's local volumes (ROOT/volumes/NAME/_data). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/create.h"
#include "engine/volumes.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "lib/util.h"

static int simple_opts(struct berth_cli *cli, int argc, char **argv, const char *shorts, const struct option *options,
                       bool *flag_f, bool *flag_q, bool *flag_a, char ***labels, const char **format)
{
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, shorts, options, NULL)) != -1) {
                switch (c) {
                case 'f': if (flag_f) *flag_f = true; break;
                case 'q': if (flag_q) *flag_q = true; break;
                case 'a': if (flag_a) *flag_a = true; break;
                case 'l': if (labels) *labels = strv_append(*labels, optarg); break;
                case 'F': if (format) *format = optarg; break;
                case 'd': if (strcmp(optarg, "local") != 0) return cli_flag_error(cli, "volume driver %s is not supported (local)", optarg); break;
                case 'o': return cli_flag_error(cli, "volume options are not supported by berth's local driver");
                case 'H': printf("Usage:  berth %s\n", cli->command); return -1;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        return 0;
}

static const struct option VOLUME_OPTIONS[] = {
        {"force", no_argument, NULL, 'f'},        {"quiet", no_argument, NULL, 'q'},
        {"all", no_argument, NULL, 'a'},          {"label", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'F'}, {"driver", required_argument, NULL, 'd'},
        {"opt", required_argument, NULL, 'o'},    {"filter", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0},
};

int cmd_volume_create(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **labels = xzalloc(sizeof(char *));
        cleanup_free char *name = NULL;
        cleanup_json json_t *l = json_object();
        int r;

        if ((r = simple_opts(cli, argc, argv, "+l:d:o:", VOLUME_OPTIONS, NULL, NULL, NULL, &labels, NULL)) != 0)
                return r < 0 ? 0 : r;
        name = optind < argc ? xstrdup(argv[optind]) : engine_new_id();
        for (char **p = labels; *p; p++) {
                cleanup_free char *k = xstrndup(*p, strcspn(*p, "="));
                json_object_set_new(l, k, json_string(strchr(*p, '=') ? strchr(*p, '=') + 1 : ""));
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_volume_create(e, name, l, optind >= argc, &err) < 0)
                return cli_fail(cli, &err);
        printf("%s\n", name);
        return 0;
}

int cmd_volume_ls(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct engine_volume *list = NULL;
        const char *format = NULL;
        bool quiet = false;
        size_t n = 0;
        int c;

        /* docker's: -f is --filter (repeatable), --format has no short form. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+qf:", VOLUME_OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'q': quiet = true; break;
                case 'f':
                case 'x': filters = strv_append(filters, optarg); break;
                case 'F': format = optarg; break;
                case 'H': printf("Usage:  berth volume ls [OPTIONS]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_volume_list(e, &list, &n, &err) < 0)
                return cli_fail(cli, &err);
        if (engine_volume_filter(e, list, &n, filters, &err) < 0) {
                for (size_t i = 0; i < n; i++)
                        engine_volume_clear(&list[i]);
                free(list);
                return cli_fail(cli, &err);
        }
        if (!quiet && format == NULL)
                printf("DRIVER    VOLUME NAME\n");
        for (size_t i = 0; i < n; i++) {
                if (quiet)
                        printf("%s\n", list[i].name);
                else if (format != NULL && strcmp(format, "json") == 0) {
                        cleanup_json json_t *j = engine_volume_json(e, &list[i]);
                        cleanup_free char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
                        printf("%s\n", t);
                } else if (format != NULL) {
                        struct output_format f;
                        cleanup_json json_t *j = engine_volume_json(e, &list[i]);
                        cleanup_free char *line = NULL;
                        if (output_format_parse(format, &f, &err) == 0 && template_render(f.template, j, &line, &err) == 0)
                                printf("%s\n", line);
                        output_format_clear(&f);
                } else
                        printf("local     %s\n", list[i].name);
                engine_volume_clear(&list[i]);
        }
        free(list);
        return 0;
}

int cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *all = json_array();
        const char *format = NULL;
        int r, status = 0;

        if ((r = simple_opts(cli, argc, argv, "+f:", VOLUME_OPTIONS, NULL, NULL, NULL, NULL, &format)) != 0)
                return r < 0 ? 0 : r;
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth volume inspect\" requires at least 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                struct engine_volume v = {0};
                berth_error e2 = {0};
                if (engine_volume_get(e, argv[i], &v, &e2) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&e2));
                        berth_error_clear(&e2);
                        status = 1;
                        continue;
                }
                json_array_append_new(all, engine_volume_json(e, &v));
                engine_volume_clear(&v);
        }
        {
                cleanup_free char *t = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                printf("%s\n", t);
        }
        return status;
}

int cmd_volume_rm(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        bool force = false;
        int r, status = 0;

        if ((r = simple_opts(cli, argc, argv, "+f", VOLUME_OPTIONS, &force, NULL, NULL, NULL, NULL)) != 0)
                return r < 0 ? 0 : r;
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth volume rm\" requires at least 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                berth_error e2 = {0};
                if (engine_volume_rm(e, argv[i], force, &e2) < 0) {
                        if (!(force && e2.code == ENOENT)) {
                                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&e2));
                                status = 1;
                        }
                        berth_error_clear(&e2);
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return status;
}

int cmd_volume_prune(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **names = NULL;
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct engine_prune_filter f = {0};
        bool all = false;
        uint64_t reclaimed = 0;
        char size[32];
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+fa", VOLUME_OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'f': break;
                case 'a': all = true; break;
                case 'x':
                        /* docker's all=true filter is -a; the others are the prune filter's. */
                        if (strcmp(optarg, "all=true") == 0 || strcmp(optarg, "all=1") == 0)
                                all = true;
                        else
                                filters = strv_append(filters, optarg);
                        break;
                case 'H': printf("Usage:  berth volume prune [OPTIONS]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (engine_prune_filter_parse(filters, false, &f, &err) < 0)
                return cli_fail(cli, &err);
        r = cli_engine_open(cli, &e, &err) < 0 ? -1 : engine_volume_prune(e, all, &f, &names, &reclaimed, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return cli_fail(cli, &err);
        if (names[0] != NULL)
                printf("Deleted Volumes:\n");
        for (char **n = names; *n; n++)
                printf("%s\n", *n);
        format_human_size((double) reclaimed, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", names[0] != NULL ? "\n" : "", size);
        return 0;
}
