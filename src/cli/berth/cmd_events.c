/* berth events [--filter K=V]... [--since T] [--until T] [--format F]: the engine's event journal
 * (engine/events.h), printed as docker prints it. As docker does, it follows new events until --until (or
 * forever); with --since or --until it first prints the journal's events from --since. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "engine/events.h"
#include "lib/util.h"

struct events_out {
        struct output_format format;
        bool failed; /* a template that cannot be rendered (printed): exit 125 */
};

/* docker's RFC3339NanoFixed in the local zone: "2006-01-02T15:04:05.000000000Z07:00". */
static void print_time(int64_t ns)
{
        time_t sec = (time_t) (ns / 1000000000);
        struct tm tm;
        char buf[64];

        localtime_r(&sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        printf("%s.%09lld", buf, (long long) (ns % 1000000000));
        if (tm.tm_gmtoff == 0)
                fputs("Z ", stdout);
        else
                printf("%c%02ld:%02ld ", tm.tm_gmtoff < 0 ? '-' : '+', labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
}

/* docker's default line: TIME TYPE ACTION ID (k=v, k=v), attributes sorted by key. */
static void print_default(json_t *ev)
{
        json_t *actor = json_object_get(ev, "Actor");
        json_t *attrs = json_object_get(actor, "Attributes");
        const char **keys = xzalloc((json_object_size(attrs) + 1) * sizeof(char *));
        size_t n = 0;
        const char *k;
        json_t *v;

        print_time(json_integer_value(json_object_get(ev, "timeNano")));
        printf("%s %s %s", json_string_value(json_object_get(ev, "Type")), json_string_value(json_object_get(ev, "Action")),
               json_string_value(json_object_get(actor, "ID")));
        json_object_foreach(attrs, k, v)
                keys[n++] = k;
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                        const char *t = keys[j];
                        keys[j] = keys[j - 1];
                        keys[j - 1] = t;
                }
        for (size_t i = 0; i < n; i++)
                printf("%s%s=%s", i == 0 ? " (" : ", ", keys[i], json_string_value(json_object_get(attrs, keys[i])));
        puts(n > 0 ? ")" : "");
        free(keys);
}

/* The template sees Go's field names (events.Message): .Type .Action .Actor.ID .Actor.Attributes.name .Status
 * .ID .From .Scope .Time .TimeNano. */
static json_t *template_object(json_t *ev)
{
        json_t *o = json_object();
        static const char *const fields[][2] = {
                {"status", "Status"}, {"id", "ID"}, {"from", "From"}, {"Type", "Type"}, {"Action", "Action"},
                {"Actor", "Actor"}, {"scope", "Scope"}, {"time", "Time"}, {"timeNano", "TimeNano"},
        };

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                json_t *v = json_object_get(ev, fields[i][0]);
                json_object_set_new(o, fields[i][1], v ? json_incref(v) : json_string(""));
        }
        return o;
}

static int print_event(json_t *ev, void *data)
{
        struct events_out *o = data;

        if (o->format.kind == OUTPUT_JSON ||
            (o->format.kind == OUTPUT_TEMPLATE && strcmp(o->format.template, "{{json .}}") == 0)) {
                cleanup_free char *s = json_dumps(ev, JSON_COMPACT);
                puts(s ? s : "{}");
        } else if (o->format.kind == OUTPUT_TEMPLATE || o->format.kind == OUTPUT_TABLE) {
                json_t *obj = template_object(ev);
                cleanup_free char *line = NULL;
                berth_error err = {0};

                if (template_render(o->format.template, obj, &line, &err) < 0) {
                        fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                        berth_error_clear(&err);
                        json_decref(obj);
                        o->failed = true;
                        return 1;
                }
                puts(line);
                json_decref(obj);
        } else {
                print_default(ev);
        }
        fflush(stdout);
        return 0;
}

int cmd_events(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"filter", required_argument, NULL, 'f'}, {"since", required_argument, NULL, 'S'},
                {"until", required_argument, NULL, 'U'},  {"format", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'H'},         {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct engine_events_filter filter = {0};
        struct engine_events_options o = {0};
        struct engine_events_result res = {0};
        struct events_out out = {0};
        cleanup_free char *root = NULL;
        double t;
        int ch, r;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+f:", options, NULL)) != -1) {
                switch (ch) {
                case 'f': filters = strv_append(filters, optarg); break;
                case 'S':
                case 'U':
                        if (time_parse_arg(optarg, &t) < 0)
                                return cli_flag_error(cli, "invalid value for \"%s\": failed to parse value as time or duration: \"%s\"",
                                                      ch == 'S' ? "since" : "until", optarg);
                        if (ch == 'S')
                                o.since_ns = (int64_t) (t * 1e9);
                        else
                                o.until_ns = (int64_t) (t * 1e9);
                        o.past = true;
                        break;
                case 'F':
                        if (output_format_parse(optarg, &out.format, &err) < 0)
                                return cli_fail(cli, &err);
                        break;
                case 'H': printf("Usage:  berth events [OPTIONS]\n\nGet real time events from the server\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc != optind)
                return cli_flag_error(cli, "\"berth events\" accepts no arguments.");
        if (engine_events_filter_parse(filters, strv_length(filters), &filter, &err) < 0) {
                output_format_clear(&out.format);
                return cli_fail(cli, &err);
        }
        {
                cleanup_engine struct engine *e = NULL;
                if (cli_engine_open(cli, &e, &err) < 0) {
                        engine_events_filter_clear(&filter);
                        output_format_clear(&out.format);
                        return cli_fail(cli, &err);
                }
                root = xstrdup(e->store->root);
        }
        o.filter = &filter;
        /* docker: streams until --until; one in the past only prints what the journal has. */
        o.follow = o.until_ns == 0 || o.until_ns > engine_events_now_ns();
        r = engine_events_read(root, &o, print_event, &out, &res, &err);
        if (res.corrupt_lines > 0)
                fprintf(stderr, "WARNING: skipped %zu corrupt line(s) of the event journal %s/%s\n", res.corrupt_lines, root,
                        ENGINE_EVENTS_FILE);
        engine_events_filter_clear(&filter);
        output_format_clear(&out.format);
        if (r < 0)
                return cli_fail(cli, &err);
        return out.failed ? CLI_EXIT_ERROR : 0;
}
