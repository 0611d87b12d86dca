#include "lib/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static const char *level_names[] = {"error", "warning", "info", "debug"};

static void write_text_escaped(FILE *f, const char *s)
{
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                if (*s == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*s, f);
        }
}

void berth_vlog(const struct berth_log *log, enum log_level level, const char *fmt, va_list ap)
{
        char *msg = NULL, *line = NULL, stamp[64];
        size_t line_len = 0;
        struct timespec now;
        FILE *f;

        if (log == NULL || level > log->level)
                return;
        /* Without a log file, warnings go to stderr too (as runc's do): they are meant to be seen. */
        bool to_stderr = log->also_stderr && (level == LOG_LEVEL_ERROR || (level == LOG_LEVEL_WARNING && log->fd < 0));

        if (log->fd < 0 && !to_stderr)
                return;
        if (vasprintf(&msg, fmt, ap) < 0)
                return;
        if (to_stderr)
                fprintf(stderr, "%s: %s%s\n", log->program ? log->program : "berth",
                        level == LOG_LEVEL_WARNING ? "warning: " : "", msg);
        if (log->fd >= 0) {
                clock_gettime(CLOCK_REALTIME, &now);
                format_rfc3339_nano(&now, stamp, sizeof(stamp));
                if (log->format == LOG_FORMAT_JSON) {
                        json_t *j = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", msg, "time", stamp);
                        if (j != NULL) {
                                line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
                                json_decref(j);
                                if (line != NULL) {
                                        line_len = strlen(line);
                                        line = xrealloc(line, line_len + 2);
                                        line[line_len++] = '\n';
                                        line[line_len] = '\0';
                                }
                        }
                } else {
                        f = open_memstream(&line, &line_len);
                        if (f != NULL) {
                                fprintf(f, "time=\"%s\" level=%s msg=\"", stamp, level_names[level]);
                                write_text_escaped(f, msg);
                                fputs("\"\n", f);
                                fclose(f);
                        }
                }
                /* One write per line: the file is O_APPEND, so lines from concurrent processes never interleave. */
                if (line != NULL)
                        (void) write_all(log->fd, line, line_len);
        }
        free(line);
        free(msg);
}

void berth_log(const struct berth_log *log, enum log_level level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        berth_vlog(log, level, fmt, ap);
        va_end(ap);
}
