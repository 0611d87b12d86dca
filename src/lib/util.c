#include "lib/util.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"

static void __attribute__((noreturn)) out_of_memory(void)
{
        static const char msg[] = "berth: out of memory\n";
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t size)
{
        void *p = malloc(size ? size : 1);
        if (p == NULL)
                out_of_memory();
        return p;
}

void *xzalloc(size_t size)
{
        void *p = calloc(1, size ? size : 1);
        if (p == NULL)
                out_of_memory();
        return p;
}

void *xrealloc(void *p, size_t size)
{
        void *n = realloc(p, size ? size : 1);
        if (n == NULL)
                out_of_memory();
        return n;
}

char *xstrdup(const char *s)
{
        char *d;
        if (s == NULL)
                return NULL;
        d = strdup(s);
        if (d == NULL)
                out_of_memory();
        return d;
}

char *xstrndup(const char *s, size_t n)
{
        char *d = strndup(s, n);
        if (d == NULL)
                out_of_memory();
        return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *s = NULL;

        if (vasprintf(&s, fmt, ap) < 0)
                out_of_memory();
        return s;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

int exit_code_of_wait_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

ssize_t read_all(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t done = 0;

        while (done < len) {
                ssize_t n = read(fd, p + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (ssize_t) done;
}

int read_fd(int fd, const char *what, char **out, size_t *len, berth_error *err)
{
        size_t size = 0, cap = 4096;
        cleanup_free char *buf = xmalloc(cap);

        for (;;) {
                ssize_t n;
                if (size + 1 >= cap) {
                        cap *= 2;
                        buf = xrealloc(buf, cap);
                }
                n = read(fd, buf + size, cap - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_fail(err, errno, "read %s", what);
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = '\0';
        if (len != NULL)
                *len = size;
        *out = steal_pointer(&buf);
        return 0;
}

int read_file_at(int dirfd, const char *path, char **out, size_t *len, berth_error *err)
{
        cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(err, errno, "open %s", path);
        return read_fd(fd, path, out, len, err);
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, berth_error *err)
{
        cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return berth_fail(err, errno, "open %s", path);
        /* Kernel knobs take one write; a short write is an error there, so no loop. */
        r = (int) write(fd, data, len);
        if (r < 0)
                return berth_fail(err, errno, "write '%.*s' to %s", (int) (len > 64 ? 64 : len), data, path);
        if ((size_t) r != len)
                return berth_failf(err, EIO, "write '%.*s' to %s: short write", (int) (len > 64 ? 64 : len), data,
                                   path);
        return 0;
}

int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode, bool sync,
                         berth_error *err)
{
        cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int) getpid());
        cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        int r;

        if (fd < 0)
                return berth_fail(err, errno, "create %s", tmp);
        r = write_all(fd, data, len);
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return berth_fail(err, -r, "write %s", tmp);
        }
        if (sync && fsync(fd) < 0) {
                r = errno;
                unlinkat(dirfd, tmp, 0);
                return berth_fail(err, r, "fsync %s", tmp);
        }
        if (renameat(dirfd, tmp, dirfd, path) < 0) {
                r = errno;
                unlinkat(dirfd, tmp, 0);
                return berth_fail(err, r, "rename %s to %s", tmp, path);
        }
        return 0;
}

int mkdir_parents(const char *path, mode_t mode, berth_error *err)
{
        cleanup_free char *copy = xstrdup(path);

        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s", copy);
                *p = '/';
        }
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "create %s", copy);
        return 0;
}

size_t strv_length(char *const *v)
{
        size_t n = 0;
        if (v != NULL)
                while (v[n] != NULL)
                        n++;
        return n;
}

char **strv_dup(char *const *v)
{
        size_t n = strv_length(v);
        char **d = xmalloc((n + 1) * sizeof(char *));

        for (size_t i = 0; i < n; i++)
                d[i] = xstrdup(v[i]);
        d[n] = NULL;
        return d;
}

char **strv_append(char **v, const char *s)
{
        size_t n = strv_length(v);

        v = xrealloc(v, (n + 2) * sizeof(char *));
        v[n] = xstrdup(s);
        v[n + 1] = NULL;
        return v;
}

char **strv_env_set(char **v, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t key_len = eq ? (size_t) (eq - kv) : strlen(kv);

        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                if (strncmp(v[i], kv, key_len) == 0 && (v[i][key_len] == '=' || v[i][key_len] == '\0')) {
                        free(v[i]);
                        v[i] = xstrdup(kv);
                        return v;
                }
        return strv_append(v, kv);
}

bool strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v != NULL && v[i] != NULL; i++)
                if (strcmp(v[i], s) == 0)
                        return true;
        return false;
}

int parse_u64(const char *s, uint64_t *out)
{
        char *end = NULL;
        unsigned long long v;

        if (s == NULL || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || *end != '\0')
                return -EINVAL;
        *out = v;
        return 0;
}

int parse_i64(const char *s, int64_t *out)
{
        char *end = NULL;
        long long v;

        if (s == NULL || s[0] == '\0' || isspace((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (end == s || *end != '\0')
                return -EINVAL;
        *out = v;
        return 0;
}

int parse_int(const char *s, int *out)
{
        int64_t v;
        int r = parse_i64(s, &v);

        if (r < 0)
                return r;
        if (v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        *out = (int) v;
        return 0;
}

void format_rfc3339_nano(const struct timespec *ts, char *buf, size_t size)
{
        struct tm tm;
        char date[32];

        gmtime_r(&ts->tv_sec, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%09ldZ", date, (long) ts->tv_nsec);
}

bool str_has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const struct {
        const char *name;
        int number;
} signal_table[] = {
        {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT},   {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
        {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH},
        {"IO", SIGIO},       {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int signal_parse(const char *s, int *out)
{
        int n;

        if (s == NULL || s[0] == '\0')
                return -EINVAL;
        if (isdigit((unsigned char) s[0])) {
                if (parse_int(s, &n) < 0 || n <= 0 || n > SIGRTMAX)
                        return -EINVAL;
                *out = n;
                return 0;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
                if (strcasecmp(s, signal_table[i].name) == 0) {
                        *out = signal_table[i].number;
                        return 0;
                }
        /* RTMIN+n / RTMAX-n */
        if (strncasecmp(s, "RTMIN", 5) == 0) {
                n = 0;
                if (s[5] == '+' && parse_int(s + 6, &n) < 0)
                        return -EINVAL;
                if (s[5] != '\0' && s[5] != '+')
                        return -EINVAL;
                if (SIGRTMIN + n > SIGRTMAX || n < 0)
                        return -EINVAL;
                *out = SIGRTMIN + n;
                return 0;
        }
        if (strncasecmp(s, "RTMAX", 5) == 0) {
                n = 0;
                if (s[5] == '-' && parse_int(s + 6, &n) < 0)
                        return -EINVAL;
                if (s[5] != '\0' && s[5] != '-')
                        return -EINVAL;
                if (SIGRTMAX - n < SIGRTMIN || n < 0)
                        return -EINVAL;
                *out = SIGRTMAX - n;
                return 0;
        }
        return -EINVAL;
}

const char *signal_name(int sig)
{
        for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
                if (signal_table[i].number == sig)
                        return signal_table[i].name;
        return NULL;
}

int process_stat_info(pid_t pid, char *state, uint64_t *start_time)
{
        char path[64], buf[1024];
        cleanup_close int fd = -1;
        ssize_t n;
        char *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read_all(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return (int) n;
        buf[n] = '\0';
        /* comm (field 2) may hold spaces and parentheses: count fields from the last ')'. */
        p = strrchr(buf, ')');
        if (p == NULL || p[1] != ' ')
                return -EINVAL;
        p += 2; /* field 3, the state letter */
        if (state != NULL)
                *state = *p;
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (p == NULL)
                        return -EINVAL;
                p++;
        }
        if (sscanf(p, "%" SCNu64, start_time) != 1)
                return -EINVAL;
        return 0;
}

int process_start_time(pid_t pid, uint64_t *out)
{
        return process_stat_info(pid, NULL, out);
}

DIR *opendir_at(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return NULL;
        d = fdopendir(fd);
        if (d == NULL) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return d;
}

/* docker's units.HumanDuration: "Less than a second", "3 seconds", "About a minute", ... */
void human_duration(int64_t seconds, char *buf, size_t size)
{
        int64_t minutes = seconds / 60, hours = seconds / 3600;

        if (seconds < 1)
                snprintf(buf, size, "Less than a second");
        else if (seconds == 1)
                snprintf(buf, size, "1 second");
        else if (seconds < 60)
                snprintf(buf, size, "%lld seconds", (long long) seconds);
        else if (minutes == 1)
                snprintf(buf, size, "About a minute");
        else if (minutes < 60)
                snprintf(buf, size, "%lld minutes", (long long) minutes);
        else if (hours == 1)
                snprintf(buf, size, "About an hour");
        else if (hours < 48)
                snprintf(buf, size, "%lld hours", (long long) hours);
        else if (hours < 24 * 7 * 2)
                snprintf(buf, size, "%lld days", (long long) (hours / 24));
        else if (hours < 24 * 30 * 2)
                snprintf(buf, size, "%lld weeks", (long long) (hours / 24 / 7));
        else if (hours < 24 * 365 * 2)
                snprintf(buf, size, "%lld months", (long long) (hours / 24 / 30));
        else
                snprintf(buf, size, "%lld years", (long long) (hours / 24 / 365));
}

int64_t time_parse_rfc3339(const char *s)
{
        struct tm tm = {0};
        const char *p;
        int64_t t;

        if (s == NULL || *s == '\0')
                return -1;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (p == NULL)
                return -1;
        t = (int64_t) timegm(&tm);
        if (*p == '.')
                while (isdigit((unsigned char) *++p))
                        ;
        if (*p == '+' || *p == '-') {
                int hh = 0, mm = 0;
                if (sscanf(p + 1, "%d:%d", &hh, &mm) == 2)
                        t -= (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
        }
        return t;
}

int time_parse_arg(const char *s, double *out)
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
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                *out = (double) now.tv_sec + now.tv_nsec / 1e9 - total;
                return 0;
        }
        t = time_parse_rfc3339(s);
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
