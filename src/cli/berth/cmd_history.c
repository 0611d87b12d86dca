/* berth history [OPTIONS] IMAGE: the config's history, newest first, with layer sizes. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "engine/imageinfo.h"
#include "cli/berth/format.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "lib/util.h"

static char *ellipsis(const char *s, size_t max)
{
        /* docker cuts CREATED BY at 45 display columns, the last one an ellipsis. */
        size_t cols = 0;
        const char *p = s;

        for (; *p; p++)
                if (((unsigned char) *p & 0xc0) != 0x80 && ++cols > max - 1)
                        break;
        if (*p == '\0')
                return xstrdup(s);
        return xasprintf("%.*s…", (int) (p - s), s);
}

static char *one_line(const char *s)
{
        char *o = xstrdup(s);
        for (char *p = o; *p; p++)
                if (*p == '\n' || *p == '\t')
                        *p = ' ';
        return o;
}

int cmd_history(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"human", required_argument, NULL, 'H'},
                {"no-trunc", no_argument, NULL, 'n'},
                {"quiet", no_argument, NULL, 'q'},
                {"format", required_argument, NULL, 'F'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_store struct image_store *s = NULL;
        struct engine_history_entry *entries = NULL;
        struct output_format fmt = {0};
        struct table t = {0};
        bool human = true, no_trunc = false, quiet = false;
        const char *format = NULL;
        size_t n = 0;
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "H::qh", options, NULL)) != -1) {
                switch (c) {
                case 'H': human = optarg == NULL || strcmp(optarg, "true") == 0 || strcmp(optarg, "1") == 0; break;
                case 'n': no_trunc = true; break;
                case 'q': quiet = true; break;
                case 'F': format = optarg; break;
                case 'h': printf("Usage:  berth history [OPTIONS] IMAGE\n\nShow the history of an image\n\n"
                                 "      --format string   Format output using a custom template\n"
                                 "  -H, --human           Print sizes and dates in human readable format (default true)\n"
                                 "      --no-trunc        Don't truncate output\n"
                                 "  -q, --quiet           Only show image IDs\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(cli, "\"%s history\" requires exactly 1 argument.", cli->program);
        output_format_parse(format, &fmt, &err);
        if ((r = cli_open_store(cli, STORE_LOCK_NONE, &s, &err)) < 0 ||
            (r = engine_image_history(s, argv[optind], &entries, &n, &err)) < 0)
                goto out;
        if (fmt.kind == OUTPUT_TABLE_DEFAULT && !quiet)
                table_add_line(&t, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT");
        for (size_t i = 0; i < n && r == 0; i++) {
                const struct engine_history_entry *h = &entries[i];
                int64_t when = time_parse_rfc3339(h->created);
                char size_s[32], since[64];
                cleanup_free char *rowid = strcmp(h->id, "<missing>") == 0 ? xstrdup(h->id) : cli_short_id(h->id, no_trunc);
                cleanup_free char *by1 = one_line(h->created_by);
                cleanup_free char *by_shown = no_trunc ? xstrdup(by1) : ellipsis(by1, 45);
                cleanup_free char *line = NULL;
                cleanup_json json_t *row = NULL;

                if (human) {
                        format_human_size((double) h->size, size_s, sizeof(size_s));
                        if (when >= 0) {
                                format_human_duration((int64_t) time(NULL) - when, since, sizeof(since));
                                strcat(since, " ago");
                        } else {
                                strcpy(since, "N/A");
                        }
                } else {
                        snprintf(size_s, sizeof(size_s), "%lld", (long long) h->size);
                        snprintf(since, sizeof(since), "%s", h->created ? h->created : "N/A");
                }
                row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", h->comment, "CreatedAt",
                                h->created ? h->created : "", "CreatedBy", fmt.kind == OUTPUT_TABLE_DEFAULT ? by_shown : by1,
                                "CreatedSince", since, "ID", rowid, "Size", size_s);
                if (quiet) {
                        printf("%s\n", rowid);
                } else if (fmt.kind == OUTPUT_JSON) {
                        line = json_to_string(row);
                        printf("%s\n", line);
                } else if (fmt.kind == OUTPUT_TEMPLATE || fmt.kind == OUTPUT_TABLE) {
                        if ((r = template_render(fmt.template, row, &line, &err)) == 0) {
                                if (fmt.kind == OUTPUT_TABLE)
                                        table_add_line(&t, line);
                                else
                                        printf("%s\n", line);
                        }
                } else {
                        line = xasprintf("%s\t%s\t%s\t%s\t%s", rowid, since, by_shown, size_s, h->comment);
                        table_add_line(&t, line);
                }
        }
        if (r == 0)
                table_print(&t, stdout);
out:
        engine_image_history_free(entries, n);
        table_free(&t);
        output_format_clear(&fmt);
        return r < 0 ? cli_fail(cli, &err) : 0;
}
