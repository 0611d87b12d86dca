/* logs (logs.h): every entry of the json-file log, oldest first, through the caller's sink; with follow,
 * the entries the monitor appends until the container stops (across a rotation: the monitor renames the
 * file away and starts a new one). */
#include "engine/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/list.h"
#include "engine/reconcile.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

double engine_log_time(const char *ts)
{
        struct tm tm = {0};
        const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
        double t;

        if (rest == NULL)
                return -1;
        t = (double) timegm(&tm);
        if (*rest == '.')
                t += strtod(rest, NULL);
        return t;
}

#define LOG_BUF 65536

struct reader {
        const struct engine_logs_options *o;
        engine_log_sink sink;
        void *data;
};

/* One line of the log: passed on when it is an entry inside the time window. */
static void emit(const struct reader *rd, const char *line)
{
        cleanup_json json_t *j = json_loads(line, 0, NULL);
        const char *log, *stream, *ts;
        double t;

        if (j == NULL)
                return;
        log = json_string_value(json_object_get(j, "log"));
        stream = json_string_value(json_object_get(j, "stream"));
        ts = json_string_value(json_object_get(j, "time"));
        if (log == NULL || ts == NULL)
                return;
        t = engine_log_time(ts);
        if ((rd->o->since > 0 && t < rd->o->since) || (rd->o->until > 0 && t > rd->o->until))
                return;
        rd->sink(stream ? stream : "stdout", ts, log, json_string_length(json_object_get(j, "log")), rd->data);
}

/* The entries of the rotated files, oldest first (the tail is cut from these and the current file's). */
static char **read_rotated_lines(int dirfd, const char *base)
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
        for (int i = max; i >= 1; i--) {
                cleanup_free char *name = xasprintf("%s.%d", base, i);
                cleanup_free char *text = NULL;
                char *save = NULL;
                if (read_file_at(dirfd, name, &text, NULL, NULL) < 0)
                        continue;
                for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        lines = strv_append(lines, l);
        }
        return lines;
}

/* The current file's complete lines, read through fd (which follow then goes on reading: nothing written
 * between the two is lost); an unfinished last line is left in buf (*have bytes). */
static char **read_current_lines(int fd, char **lines, char *buf, size_t size, size_t *have)
{
        for (;;) {
                ssize_t n = read(fd, buf + *have, size - 1 - *have);
                char *start = buf, *nl;
                if (n <= 0)
                        return lines;
                *have += (size_t) n;
                buf[*have] = '\0';
                while ((nl = memchr(start, '\n', *have - (size_t) (start - buf))) != NULL) {
                        *nl = '\0';
                        if (*start != '\0')
                                lines = strv_append(lines, start);
                        start = nl + 1;
                }
                *have -= (size_t) (start - buf);
                memmove(buf, start, *have);
                if (*have == size - 1)
                        *have = 0; /* a line longer than the buffer is not an entry of ours */
        }
}

/* buf holds *have bytes of an unfinished line and then n new ones: emits every complete line and keeps
 * the unfinished rest at the start of buf. */
static void emit_complete_lines(const struct reader *rd, char *buf, size_t *have, size_t n)
{
        char *start = buf, *nl;

        *have += n;
        buf[*have] = '\0';
        while ((nl = memchr(start, '\n', *have - (size_t) (start - buf))) != NULL) {
                *nl = '\0';
                emit(rd, start);
                start = nl + 1;
        }
        *have -= (size_t) (start - buf);
        memmove(buf, start, *have);
}

static bool is_up(const struct engine_container *c)
{
        return c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED || c->status == ENGINE_RESTARTING;
}

/* Goes on reading fd (owned: closed here) from where the caller stopped, with have bytes of an unfinished
 * line in buf. */
static void follow(struct engine *e, const char *id, int dirfd, const char *base, const struct reader *rd, int fd_in,
                   char *buf, size_t have)
{
        cleanup_close int fd = fd_in;
        struct stat st, now;

        for (;;) {
                ssize_t n = read(fd, buf + have, LOG_BUF - 1 - have);
                if (n > 0) {
                        emit_complete_lines(rd, buf, &have, (size_t) n);
                        continue;
                }
                /* Rotated: the monitor renamed our file away and writes a new one. */
                if (fstatat(dirfd, base, &now, 0) == 0 && fstat(fd, &st) == 0 && now.st_ino != st.st_ino) {
                        close(fd);
                        fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return;
                        have = 0;
                        continue;
                }
                {
                        cleanup_engine_container struct engine_container *c = NULL;
                        berth_error ignored = {0};
                        if (engine_container_load(e, id, &c, &ignored) < 0) {
                                berth_error_clear(&ignored);
                                return;
                        }
                        if (!is_up(c) || (rd->o->cancelled != NULL && rd->o->cancelled(rd->data))) {
                                /* One last read: what the monitor wrote before it recorded the exit. */
                                while ((n = read(fd, buf + have, LOG_BUF - 1 - have)) > 0)
                                        emit_complete_lines(rd, buf, &have, (size_t) n);
                                return;
                        }
                }
                usleep(50000);
        }
}

int engine_container_logs(struct engine *e, const char *ref, const struct engine_logs_options *opts, engine_log_sink sink,
                          void *data, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free char *base = NULL;
        cleanup_strv char **lines = NULL;
        cleanup_close int dirfd = -1, fd = -1;
        cleanup_free char *buf = xmalloc(LOG_BUF);
        size_t have = 0;
        struct reader rd = {.o = opts, .sink = sink, .data = data};
        const char *driver;
        size_t n, first = 0;
        int r;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        driver = json_string_value(json_object_get(json_object_get(c->host_config, "LogConfig"), "Type"));
        if (driver != NULL && strcmp(driver, "none") == 0)
                return berth_failf(err, EINVAL, "configured logging driver does not support reading");
        if ((dirfd = engine_container_dirfd(e, c->id, err)) < 0)
                return dirfd;
        base = xasprintf("%s-json.log", c->id);
        /* The current file is opened before the rotated ones are read: a rotation meanwhile renames it to .1,
         * whose lines then come twice at worst, never not at all. */
        fd = openat(dirfd, base, O_RDONLY | O_CLOEXEC);
        lines = read_rotated_lines(dirfd, base);
        if (fd >= 0)
                lines = read_current_lines(fd, lines, buf, LOG_BUF, &have);
        n = strv_length(lines);
        if (opts->tail >= 0 && (size_t) opts->tail < n)
                first = n - (size_t) opts->tail;
        for (size_t i = first; i < n; i++)
                emit(&rd, lines[i]);
        if (opts->follow && is_up(c) && fd >= 0)
                follow(e, c->id, dirfd, base, &rd, steal_fd(&fd), buf, have);
        return 0;
}
