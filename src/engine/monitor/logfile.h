/* The container's log in docker's json-file format: one JSON object per line,
 *   {"log":"hello\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
 * with docker's rotation (max-size: rotate before a write would pass it; max-file: ID-json.log.1 ... .N-1
 * keep the older ones). Part of the monitor: no allocation after open, no library beyond libc. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct logfile {
        int dirfd;            /* the container's directory */
        const char *name;     /* "ID-json.log" */
        int fd;               /* -1: log driver "none" */
        uint64_t size;        /* bytes in the current file */
        uint64_t max_size;    /* 0: unlimited */
        unsigned max_file;    /* files kept, current included (>= 1) */
};

/* fd: the current log file, opened O_WRONLY|O_APPEND by the caller (-1 for no log). */
void logfile_init(struct logfile *l, int dirfd, const char *name, int fd, uint64_t max_size, unsigned max_file);

/* Appends one entry (a line with its newline, or a partial line) of the stream "stdout"/"stderr". */
void logfile_write(struct logfile *l, const char *stream, const char *data, size_t len, const struct timespec *now);

/* "2024-01-02T03:04:05.123456789Z" into buf (at least 32 bytes). */
void logfile_format_time(const struct timespec *ts, char *buf, size_t size);
