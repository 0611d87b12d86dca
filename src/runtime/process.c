#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

int process_set_rlimits(const struct spec_process *p, berth_error *err)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                const struct spec_rlimit *l = &p->rlimits[i];
                struct rlimit rl = {
                        .rlim_cur = l->soft == UINT64_MAX ? RLIM_INFINITY : l->soft,
                        .rlim_max = l->hard == UINT64_MAX ? RLIM_INFINITY : l->hard,
                };
                /* The spec leaves no room here: a limit that cannot be set is an error, not a warning. */
                if (setrlimit(l->resource, &rl) < 0)
                        return berth_fail(err, errno, "process.rlimits: set %s to soft %llu hard %llu", l->name,
                                          (unsigned long long) l->soft, (unsigned long long) l->hard);
        }
        return 0;
}

int process_set_oom_score_adj(const struct spec_process *p, berth_error *err)
{
        char buf[16];
        int len;

        if (!p->has_oom_score_adj)
                return 0;
        len = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        if (write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t) len, err) < 0)
                return berth_error_prefix(err, "process.oomScoreAdj: ");
        return 0;
}

int process_set_personality(const struct spec_linux *lx, berth_error *err)
{
        if (!lx->has_personality)
                return 0;
        if (personality(lx->personality) < 0)
                return berth_fail(err, errno, "linux.personality: set %#lx", lx->personality);
        return 0;
}

int process_set_hostname(const struct runtime_spec *spec, berth_error *err)
{
        if (spec->hostname != NULL && spec->hostname[0] != '\0' &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                return berth_fail(err, errno, "hostname: set \"%s\"", spec->hostname);
        if (spec->domainname != NULL && spec->domainname[0] != '\0' &&
            setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                return berth_fail(err, errno, "domainname: set \"%s\"", spec->domainname);
        return 0;
}

/* linux sched_attr (sched_setattr(2)); glibc has no wrapper. */
struct sched_attr_v1 {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

int process_set_scheduler(const struct spec_process *p, berth_error *err)
{
        static const struct {
                const char *name;
                uint32_t value;
        } policies[] = {{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
                        {"SCHED_BATCH", 3}, {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};
        static const struct {
                const char *name;
                uint64_t value;
        } flag_names[] = {{"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
                          {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
                          {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
                          {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
        struct sched_attr_v1 attr = {.size = sizeof(attr)};
        const char *policy = NULL;
        json_t *flags = NULL, *item;
        bool found = false;
        size_t i;
        int r;

        if (p->scheduler == NULL)
                return 0;
        if ((r = json_field_string(p->scheduler, "process.scheduler", "policy", true, &policy, err)) < 0 ||
            (r = json_field_int(p->scheduler, "process.scheduler", "nice", false, &attr.sched_nice, err)) < 0 ||
            (r = json_field_u32(p->scheduler, "process.scheduler", "priority", false, &attr.sched_priority, err)) < 0 ||
            (r = json_field_u64(p->scheduler, "process.scheduler", "runtime", false, &attr.sched_runtime, err)) < 0 ||
            (r = json_field_u64(p->scheduler, "process.scheduler", "deadline", false, &attr.sched_deadline, err)) < 0 ||
            (r = json_field_u64(p->scheduler, "process.scheduler", "period", false, &attr.sched_period, err)) < 0 ||
            (r = json_field_array(p->scheduler, "process.scheduler", "flags", false, &flags, err)) < 0)
                return r;
        for (i = 0; i < ARRAY_SIZE(policies); i++)
                if (strcmp(policy, policies[i].name) == 0) {
                        attr.sched_policy = policies[i].value;
                        found = true;
                }
        if (!found)
                return berth_failf(err, EINVAL, "process.scheduler.policy: unknown policy \"%s\"", policy);
        json_array_foreach (flags, i, item) {
                bool known = false;
                for (size_t k = 0; k < ARRAY_SIZE(flag_names) && json_is_string(item); k++)
                        if (strcmp(json_string_value(item), flag_names[k].name) == 0) {
                                attr.sched_flags |= flag_names[k].value;
                                known = true;
                        }
                if (!known)
                        return berth_failf(err, EINVAL, "process.scheduler.flags[%zu]: unknown flag", i);
        }
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                return berth_fail(err, errno, "process.scheduler: sched_setattr(%s)", policy);
        return 0;
}

int process_set_io_priority(const struct spec_process *p, berth_error *err)
{
        const char *class_name = NULL;
        int priority = 0, class_value, r;

        if (p->io_priority == NULL)
                return 0;
        if ((r = json_field_string(p->io_priority, "process.ioPriority", "class", true, &class_name, err)) < 0 ||
            (r = json_field_int(p->io_priority, "process.ioPriority", "priority", false, &priority, err)) < 0)
                return r;
        if (strcmp(class_name, "IOPRIO_CLASS_RT") == 0)
                class_value = 1;
        else if (strcmp(class_name, "IOPRIO_CLASS_BE") == 0)
                class_value = 2;
        else if (strcmp(class_name, "IOPRIO_CLASS_IDLE") == 0)
                class_value = 3;
        else
                return berth_failf(err, EINVAL, "process.ioPriority.class: unknown class \"%s\"", class_name);
        if (priority < 0 || priority > 7)
                return berth_failf(err, EINVAL, "process.ioPriority.priority: %d is outside 0..7", priority);
        /* ioprio_set(IOPRIO_WHO_PROCESS, self, class << 13 | data) */
        if (syscall(SYS_ioprio_set, 1, 0, (class_value << 13) | priority) < 0)
                return berth_fail(err, errno, "process.ioPriority: ioprio_set(%s, %d)", class_name, priority);
        return 0;
}

/* "0-3,7" -> cpu_set_t */
static int parse_cpu_list(const char *list, cpu_set_t *set)
{
        cleanup_free char *copy = xstrdup(list);
        char *save = NULL;

        CPU_ZERO(set);
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *dash = strchr(tok, '-');
                int lo, hi;
                if (dash) {
                        *dash = '\0';
                        if (parse_int(tok, &lo) < 0 || parse_int(dash + 1, &hi) < 0)
                                return -EINVAL;
                } else {
                        if (parse_int(tok, &lo) < 0)
                                return -EINVAL;
                        hi = lo;
                }
                if (lo < 0 || hi < lo || hi >= CPU_SETSIZE)
                        return -EINVAL;
                for (int c = lo; c <= hi; c++)
                        CPU_SET(c, set);
        }
        return 0;
}

int process_set_cpu_affinity(const struct spec_process *p, const char *which, berth_error *err)
{
        const char *list = NULL;
        cpu_set_t set;
        int r;

        if (p->exec_cpu_affinity == NULL)
                return 0;
        if ((r = json_field_string(p->exec_cpu_affinity, "process.execCPUAffinity", which, false, &list, err)) < 0)
                return r;
        if (list == NULL || list[0] == '\0')
                return 0;
        if (parse_cpu_list(list, &set) < 0)
                return berth_failf(err, EINVAL, "process.execCPUAffinity.%s: \"%s\" is not a CPU list", which, list);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                return berth_fail(err, errno, "process.execCPUAffinity.%s: set %s", which, list);
        return 0;
}

int process_join_session_keyring(const char *id, berth_error *err)
{
        /* KEYCTL_JOIN_SESSION_KEYRING = 1: a keyring of its own, so containers don't share the host's. */
        long key = syscall(SYS_keyctl, 1, id);

        if (key < 0) {
                /* Kernels without keyrings, or seccomp'd hosts: runc carries on, and so do we. */
                if (errno == ENOSYS || errno == EACCES || errno == EPERM)
                        return 0;
                return berth_fail(err, errno, "create session keyring for %s", id);
        }
        /* KEYCTL_SETPERM = 5: possessor all, user view/read/write/search/link, as runc sets it. */
        if (syscall(SYS_keyctl, 5, key, 0x3f1f0000) < 0 && errno != EACCES)
                return berth_fail(err, errno, "set permissions of the session keyring");
        return 0;
}

bool process_setgroups_allowed(void)
{
        char buf[16] = {0};
        cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return true;
        if (read(fd, buf, sizeof(buf) - 1) <= 0)
                return true;
        return strncmp(buf, "deny", 4) != 0;
}

bool process_keep_original_groups(const struct runtime_spec *spec)
{
        const char *value = spec_annotation(spec, "run.oci.keep_original_groups");

        return value != NULL && strcmp(value, "1") == 0;
}

int process_switch_user(const struct spec_process *p, bool setgroups_allowed, bool keep_groups, berth_error *err)
{
        const struct spec_user *u = &p->user;

        if (keep_groups) {
                /* crun's annotation: the caller's supplementary groups stay (additionalGids are not added). */
        } else if (setgroups_allowed) {
                if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
                        return berth_fail(err, errno, "process.user.additionalGids: setgroups");
        } else if (u->n_additional_gids > 0) {
                return berth_failf(err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
        }
        if (setresgid(u->gid, u->gid, u->gid) < 0)
                return berth_fail(err, errno, "process.user.gid: setresgid(%u)", u->gid);
        if (setresuid(u->uid, u->uid, u->uid) < 0)
                return berth_fail(err, errno, "process.user.uid: setresuid(%u)", u->uid);
        umask(u->has_umask ? (mode_t) u->umask : 0022);
        return 0;
}

static int write_exec_label(const char *lsm_path, const char *fallback_path, const char *value, berth_error *err)
{
        int r = write_file_at(AT_FDCWD, lsm_path, value, strlen(value), NULL);

        if (r == -ENOENT && fallback_path != NULL)
                r = write_file_at(AT_FDCWD, fallback_path, value, strlen(value), NULL);
        if (r < 0)
                return berth_fail(err, -r, "write \"%s\" to %s", value, lsm_path);
        return 0;
}

int process_set_exec_labels(const struct spec_process *p, berth_error *err)
{
        struct stat st;

        if (p->apparmor_profile != NULL && p->apparmor_profile[0] != '\0') {
                cleanup_free char *value = xasprintf("exec %s", p->apparmor_profile);
                if (stat("/sys/kernel/security/apparmor", &st) < 0)
                        return berth_failf(err, ENOTSUP,
                                           "process.apparmorProfile: \"%s\" is set but AppArmor is not enabled on this host",
                                           p->apparmor_profile);
                if (write_exec_label("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec", value, err) < 0)
                        return berth_error_prefix(err, "process.apparmorProfile: ");
        }
        if (p->selinux_label != NULL && p->selinux_label[0] != '\0') {
                /* Like runc: without SELinux on the host a label has nothing to apply to and is ignored. */
                if (stat("/sys/fs/selinux/enforce", &st) == 0 &&
                    write_exec_label("/proc/self/attr/exec", NULL, p->selinux_label, err) < 0)
                        return berth_error_prefix(err, "process.selinuxLabel: ");
        }
        return 0;
}

static const char *env_get(char *const *env, const char *name)
{
        size_t len = strlen(name);

        for (size_t i = 0; env != NULL && env[i] != NULL; i++)
                if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
                        return env[i] + len + 1;
        return NULL;
}

static int check_executable(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EACCES;
        if (access(path, X_OK) < 0)
                return -errno;
        return 0;
}

int process_find_executable(const struct spec_process *p, char **out, berth_error *err)
{
        const char *name = p->args[0];
        const char *path_env;
        cleanup_free char *paths = NULL;
        char *save = NULL;
        int r, last_error = -ENOENT;

        if (name[0] == '\0')
                return berth_failf(err, ENOENT, "exec: \"\": executable file not found in $PATH");
        if (strchr(name, '/') != NULL) {
                r = check_executable(name);
                if (r < 0)
                        return berth_fail(err, -r, "exec: \"%s\"", name);
                *out = xstrdup(name);
                return 0;
        }
        path_env = env_get(p->env, "PATH");
        paths = xstrdup(path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (char *dir = strtok_r(paths, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                cleanup_free char *candidate = xasprintf("%s/%s", dir[0] ? dir : ".", name);
                r = check_executable(candidate);
                if (r == 0) {
                        *out = steal_pointer(&candidate);
                        return 0;
                }
                if (r == -EACCES)
                        last_error = r;
        }
        if (last_error == -EACCES)
                return berth_fail(err, EACCES, "exec: \"%s\"", name);
        return berth_failf(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

static bool fd_kept(int fd, const int *keep, size_t n_keep)
{
        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] == fd)
                        return true;
        return false;
}

static int for_each_fd_from(int from, const int *keep, size_t n_keep, bool close_them, berth_error *err)
{
        /* Ranges between the kept fds, in one close_range(2) call each: no /proc walk needed. */
        int sorted[16], n = 0;
        unsigned flags = close_them ? 0 : CLOSE_RANGE_CLOEXEC;
        unsigned lo = (unsigned) from;

        for (size_t i = 0; i < n_keep && n < (int) ARRAY_SIZE(sorted); i++)
                if (keep[i] >= from && !fd_kept(keep[i], sorted, (size_t) n))
                        sorted[n++] = keep[i];
        for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                        int t = sorted[j];
                        sorted[j] = sorted[j - 1];
                        sorted[j - 1] = t;
                }
        for (int i = 0; i <= n; i++) {
                unsigned hi = i < n ? (unsigned) sorted[i] - 1 : ~0u;
                if (i < n && (unsigned) sorted[i] < lo) {
                        continue;
                }
                if (i < n && (unsigned) sorted[i] == lo) {
                        lo++;
                        continue;
                }
                if (close_range(lo, hi, flags) < 0)
                        return berth_fail(err, errno, "close_range(%u, %u)", lo, hi);
                if (i < n)
                        lo = (unsigned) sorted[i] + 1;
        }
        return 0;
}

int process_cloexec_fds_from(int from, const int *keep, size_t n_keep, berth_error *err)
{
        return for_each_fd_from(from, keep, n_keep, false, err);
}

int process_close_fds_from(int from, const int *keep, size_t n_keep, berth_error *err)
{
        return for_each_fd_from(from, keep, n_keep, true, err);
}

int process_reserve_fd_range(int preserve_fds, int **out, berth_error *err)
{
        int *held = NULL;
        size_t n = 0;

        *out = NULL;
        if (preserve_fds <= 0)
                return 0;
        for (;;) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        int e = errno;
                        held = xrealloc(held, (n + 1) * sizeof(int));
                        held[n] = -1;
                        process_release_fd_range(held);
                        return berth_fail(err, e, "--preserve-fds: reserve fds 3..%d", 2 + preserve_fds);
                }
                if (fd >= 3 + preserve_fds) {
                        close(fd);
                        break;
                }
                held = xrealloc(held, (n + 2) * sizeof(int));
                held[n++] = fd;
        }
        if (held != NULL)
                held[n] = -1;
        *out = held;
        return 0;
}

void process_release_fd_range(int *placeholders)
{
        for (size_t i = 0; placeholders != NULL && placeholders[i] >= 0; i++)
                close(placeholders[i]);
        free(placeholders);
}

/* The home directory of uid in the passwd file at fd, or NULL. */
static char *passwd_home(int fd, uid_t uid)
{
        cleanup_fclose FILE *f = fdopen(fd, "r");
        char line[4096];

        if (f == NULL) {
                close(fd);
                return NULL;
        }
        while (fgets(line, sizeof(line), f) != NULL) {
                char *fields[7] = {0}, *p = line;
                uint64_t value;
                size_t n = 0;

                line[strcspn(line, "\n")] = '\0';
                /* strsep, not strtok: empty fields (no password) count. */
                while (n < ARRAY_SIZE(fields) && (fields[n] = strsep(&p, ":")) != NULL)
                        n++;
                if (n < 6 || parse_u64(fields[2], &value) < 0 || value != uid)
                        continue;
                return xstrdup(fields[5][0] != '\0' ? fields[5] : "/");
        }
        return NULL;
}

char **process_env_with_home(char *const *env, uid_t uid)
{
        char **out = strv_dup(env);
        cleanup_free char *home = NULL, *entry = NULL;
        struct stat st;
        int fd;

        if (env_get(env, "HOME") != NULL)
                return out;
        /* O_NONBLOCK and a regular-file check: an image's /etc/passwd could be a fifo or a device. */
        fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                close(fd);
                fd = -1;
        }
        if (fd >= 0)
                home = passwd_home(fd, uid);
        entry = xasprintf("HOME=%s", home ? home : "/");
        return strv_append(out, entry);
}
