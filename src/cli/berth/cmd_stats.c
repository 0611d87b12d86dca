/* berth stats [--no-stream] [--format json|TEMPLATE] [-a] [CONTAINER...]: docker's columns from the engine's
 * rounds of two samples (engine/stats.h: CPU %, memory without the droppable page cache, as docker). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "engine/list.h"
#include "engine/stats.h"
#include "lib/util.h"

/* docker's units.BytesSize: binary units, 4 significant digits. */
static void binary_size(double bytes, char *buf, size_t size)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        size_t i = 0;

        while (bytes >= 1024.0 && i + 1 < ARRAY_SIZE(units)) {
                bytes /= 1024.0;
                i++;
        }
        snprintf(buf, size, "%.4g%s", bytes, units[i]);
}

static json_t *row(const struct engine_container *c, const struct engine_stats_sample *b, double cpu_pct, bool no_trunc)
{
        char cpu[32], mem[80], memp[32], blk[80], net[80], used[32], limit[32], rd[32], wr[32], rx[32], tx[32],
                pids[32];
        cleanup_free char *short_id = no_trunc ? xstrdup(c->id) : xstrndup(c->id, 12);

        snprintf(cpu, sizeof(cpu), "%.2f%%", cpu_pct);
        binary_size((double) b->mem_usage, used, sizeof(used));
        binary_size((double) b->mem_limit, limit, sizeof(limit));
        snprintf(mem, sizeof(mem), "%s / %s", used, limit);
        snprintf(memp, sizeof(memp), "%.2f%%", b->mem_limit ? (double) b->mem_usage / (double) b->mem_limit * 100.0 : 0.0);
        format_human_size((double) b->blk_read, rd, sizeof(rd));
        format_human_size((double) b->blk_write, wr, sizeof(wr));
        snprintf(blk, sizeof(blk), "%s / %s", rd, wr);
        format_human_size((double) b->net_rx, rx, sizeof(rx));
        format_human_size((double) b->net_tx, tx, sizeof(tx));
        snprintf(net, sizeof(net), "%s / %s", rx, tx);
        snprintf(pids, sizeof(pids), "%llu", (unsigned long long) b->pids);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "BlockIO", blk, "CPUPerc", cpu, "Container",
                         short_id, "ID", short_id, "MemPerc", memp, "MemUsage", mem, "Name", c->name, "NetIO",
                         net, "PIDs", pids, "State", engine_status_name(c->status));
}

static void print_table(json_t *rows, struct output_format *fmt, bool clear)
{
        static const char *const fields[] = {"ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs"};
        static const char *const header[] = {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
                                             "NET I/O", "BLOCK I/O", "PIDS"};
        struct table t = {0};
        size_t i;
        json_t *r;

        if (clear)
                printf("\033[2J\033[H");
        if (fmt->kind == OUTPUT_JSON || fmt->kind == OUTPUT_TEMPLATE) {
                json_array_foreach(rows, i, r) {
                        cleanup_free char *line = NULL;
                        if (fmt->kind == OUTPUT_JSON)
                                line = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
                        else if (template_render(fmt->template, r, &line, NULL) < 0)
                                continue;
                        printf("%s\n", line);
                }
                fflush(stdout);
                return;
        }
        {
                char **cells = xzalloc(9 * sizeof(char *));
                for (size_t k = 0; k < 8; k++)
                        cells[k] = xstrdup(header[k]);
                table_add_row(&t, cells);
        }
        json_array_foreach(rows, i, r) {
                char **cells = xzalloc(9 * sizeof(char *));
                for (size_t k = 0; k < 8; k++)
                        cells[k] = xstrdup(json_string_value(json_object_get(r, fields[k])) ?: "");
                table_add_row(&t, cells);
        }
        table_print(&t, stdout);
        table_free(&t);
        fflush(stdout);
}

int cmd_stats(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"no-stream", no_argument, NULL, 'n'}, {"all", no_argument, NULL, 'a'},
                {"format", required_argument, NULL, 'F'}, {"no-trunc", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'H'},      {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct output_format fmt = {0};
        struct engine_container **list = NULL;
        size_t n = 0;
        bool no_stream = false, all = false;
        int c;

        bool no_trunc = false;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+a", options, NULL)) != -1) {
                switch (c) {
                case 'n': no_stream = true; break;
                case 'a': all = true; break;
                case 'F':
                        if (output_format_parse(optarg, &fmt, &err) < 0)
                                return cli_fail(cli, &err);
                        break;
                case 'T': no_trunc = true; break;
                case 'H': printf("Usage:  berth stats [OPTIONS] [CONTAINER...]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        if (optind < argc) {
                list = xzalloc((size_t) (argc - optind) * sizeof(*list));
                for (int i = optind; i < argc; i++) {
                        if (engine_container_find(e, argv[i], &list[n], &err) < 0) {
                                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                                engine_container_list_free(list, n);
                                return 1;
                        }
                        n++;
                }
        } else if (engine_container_list(e, NULL, &list, &n, &err) < 0) {
                return cli_fail(cli, &err);
        }
        for (;;) {
                cleanup_free struct engine_stats_sample *samples = xzalloc((n + 1) * sizeof(*samples));
                cleanup_free double *cpu = xzalloc((n + 1) * sizeof(*cpu));
                cleanup_json json_t *rows = json_array();
                if (engine_containers_stats_round(e, list, n, 500, samples, cpu, &err) < 0) {
                        engine_container_list_free(list, n);
                        return cli_fail(cli, &err);
                }
                for (size_t i = 0; i < n; i++) {
                        if (!all && optind >= argc && list[i]->status != ENGINE_RUNNING && list[i]->status != ENGINE_PAUSED)
                                continue;
                        json_array_append_new(rows, row(list[i], &samples[i], cpu[i], no_trunc));
                }
                print_table(rows, &fmt, !no_stream);
                if (no_stream)
                        break;
        }
        engine_container_list_free(list, n);
        output_format_clear(&fmt);
        return 0;
}
