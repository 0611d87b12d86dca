#include "engine/monitor/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest entry: a 16 KiB chunk where every byte needs \u00XX (6 bytes), plus the frame. */
#define LOG_ENTRY_MAX (16384 * 6 + 128)

static char entry[LOG_ENTRY_MAX];

void logfile_init(struct logfile *l, int dirfd, const char *name, int fd, uint64_t max_size, unsigned max_file)
{
        struct stat st;

        l->dirfd = dirfd;
        l->name = name;
        l->fd = fd;
        l->size = fd >= 0 && fstat(fd, &st) == 0 ? (uint64_t) st.st_size : 0;
        l->max_size = max_size;
        l->max_file = max_file ? max_file : 1;
}

void logfile_format_time(const struct timespec *ts, char *buf, size_t size)
{
        struct tm tm;

        gmtime_r(&ts->tv_sec, &tm);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (long) ts->tv_nsec);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
        size_t len;
        uint32_t cp;

        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, cp = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, cp = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

/* JSON string body as Go's encoding/json writes it (docker's json-file): HTML-safe (<, >, & as \u00XX),
 * control characters escaped, invalid UTF-8 replaced by U+FFFD. */
static size_t escape_json(char *out, const char *data, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) data;
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                unsigned char c = p[i];
                size_t seq;

                if (c == '"' || c == '\\') {
                        out[o++] = '\\';
                        out[o++] = (char) c;
                        i++;
                } else if (c == '\n' || c == '\r' || c == '\t') {
                        out[o++] = '\\';
                        out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
                        i++;
                } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        memcpy(out + o, "\\u00", 4);
                        out[o + 4] = hex[c >> 4];
                        out[o + 5] = hex[c & 15];
                        o += 6;
                        i++;
                } else if ((seq = utf8_sequence(p + i, len - i)) == 0) {
                        memcpy(out + o, "\\ufffd", 6);
                        o += 6;
                        i++;
                } else {
                        memcpy(out + o, p + i, seq);
                        o += seq;
                        i += seq;
                }
        }
        return o;
}

/* docker's rotation: ID-json.log.N-2 -> .N-1, ..., ID-json.log -> .1, then a new ID-json.log. With
 * max-file 1 the file is truncated instead. */
static void rotate(struct logfile *l)
{
        char from[512], to[512];
        int fd;

        if (l->max_file > 1) {
                for (unsigned i = l->max_file - 1; i >= 1; i--) {
                        if (i == 1)
                                snprintf(from, sizeof(from), "%s", l->name);
                        else
                                snprintf(from, sizeof(from), "%s.%u", l->name, i - 1);
                        snprintf(to, sizeof(to), "%s.%u", l->name, i);
                        renameat(l->dirfd, from, l->dirfd, to);
                }
                fd = openat(l->dirfd, l->name, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
                if (fd < 0)
                        return; /* keep writing to the renamed file rather than losing output */
                close(l->fd);
                l->fd = fd;
        } else if (ftruncate(l->fd, 0) < 0) {
                return;
        }
        l->size = 0;
}

void logfile_write(struct logfile *l, const char *stream, const char *data, size_t len, const struct timespec *now)
{
        char ts[48];
        size_t n;

        if (l->fd < 0 || len == 0)
                return;
        if (len > 16384)
                len = 16384; /* callers split at the line buffer's size */
        logfile_format_time(now, ts, sizeof(ts));
        n = (size_t) snprintf(entry, sizeof(entry), "{\"log\":\"");
        n += escape_json(entry + n, data, len);
        n += (size_t) snprintf(entry + n, sizeof(entry) - n, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
        if (l->max_size > 0 && l->size > 0 && l->size + n > l->max_size)
                rotate(l);
        for (size_t done = 0; done < n;) {
                ssize_t w = write(l->fd, entry + done, n - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* a full disk loses log lines, never the container */
                done += (size_t) w;
        }
        l->size += n;
}
