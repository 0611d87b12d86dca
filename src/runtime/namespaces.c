#include "runtime/namespaces.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

int namespaces_new_clone_flags(const struct spec_linux *lx)
{
        int flags = 0;

        for (int t = 0; t < NS_COUNT; t++) {
                if (!lx->namespaces[t].present || lx->namespaces[t].path != NULL)
                        continue;
                if (t == NS_CGROUP || t == NS_TIME)
                        continue;
                flags |= spec_namespace_clone_flag(t);
        }
        return flags;
}

bool namespaces_single_clone(const struct spec_linux *lx)
{
        bool new_user = lx->namespaces[NS_USER].present && lx->namespaces[NS_USER].path == NULL;
        bool joined_user = lx->namespaces[NS_USER].path != NULL;

        if (lx->namespaces[NS_TIME].present && lx->namespaces[NS_TIME].path == NULL && lx->namespaces[NS_USER].present)
                return false;
        if (joined_user)
                return false;
        if (new_user)
                for (int t = 0; t < NS_COUNT; t++)
                        if (t != NS_USER && lx->namespaces[t].path != NULL)
                                return false;
        return true;
}

int namespaces_join_one(enum spec_namespace_type type, const char *path, berth_error *err)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return berth_fail(err, errno, "open %s namespace %s", spec_namespace_name(type), path);
        if (setns(fd, spec_namespace_clone_flag(type)) < 0) {
                if (errno == EINVAL)
                        return berth_failf(err, EINVAL, "join %s namespace %s: not a %s namespace (or not joinable)",
                                           spec_namespace_name(type), path, spec_namespace_name(type));
                return berth_fail(err, errno, "join %s namespace %s", spec_namespace_name(type), path);
        }
        return 0;
}

int namespaces_join_paths(const struct spec_linux *lx, unsigned skip, bool include_user, berth_error *err)
{
        /* Order: everything but the user namespace first, while we still hold the host's capabilities over
         * namespaces it owns; the user namespace last. */
        static const enum spec_namespace_type order[] = {NS_IPC, NS_UTS, NS_NETWORK, NS_PID,  NS_CGROUP,
                                                         NS_TIME, NS_MOUNT, NS_USER};
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                enum spec_namespace_type t = order[i];
                if (lx->namespaces[t].path == NULL || (skip & (1u << t)))
                        continue;
                if (t == NS_USER && !include_user)
                        continue;
                if ((r = namespaces_join_one(t, lx->namespaces[t].path, err)) < 0)
                        return r;
        }
        return 0;
}

int namespaces_write_time_offsets(const struct spec_linux *lx, berth_error *err)
{
        char buf[128];
        int len = 0;

        if (lx->time_monotonic.present)
                len += snprintf(buf + len, sizeof(buf) - (size_t) len, "monotonic %lld %u\n",
                                (long long) lx->time_monotonic.secs, lx->time_monotonic.nanosecs);
        if (lx->time_boottime.present)
                len += snprintf(buf + len, sizeof(buf) - (size_t) len, "boottime %lld %u\n",
                                (long long) lx->time_boottime.secs, lx->time_boottime.nanosecs);
        if (len == 0)
                return 0;
        /* One clock per write: the kernel parses a single line per write(2) call on older versions. */
        for (char *line = buf; *line;) {
                char *nl = strchr(line, '\n');
                size_t n = (size_t) (nl - line + 1);
                int r = write_file_at(AT_FDCWD, "/proc/self/timens_offsets", line, n, err);
                if (r < 0)
                        return berth_error_prefix(err, "linux.timeOffsets: ");
                line += n;
        }
        return 0;
}

pid_t namespaces_clone(int flags, int cgroup_fd, bool *placed, berth_error *err)
{
        struct clone_args args = {
                .flags = (uint64_t) flags,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;

        *placed = false;
        /* Fork semantics (no new stack): the child continues in a copy of our memory. The raw syscall, not
         * glibc's fork(): no atfork handlers, and the flags go through. */
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) cgroup_fd;
        }
        pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
                cgroup_fd = -1;
                pid = (pid_t) syscall(SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
        }
        if (pid < 0)
                return berth_fail(err, errno, "clone (flags %#x)", flags);
        *placed = cgroup_fd >= 0;
        return pid;
}

int namespaces_enter_pid_for_children(int fd, int *saved, berth_error *err)
{
        *saved = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (*saved < 0)
                return berth_fail(err, errno, "open /proc/self/ns/pid");
        if (setns(fd, CLONE_NEWPID) < 0) {
                int e = errno;
                close(*saved);
                *saved = -1;
                return berth_fail(err, e, "join the container's pid namespace");
        }
        return 0;
}

int namespaces_enter_time_for_children(const struct spec_linux *lx, int *saved, berth_error *err)
{
        int r;

        *saved = -1;
        if (!lx->namespaces[NS_TIME].present || lx->namespaces[NS_TIME].path != NULL)
                return 0;
        *saved = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
        if (*saved < 0)
                return berth_fail(err, errno, "open /proc/self/ns/time");
        if (unshare(CLONE_NEWTIME) < 0)
                r = berth_fail(err, errno, "unshare the time namespace");
        else if ((r = namespaces_write_time_offsets(lx, err)) == 0)
                return 0;
        namespaces_leave_time_for_children(saved, NULL);
        return r;
}

int namespaces_leave_time_for_children(int *saved, berth_error *err)
{
        int r = 0;

        if (*saved < 0)
                return 0;
        /* setns to our own time namespace makes it our children's again. */
        if (setns(*saved, CLONE_NEWTIME) < 0 && err != NULL)
                r = berth_fail(err, errno, "return to the runtime's time namespace");
        close(*saved);
        *saved = -1;
        return r;
}

int namespaces_leave_pid_for_children(int *saved, berth_error *err)
{
        int r = 0;

        if (*saved < 0)
                return 0;
        if (setns(*saved, CLONE_NEWPID) < 0)
                r = berth_fail(err, errno, "return to the runtime's pid namespace");
        close(*saved);
        *saved = -1;
        return r;
}
