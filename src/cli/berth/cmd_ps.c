/* berth ps: docker's columns, -a -q -n -l --no-trunc, --filter status=|name=|label=|ancestor=|id=, --format
 * (table, json, templates). Every status is checked against the kernel and the monitor first
 * (engine_container_list): a container whose monitor or init was killed shows what really happened. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "engine/network.h"
#include "cli/berth/cmd_container.h"
#include "engine/health.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "engine/list.h"
#include "engine/summary.h"
#include "lib/util.h"

struct ps_opts {
        bool all, quiet, no_trunc;
        int last; /* -n; -1: unset */
        struct output_format format;
        char **filters;
};

/* docker: Ellipsis(command, 20) then strconv.Quote. Counts characters, not bytes. */
static char *quoted_command(const struct engine_container *c, bool trunc)
{
        cleanup_free char *cmd = engine_container_command_line(c);
        size_t chars = 0, cut = 0;
        char *out, *o;

        for (size_t i = 0; cmd[i]; i++)
                if (((unsigned char) cmd[i] & 0xc0) != 0x80) {
                        if (chars == 19)
                                cut = i;
                        chars++;
                }
        if (trunc && chars > 20)
                strcpy(cmd + cut, "\xe2\x80\xa6");
        out = o = xmalloc(strlen(cmd) * 2 + 3);
        *o++ = '"';
        for (const char *p = cmd; *p; p++) {
                if (*p == '"' || *p == '\\')
                        *o++ = '\\';
                *o++ = *p;
        }
        *o++ = '"';
        *o = '\0';
        return out;
}

static char *ago(const char *rfc3339)
{
        int64_t t = time_parse_rfc3339(rfc3339);
        char buf[64];

        if (t < 0)
                return xstrdup("");
        format_human_duration((int64_t) time(NULL) - t, buf, sizeof(buf));
        return xasprintf("%s ago", buf);
}

static char *labels_text(const struct engine_container *c)
{
        char *s = xstrdup("");
        const char *k;
        json_t *v;

        json_object_foreach(json_object_get(c->config, "Labels"), k, v) {
                char *n = xasprintf("%s%s%s=%s", s, *s ? "," : "", k, json_string_value(v) ?: "");
                free(s);
                s = n;
        }
        return s;
}

static json_t *row_object(struct engine *e, const struct engine_container *c, bool no_trunc)
{
        cleanup_json json_t *port_map = c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED
                                                 ? engine_network_ports(e, c->id) : NULL;
        cleanup_free char *ports = port_map ? engine_ports_text(port_map) : xstrdup("");
        cleanup_free char *cmd = quoted_command(c, !no_trunc), *labels = labels_text(c);
        cleanup_free char *status = engine_container_status_text(e, c);
        cleanup_free char *id = no_trunc ? xstrdup(c->id) : xstrndup(c->id, 12), *running = ago(c->created);
        const char *net = json_string_value(json_object_get(c->host_config, "NetworkMode"));
        char created[64];

        format_go_time(time_parse_rfc3339(c->created), created, sizeof(created));
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Command", cmd, "CreatedAt", created, "ID", id,
                         "Image", c->image_ref, "Labels", labels, "LocalVolumes", "0", "Mounts", "", "Names", c->name,
                         "Networks", net ? net : "none", "Ports", ports, "RunningFor", running, "State",
                         engine_status_name(c->status), "Status", status);
}

static int check_filters(struct berth_cli *cli, char **filters)
{
        berth_error err = {0};
        int r = 0;

        for (char **f = filters; f && *f; f++)
                if (strchr(*f, '=') == NULL)
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter "
                                                   "(expected name=value)", *f);
        if (engine_list_filters_check(filters, &err) < 0)
                r = cli_flag_error(cli, "%s", berth_error_message(&err));
        berth_error_clear(&err);
        return r;
}

static void print_rows(struct ps_opts *o, json_t *rows)
{
        static const char *const header[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"};
        static const char *const fields[] = {"ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"};
        struct table t = {0};
        size_t i;
        json_t *row;

        if (o->quiet) {
                json_array_foreach(rows, i, row)
                        printf("%s\n", json_string_value(json_object_get(row, "ID")));
                return;
        }
        if (o->format.kind == OUTPUT_JSON) {
                json_array_foreach(rows, i, row) {
                        cleanup_free char *text = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
                        printf("%s\n", text);
                }
                return;
        }
        if (o->format.kind == OUTPUT_TEMPLATE || o->format.kind == OUTPUT_TABLE) {
                if (o->format.kind == OUTPUT_TABLE) {
                        cleanup_json json_t *headers = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID",
                                                                 "Image", "IMAGE", "Command", "COMMAND", "RunningFor", "CREATED",
                                                                 "Status", "STATUS", "Ports", "PORTS", "Names", "NAMES",
                                                                 "CreatedAt", "CREATED AT", "State", "STATE");
                        cleanup_free char *h = template_header(o->format.template, headers);
                        table_add_line(&t, h);
                }
                json_array_foreach(rows, i, row) {
                        cleanup_free char *line = NULL;
                        if (template_render(o->format.template, row, &line, NULL) == 0) {
                                if (o->format.kind == OUTPUT_TABLE)
                                        table_add_line(&t, line);
                                else
                                        printf("%s\n", line);
                        }
                }
                if (o->format.kind == OUTPUT_TABLE)
                        table_print(&t, stdout);
                table_free(&t);
                return;
        }
        {
                char **cells = xzalloc(8 * sizeof(char *));
                for (size_t k = 0; k < 7; k++)
                        cells[k] = xstrdup(header[k]);
                table_add_row(&t, cells);
        }
        json_array_foreach(rows, i, row) {
                char **cells = xzalloc(8 * sizeof(char *));
                for (size_t k = 0; k < 7; k++)
                        cells[k] = xstrdup(json_string_value(json_object_get(row, fields[k])) ?: "");
                table_add_row(&t, cells);
        }
        table_print(&t, stdout);
        table_free(&t);
}

int cmd_ps(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'},       {"quiet", no_argument, NULL, 'q'},
                {"last", required_argument, NULL, 'n'}, {"latest", no_argument, NULL, 'l'},
                {"no-trunc", no_argument, NULL, 'T'},  {"format", required_argument, NULL, 'F'},
                {"filter", required_argument, NULL, 'f'}, {"size", no_argument, NULL, 's'},
                {"help", no_argument, NULL, 'H'},      {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *rows = json_array();
        struct ps_opts o = {.last = -1};
        struct engine_container **list = NULL;
        size_t n = 0;
        int c, r;

        o.filters = xzalloc(sizeof(char *));
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+aqn:lf:s", options, NULL)) != -1) {
                switch (c) {
                case 'a': o.all = true; break;
                case 'q': o.quiet = true; break;
                case 'n':
                        if (parse_int(optarg, &o.last) < 0)
                                return cli_flag_error(cli, "invalid argument \"%s\" for \"-n, --last\" flag", optarg);
                        break;
                case 'l': o.last = 1; break;
                case 'T': o.no_trunc = true; break;
                case 'F':
                        if (output_format_parse(optarg, &o.format, &err) < 0)
                                return cli_fail(cli, &err);
                        break;
                case 'f': o.filters = strv_append(o.filters, optarg); break;
                case 's':
                        /* Not ignored: the containers' sizes are not computed (docs/engine.md). */
                        strv_free(o.filters);
                        return cli_flag_error(cli, "--size is not supported: berth does not compute the containers' sizes");
                case 'H': printf("Usage:  berth ps [OPTIONS]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if ((r = check_filters(cli, o.filters)) != 0) {
                strv_free(o.filters);
                return r;
        }
        struct engine_list_options lo = {.all = o.all, .last = o.last, .filters = o.filters};
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_list(e, &lo, &list, &n, &err) < 0) {
                strv_free(o.filters);
                return cli_fail(cli, &err);
        }
        for (size_t i = 0; i < n; i++)
                json_array_append_new(rows, row_object(e, list[i], o.no_trunc));
        print_rows(&o, rows);
        engine_container_list_free(list, n);
        strv_free(o.filters);
        output_format_clear(&o.format);
        return 0;
}
