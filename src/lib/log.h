/* Logging in runc's formats, so that engines that read a runtime's --log file (containerd's shim, conmon)
 * find what they expect: text `time="..." level=error msg="..."` or JSON `{"level":..,"msg":..,"time":..}`.
 * A logger is a value owned by the CLI and handed down; the library keeps no global logger. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARNING = 1, LOG_LEVEL_INFO = 2, LOG_LEVEL_DEBUG = 3 };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

struct berth_log {
        int fd;                /* -1: no log file */
        enum log_format format;
        enum log_level level;  /* messages above this level are dropped */
        bool also_stderr;      /* errors are also printed on stderr as "berth-runtime: msg" */
        const char *program;   /* prefix for stderr */
};

void berth_log(const struct berth_log *log, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void berth_vlog(const struct berth_log *log, enum log_level level, const char *fmt, va_list ap);

#define log_debug(log, ...) berth_log((log), LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_warning(log, ...) berth_log((log), LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_error(log, ...) berth_log((log), LOG_LEVEL_ERROR, __VA_ARGS__)
