/* Small helpers shared by every layer: allocation, whole-file I/O, string vectors, numbers, time. */
#pragma once

#include <stdarg.h>
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/error.h"

/* Allocation that cannot fail: on ENOMEM the process aborts (as crun's xmalloc does). A runtime that ran
 * out of memory for a few bytes cannot report anything useful, and checking every tiny allocation would
 * bury the checks that matter. */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* write(2)/read(2) until done, retrying EINTR and short transfers. Return 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);
/* A waitpid(2) status as a shell's exit code: the code, or 128+N after signal N; 255 otherwise. */
int exit_code_of_wait_status(int status);
ssize_t read_all(int fd, void *buf, size_t len);

/* Reads a whole file (relative to dirfd, AT_FDCWD for plain paths); *out is NUL-terminated. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, berth_error *err);
/* A stream over the entries of the directory dirfd refers to (dirfd may be O_PATH), with a file offset of its
 * own: dirfd is neither moved nor closed. NULL with errno set on failure. */
DIR *opendir_at(int dirfd);
/* Reads a whole open fd from its current offset. */
int read_fd(int fd, const char *what, char **out, size_t *len, berth_error *err);

/* Writes data to an existing file (cgroup and proc knobs: no O_CREAT, no O_TRUNC). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, berth_error *err);
/* Creates or replaces a file atomically: temporary file in the same directory, fsync when asked, rename. */
int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode, bool sync,
                         berth_error *err);

/* mkdir -p of a host path (not confined to a root: for the runtime's own directories). */
int mkdir_parents(const char *path, mode_t mode, berth_error *err);

/* NULL-terminated string vectors (free with strv_free from cleanup.h). */
size_t strv_length(char *const *v);
char **strv_dup(char *const *v);
/* Appends s (copied) and returns the possibly moved vector. */
char **strv_append(char **v, const char *s);
bool strv_contains(char *const *v, const char *s);
/* An environment's KEY=VALUE: replaces the entry of that KEY if there is one, appends it otherwise. */
char **strv_env_set(char **v, const char *kv);

/* Strict decimal parsing: the whole string, no sign for unsigned, range checked. Return 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t *out);
int parse_i64(const char *s, int64_t *out);
int parse_int(const char *s, int *out);

/* "2024-01-02T03:04:05.123456789Z" */
void format_rfc3339_nano(const struct timespec *ts, char *buf, size_t size);

bool str_has_prefix(const char *s, const char *prefix);
/* docker's units.HumanDuration of a number of seconds ("Less than a second", "3 seconds", "About a minute"). */
void human_duration(int64_t seconds, char *buf, size_t size);
bool str_has_suffix(const char *s, const char *suffix);

/* Signals by name ("KILL", "SIGKILL", "sigkill") or number ("9"), as kill(1) and runc accept them. */
int signal_parse(const char *s, int *out);
const char *signal_name(int sig);

/* The start time of a process (field 22 of /proc/PID/stat, clock ticks since boot), used to tell a live
 * process from a recycled pid. Returns 0 and sets *out, or -errno (-ESRCH when the process is gone). */
int process_start_time(pid_t pid, uint64_t *out);
/* The same, with the state letter (field 3: R, S, Z, ...). */
int process_stat_info(pid_t pid, char *state, uint64_t *start_time);

/* Seconds since the epoch of an RFC 3339 time ("2024-01-01T00:00:00Z"); -1 if unparseable. */
int64_t time_parse_rfc3339(const char *s);
/* docker's time arguments (--since/--until of logs and events, prune's until filter): RFC 3339, a unix time
 * (with fraction), or a duration before now ("10m", "1h30m") -> seconds since the epoch; -EINVAL otherwise. */
int time_parse_arg(const char *s, double *out);
