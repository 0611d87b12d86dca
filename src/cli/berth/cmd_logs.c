/* berth logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER: the engine's log entries
 * (engine/logs.h), each to our stdout or stderr as the container wrote it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/logs.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "lib/util.h"

struct logs_out {
        bool timestamps;
        bool details; /* docker: the entry's extra attributes (--log-opt labels/env), then a space */
};

static void print_entry(const char *stream, const char *time, const char *bytes, size_t len, void *data)
{
        const struct logs_out *o = data;
        FILE *out = strcmp(stream, "stderr") == 0 ? stderr : stdout;

        if (o->timestamps)
                fprintf(out, "%s ", time);
        /* berth's json-file entries carry no attributes (no labels/env log options): docker prints the empty
         * list and its separator. */
        if (o->details)
                fputc(' ', out);
        fwrite(bytes, 1, len, out);
        fflush(out);
}

int cmd_logs(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"follow", no_argument, NULL, 'f'},      {"tail", required_argument, NULL, 'n'},
                {"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
                {"timestamps", no_argument, NULL, 't'},  {"details", no_argument, NULL, 'D'},
                {"help", no_argument, NULL, 'H'},        {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct engine_logs_options o = {.tail = -1};
        struct logs_out out = {0};
        int ch;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+fn:t", options, NULL)) != -1) {
                switch (ch) {
                case 'f': o.follow = true; break;
                case 't': out.timestamps = true; break;
                case 'n':
                        if (strcmp(optarg, "all") == 0)
                                o.tail = -1;
                        else if (parse_i64(optarg, (int64_t *) &o.tail) < 0)
                                return cli_flag_error(cli, "invalid argument \"%s\" for \"-n, --tail\" flag", optarg);
                        break;
                case 'S':
                        if (time_parse_arg(optarg, &o.since) < 0)
                                return cli_flag_error(cli, "invalid value for \"since\": failed to parse value as time or duration: \"%s\"", optarg);
                        break;
                case 'U':
                        if (time_parse_arg(optarg, &o.until) < 0)
                                return cli_flag_error(cli, "invalid value for \"until\": failed to parse value as time or duration: \"%s\"", optarg);
                        break;
                case 'D': out.details = true; break;
                case 'H': printf("Usage:  berth logs [OPTIONS] CONTAINER\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_flag_error(cli, "\"berth logs\" requires exactly 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_logs(e, argv[optind], &o, print_entry, &out, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        return 0;
}
