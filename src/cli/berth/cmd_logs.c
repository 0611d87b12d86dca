/* berth logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER: the json-file log the monitor writes
 * (ROOT/containers/ID/ID-json.log and its rotated files .1 ... .N, oldest last), each entry to our stdout
 * or stderr as the container wrote it. */
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
#include "engine/list.h"
#include "cli/berth/format.h"
#include "lib/json.h"
#include "engine/reconcile.h"
#include "lib/util.h"

struct logs_opts {
        bool follow, timestamps;
        long tail; /* -1: all */
        double since, until; /* seconds since the epoch; 0: unset */
};

/* --since/--until: RFC 3339, a unix time (with fraction), or a duration before now ("10m", "1h30m"). */
static int parse_time(const char *s, double *out)
{
        char *end = NULL;
        double v = strtod(s, &end);
        int64_t t;

        if (end != s && *end == '\0') {
                *out = v;
                return 0;
        }
        if (end != s && isalpha((unsigned char) *end)) {
                double total = 0;
                const char *p = s;
                while (*p) {
                        double n = strtod(p, &end);
                        if (end == p)
                                return -EINVAL;
                        switch (*end) {
                        case 's': total += n; break;
                        case 'm': total += n * 60; break;
                        case 'h': total += n * 3600; break;
                        default: return -EINVAL;
                        }
                        p = end + 1;
                }
                *out = (double) time(NULL) - total;
                return 0;
        }
        t = format_parse_rfc3339(s);
        if (t < 0)
                return -EINVAL;
        *out = (double) t;
        {
                const char *dot = strchr(s, '.');
                if (dot != NULL)
                        *out += strtod(dot, NULL);
        }
        return 0;
}

static double entry_time(const char *ts)
{
        int64_t t = format_parse_rfc3339(ts);
        const char *dot = strchr(ts, '.');

        return (double) t + (dot ? strtod(dot, NULL) : 0);
}

/* Prints one entry when it passes the time window. Returns false for a line that is not an entry. */
static bool print_entry(const struct logs_opts *o, const char *line)
{
        cleanup_json json_t *j = json_loads(line, 0, NULL);
        const char *log, *stream, *ts;
        size_t len;
        double t;

        if (j == NULL)
                return false;
        log = json_string_value(json_object_get(j, "log"));
        len = json_string_length(json_object_get(j, "log"));
        stream = json_string_value(json_object_get(j, "stream"));
        ts = json_string_value(json_object_get(j, "time"));
        if (log == NULL || ts == NULL)
                return false;
        t = entry_time(ts);
        if ((o->since > 0 && t < o->since) || (o->until > 0 && t > o->until))
                return true;
        FILE *out = stream && strcmp(stream, "stderr") == 0 ? stderr : stdout;
        if (o->timestamps)
                fprintf(out, "%s ", ts);
        fwrite(log, 1, len, out);
        fflush(out);
        return true;
}

/* All entries of the log, oldest first, as lines (the tail is cut from this). */
static char **read_all_lines(int dirfd, const char *base)
{
        char **lines = xzalloc(sizeof(char *));
        int max = 0;

        for (int i = 1; i < 1000; i++) {
                cleanup_free char *name = xasprintf("%s.%d", base, i);
                struct stat st;
                if (fstatat(dirfd, name, &st, 0) < 0)
                        break;
                max = i;
        }
        for (int i = max; i >= 0; i--) {
                cleanup_free char *name = i ? xasprintf("%s.%d", base, i) : xstrdup(base);
                cleanup_free char *text = NULL;
                char *save = NULL;
                if (read_file_at(dirfd, name, &text, NULL, NULL) < 0)
                        continue;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        lines = strv_append(lines, l);
        }
        return lines;
}

/* buf holds *have bytes of an unfinished line and then n new ones: prints every complete line and keeps
 * the unfinished rest at the start of buf. */
static void print_complete_lines(const struct logs_opts *o, char *buf, size_t *have, size_t n)
{
        char *start = buf, *nl;

        *have += n;
        buf[*have] = '\0';
        while ((nl = memchr(start, '\n', *have - (size_t) (start - buf))) != NULL) {
                *nl = '\0';
                print_entry(o, start);
                start = nl + 1;
        }
        *have -= (size_t) (start - buf);
        memmove(buf, start, *have);
}

static void follow(struct engine *e, const char *id, int dirfd, const char *base, const struct logs_opts *o)
{
        cleanup_close int fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC);
        char buf[65536];
        size_t have = 0;
        struct stat st;

        if (fd < 0)
                return;
        lseek(fd, 0, SEEK_END);
        for (;;) {
                ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
                if (n > 0) {
                        print_complete_lines(o, buf, &have, (size_t) n);
                        continue;
                }
                /* Rotated: the monitor renamed our file away and writes a new one. */
                struct stat now;
                if (fstatat(dirfd, base, &now, 0) == 0 && fstat(fd, &st) == 0 && now.st_ino != st.st_ino) {
                        close(fd);
                        fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return;
                        continue;
                }
                {
                        cleanup_engine_container struct engine_container *c = NULL;
                        berth_error ignored = {0};
                        if (engine_container_load(e, id, &c, &ignored) < 0) {
                                berth_error_clear(&ignored);
                                return;
                        }
                        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED && c->status != ENGINE_RESTARTING) {
                                /* One last read: what the monitor wrote before it recorded the exit. */
                                while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
                                        print_complete_lines(o, buf, &have, (size_t) n);
                                return;
                        }
                }
                usleep(50000);
        }
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
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free char *id = NULL, *base = NULL;
        cleanup_strv char **lines = NULL;
        cleanup_close int dirfd = -1;
        struct logs_opts o = {.tail = -1};
        size_t n, first = 0;
        const char *driver;
        int ch;

        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+fn:t", options, NULL)) != -1) {
                switch (ch) {
                case 'f': o.follow = true; break;
                case 't': o.timestamps = true; break;
                case 'n':
                        if (strcmp(optarg, "all") == 0)
                                o.tail = -1;
                        else if (parse_i64(optarg, (int64_t *) &o.tail) < 0)
                                return cli_flag_error(cli, "invalid argument \"%s\" for \"-n, --tail\" flag", optarg);
                        break;
                case 'S':
                        if (parse_time(optarg, &o.since) < 0)
                                return cli_flag_error(cli, "invalid value for \"since\": failed to parse value as time or duration: \"%s\"", optarg);
                        break;
                case 'U':
                        if (parse_time(optarg, &o.until) < 0)
                                return cli_flag_error(cli, "invalid value for \"until\": failed to parse value as time or duration: \"%s\"", optarg);
                        break;
                case 'D': break;
                case 'H': printf("Usage:  berth logs [OPTIONS] CONTAINER\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_flag_error(cli, "\"berth logs\" requires exactly 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_resolve(e, argv[optind], &id, &err) < 0 ||
            engine_container_load(e, id, &c, &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return 1;
        }
        driver = json_string_value(json_object_get(json_object_get(c->host_config, "LogConfig"), "Type"));
        if (driver != NULL && strcmp(driver, "none") == 0) {
                fprintf(stderr, "Error response from daemon: configured logging driver does not support reading\n");
                return 1;
        }
        if ((dirfd = engine_container_dirfd(e, id, &err)) < 0)
                return cli_fail(cli, &err);
        base = xasprintf("%s-json.log", id);
        lines = read_all_lines(dirfd, base);
        n = strv_length(lines);
        if (o.tail >= 0 && (size_t) o.tail < n)
                first = n - (size_t) o.tail;
        for (size_t i = first; i < n; i++)
                print_entry(&o, lines[i]);
        if (o.follow && (c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_RESTARTING))
                follow(e, id, dirfd, base, &o);
        return 0;
}
