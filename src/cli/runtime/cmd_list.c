#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/runtime/commands.h"
#include "lib/json.h"
#include "lib/util.h"

static void print_cell(const char *text, size_t width, bool last)
{
        if (last)
                printf("%s\n", text);
        else
                printf("%-*s", (int) width, text);
}

/* runc prints the table through Go's tabwriter (minwidth 12, padding 3): a column is as wide as its
 * widest cell plus 3, at least 12. */
static void print_table(json_t *rows)
{
        static const char *const headers[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
        static const char *const keys[] = {"id", "pid", "status", "bundle", "created", "owner"};
        size_t widths[6], i, c;
        json_t *row;

        for (c = 0; c < 6; c++)
                widths[c] = strlen(headers[c]);
        json_array_foreach (rows, i, row)
                for (c = 0; c < 6; c++) {
                        json_t *v = json_object_get(row, keys[c]);
                        size_t len = json_is_integer(v) ? (size_t) snprintf(NULL, 0, "%lld", (long long) json_integer_value(v))
                                                        : strlen(json_string_value(v) ? json_string_value(v) : "");
                        if (len > widths[c])
                                widths[c] = len;
                }
        for (c = 0; c < 6; c++) {
                widths[c] += 3;
                if (widths[c] < 12)
                        widths[c] = 12;
        }
        for (c = 0; c < 6; c++)
                print_cell(headers[c], widths[c], c == 5);
        json_array_foreach (rows, i, row)
                for (c = 0; c < 6; c++) {
                        json_t *v = json_object_get(row, keys[c]);
                        char buf[32];
                        const char *text = json_string_value(v);
                        if (json_is_integer(v)) {
                                snprintf(buf, sizeof(buf), "%lld", (long long) json_integer_value(v));
                                text = buf;
                        }
                        print_cell(text ? text : "", widths[c], c == 5);
                }
}

int cmd_list(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"format", required_argument, NULL, 'f'},
                {"quiet", no_argument, NULL, 'q'},
                {NULL, 0, NULL, 0},
        };
        cleanup_strv char **ids = NULL;
        berth_error err = {0};
        bool json_format = false, quiet = false;
        json_t *rows;
        int opt;

        while ((opt = getopt_long(argc, argv, "+f:q", options, NULL)) != -1) {
                if (opt == 'f') {
                        if (strcmp(optarg, "json") == 0)
                                json_format = true;
                        else if (strcmp(optarg, "table") != 0)
                                return cli_usage_error(ctx, "list: unknown format \"%s\" (table or json)", optarg);
                } else if (opt == 'q') {
                        quiet = true;
                } else {
                        return 1;
                }
        }
        if (container_list_ids(ctx, &ids, &err) < 0)
                return cli_fail(ctx, &err);
        rows = json_array();
        for (size_t i = 0; ids[i] != NULL; i++) {
                cleanup_container struct container *c = NULL;
                enum container_status status;
                berth_error skip = {0};
                /* A container deleted while we list is not an error, just no longer there. */
                if (container_load(ctx, ids[i], &c, &skip) < 0 || container_status(c, &status, &skip) < 0) {
                        berth_error_clear(&skip);
                        continue;
                }
                json_array_append_new(rows, container_state_json(c, status));
        }
        if (quiet) {
                size_t i;
                json_t *row;
                json_array_foreach (rows, i, row)
                        puts(json_string_value(json_object_get(row, "id")));
        } else if (json_format) {
                char *text = json_dumps(rows, JSON_COMPACT | JSON_PRESERVE_ORDER);
                puts(json_array_size(rows) ? text : "null");
                free(text);
        } else {
                print_table(rows);
        }
        json_decref(rows);
        return 0;
}
