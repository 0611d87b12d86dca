/* berth stats [--no-stream] [--format json|TEMPLATE] [-a] [CONTAINER...]: docker's columns from the cgroup
 * counters. CPU % is docker's: the container's CPU time over the host's in the same interval, times the
 * online CPUs; memory usage leaves out the page cache that can be dropped (inactive_file), as docker does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "engine/list.h"
#include "engine/reconcile.h"
#include "engine/stats.h"
#include "lib/util.h"

struct sample {
        uint64_t cpu, system; /* ns */
        uint64_t mem, limit, pids, read, write;
        bool ok;
};

/* The host's CPU time in ns (first line of /proc/stat), as docker's getSystemCPUUsage. */
static uint64_t system_cpu(void)
{
        cleanup_free char *text = NULL;
        unsigned long long v[8] = {0};

        if (read_file_at(AT_FDCWD, "/proc/stat", &text, NULL, NULL) < 0 ||
            sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) < 4)
                return 0;
        uint64_t ticks = 0;
        for (int i = 0; i < 8; i++)
                ticks += v[i];
        return ticks * (1000000000ULL / (uint64_t) sysconf(_SC_CLK_TCK));
}

static uint64_t host_memory(void)
{
        return (uint64_t) sysconf(_SC_PHYS_PAGES) * (uint64_t) sysconf(_SC_PAGESIZE);
}

static uint64_t u64(json_t *obj, const char *a, const char *b)
{
        json_t *v = json_object_get(obj, a);
        if (b != NULL)
                v = json_object_get(v, b);
        return (uint64_t) json_integer_value(v);
}

static void take(struct engine *e, const char *id, struct sample *s)
{
        cleanup_json json_t *data = NULL;
        berth_error err = {0};
        json_t *mem, *raw, *v;
        size_t i;

        memset(s, 0, sizeof(*s));
        if (engine_container_cgroup_stats(e, id, &data, &err) < 0) {
                berth_error_clear(&err);
                return;
        }
        s->ok = true;
        s->system = system_cpu();
        s->cpu = u64(json_object_get(data, "cpu"), "usage", "total");
        mem = json_object_get(data, "memory");
        raw = json_object_get(mem, "raw");
        s->mem = u64(mem, "usage", "usage");
        {
                uint64_t inactive = json_object_get(raw, "total_inactive_file") ? u64(raw, "total_inactive_file", NULL)
                                                                                : u64(raw, "inactive_file", NULL);
                if (inactive < s->mem)
                        s->mem -= inactive;
        }
        s->limit = u64(mem, "usage", "limit");
        if (s->limit == 0 || s->limit > host_memory())
                s->limit = host_memory();
        s->pids = u64(json_object_get(data, "pids"), "current", NULL);
        json_array_foreach(json_object_get(json_object_get(data, "blkio"), "ioServiceBytesRecursive"), i, v) {
                const char *op = json_string_value(json_object_get(v, "op")) ?: "";
                if (strcasecmp(op, "read") == 0)
                        s->read += (uint64_t) json_integer_value(json_object_get(v, "value"));
                else if (strcasecmp(op, "write") == 0)
                        s->write += (uint64_t) json_integer_value(json_object_get(v, "value"));
        }
}

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

static json_t *row(const struct engine_container *c, const struct sample *a, const struct sample *b)
{
        char cpu[32], mem[80], memp[32], blk[80], used[32], limit[32], rd[32], wr[32], pids[32];
        cleanup_free char *short_id = xstrndup(c->id, 12);
        double cpu_pct = 0;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

        if (b->ok && a->ok && b->system > a->system && b->cpu >= a->cpu)
                cpu_pct = (double) (b->cpu - a->cpu) / (double) (b->system - a->system) * (double) ncpu * 100.0;
        snprintf(cpu, sizeof(cpu), "%.2f%%", cpu_pct);
        binary_size((double) b->mem, used, sizeof(used));
        binary_size((double) b->limit, limit, sizeof(limit));
        snprintf(mem, sizeof(mem), "%s / %s", used, limit);
        snprintf(memp, sizeof(memp), "%.2f%%", b->limit ? (double) b->mem / (double) b->limit * 100.0 : 0.0);
        format_human_size((double) b->read, rd, sizeof(rd));
        format_human_size((double) b->write, wr, sizeof(wr));
        snprintf(blk, sizeof(blk), "%s / %s", rd, wr);
        snprintf(pids, sizeof(pids), "%llu", (unsigned long long) b->pids);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "BlockIO", blk, "CPUPerc", cpu, "Container",
                         short_id, "ID", short_id, "MemPerc", memp, "MemUsage", mem, "Name", c->name, "NetIO",
                         "0B / 0B", "PIDs", pids, "State", engine_status_name(c->status));
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

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+a", options, NULL)) != -1) {
                switch (c) {
                case 'n': no_stream = true; break;
                case 'a': all = true; break;
                case 'F':
                        if (output_format_parse(optarg, &fmt, &err) < 0)
                                return cli_fail(cli, &err);
                        break;
                case 'T': break;
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
                struct sample *a = xzalloc((n + 1) * sizeof(*a)), *b = xzalloc((n + 1) * sizeof(*b));
                cleanup_json json_t *rows = json_array();
                struct timespec interval = {.tv_sec = 0, .tv_nsec = 500000000};
                for (size_t i = 0; i < n; i++)
                        take(e, list[i]->id, &a[i]);
                /* Two samples: CPU % is a rate. */
                nanosleep(&interval, NULL);
                for (size_t i = 0; i < n; i++) {
                        berth_error e2 = {0};
                        engine_container_refresh(e, list[i], &e2);
                        berth_error_clear(&e2);
                        if (!all && optind >= argc && list[i]->status != ENGINE_RUNNING && list[i]->status != ENGINE_PAUSED)
                                continue;
                        take(e, list[i]->id, &b[i]);
                        json_array_append_new(rows, row(list[i], &a[i], &b[i]));
                }
                print_table(rows, &fmt, !no_stream);
                free(a);
                free(b);
                if (no_stream)
                        break;
        }
        engine_container_list_free(list, n);
        output_format_clear(&fmt);
        return 0;
}
