/* The seccomp profile `berth-runtime spec` writes: the same filter Docker applies by default (moby
 * profiles/seccomp/default.json), resolved the way dockerd resolves it for one container: the rules whose
 * "includes"/"excludes" match the container's capabilities, the native architecture and the running
 * kernel are kept, the others dropped, and "architectures" is the native entry of Docker's arch map.
 *
 * Shape of Docker's profile: the default is ERRNO(EPERM); a large allowlist of harmless syscalls; socket()
 * for every family but AF_VSOCK; personality() only for the five personas programs actually ask for; the
 * namespace/mount/module/clock/... syscalls only with the capability that makes them meaningful (without
 * CAP_SYS_ADMIN, clone() may not create namespaces and clone3() answers ENOSYS so that libc falls back to
 * clone(), whose flags the filter can see). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "lib/cleanup.h"
#include "runtime/seccomp_profile.h"
#include "lib/util.h"

/* Capability numbers (linux/capability.h); the conditions below test bits of this set. */
enum {
        DCAP_CHOWN = 0,
        DCAP_DAC_OVERRIDE = 1,
        DCAP_DAC_READ_SEARCH = 2,
        DCAP_FOWNER = 3,
        DCAP_FSETID = 4,
        DCAP_KILL = 5,
        DCAP_SETGID = 6,
        DCAP_SETUID = 7,
        DCAP_SETPCAP = 8,
        DCAP_NET_BIND_SERVICE = 10,
        DCAP_NET_RAW = 13,
        DCAP_SYS_MODULE = 16,
        DCAP_SYS_RAWIO = 17,
        DCAP_SYS_CHROOT = 18,
        DCAP_SYS_PTRACE = 19,
        DCAP_SYS_PACCT = 20,
        DCAP_SYS_ADMIN = 21,
        DCAP_SYS_BOOT = 22,
        DCAP_SYS_NICE = 23,
        DCAP_SYS_TIME = 25,
        DCAP_SYS_TTY_CONFIG = 26,
        DCAP_MKNOD = 27,
        DCAP_AUDIT_WRITE = 29,
        DCAP_SETFCAP = 31,
        DCAP_SYSLOG = 34,
        DCAP_PERFMON = 38,
        DCAP_BPF = 39,
};
#define CAPBIT(c) (UINT64_C(1) << (c))

/* The capabilities of `spec`'s default process (runc's and Docker's default set). */
#define SPEC_DEFAULT_CAPS                                                                                      \
        (CAPBIT(DCAP_CHOWN) | CAPBIT(DCAP_DAC_OVERRIDE) | CAPBIT(DCAP_FSETID) | CAPBIT(DCAP_FOWNER) |          \
         CAPBIT(DCAP_MKNOD) | CAPBIT(DCAP_NET_RAW) | CAPBIT(DCAP_SETGID) | CAPBIT(DCAP_SETUID) |               \
         CAPBIT(DCAP_SETFCAP) | CAPBIT(DCAP_SETPCAP) | CAPBIT(DCAP_NET_BIND_SERVICE) | CAPBIT(DCAP_SYS_CHROOT) | \
         CAPBIT(DCAP_KILL) | CAPBIT(DCAP_AUDIT_WRITE))

/* Docker names architectures as Go does (runtime.GOARCH) in "includes"/"excludes". */
#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE_GOARCH "x32"
#elif defined(__x86_64__)
#define NATIVE_GOARCH "amd64"
#elif defined(__i386__)
#define NATIVE_GOARCH "386"
#elif defined(__aarch64__)
#define NATIVE_GOARCH "arm64"
#elif defined(__arm__)
#define NATIVE_GOARCH "arm"
#elif defined(__s390x__)
#define NATIVE_GOARCH "s390x"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_GOARCH "ppc64le"
#elif defined(__powerpc64__)
#define NATIVE_GOARCH "ppc64"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_GOARCH "riscv64"
#elif defined(__mips__) && defined(_ABI64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_GOARCH "mips64le"
#elif defined(__mips__) && defined(_ABI64)
#define NATIVE_GOARCH "mips64"
#else
#define NATIVE_GOARCH "unknown"
#endif

/* Docker's arch map: the native architecture and the ones its binaries may also use. */
static const char *const *native_architectures(void)
{
#if defined(__x86_64__)
        static const char *const archs[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
#elif defined(__aarch64__)
        static const char *const archs[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
#elif defined(__s390x__)
        static const char *const archs[] = {"SCMP_ARCH_S390X", "SCMP_ARCH_S390", NULL};
#elif defined(__riscv) && __riscv_xlen == 64
        static const char *const archs[] = {"SCMP_ARCH_RISCV64", NULL};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        static const char *const archs[] = {"SCMP_ARCH_PPC64LE", NULL};
#elif defined(__mips__) && defined(_ABI64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        static const char *const archs[] = {"SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32", NULL};
#elif defined(__mips__) && defined(_ABI64)
        static const char *const archs[] = {"SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32", NULL};
#else
        static const char *const archs[] = {NULL}; /* libseccomp adds the native one by itself */
#endif
        return archs;
}

struct profile_arg {
        unsigned int index;
        uint64_t value;
        uint64_t value_two;
        const char *op;
};

struct profile_rule {
        const char *const *names; /* NULL-terminated */
        const char *action;       /* NULL: SCMP_ACT_ALLOW */
        int errno_ret;            /* < 0: none */
        struct profile_arg arg;   /* Docker's conditional rules test one argument; op NULL: none */
        uint64_t caps_include;    /* kept only if the container has one of these (0: no condition) */
        uint64_t caps_exclude;    /* dropped if the container has one of these */
        const char *const *arches_include; /* kept only on these Go architectures (NULL: any) */
        const char *const *arches_exclude;
        int min_kernel_major, min_kernel_minor; /* kept only on this kernel or newer (0: any) */
};

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The allowlist every container gets. */
static const char *const always_allowed[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
        "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
        "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
        "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
        "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
        "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
        "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
        "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
        "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
        "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
        "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore",
        "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
        "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
        "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat",
        "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
        "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
        "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
        "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
        "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
        "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
        "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
        "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
        "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
        "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
        "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
        "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
        "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
        "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
        "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev", NULL,
};

/* clone()'s namespace flags: CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
 * CLONE_NEWPID | CLONE_NEWNET = 0x7e020000. (flags & mask) == 0: no namespace is created. */
#define CLONE_NAMESPACE_FLAGS UINT64_C(0x7e020000)

static const struct profile_rule docker_rules[] = {
        {.names = always_allowed},
        /* Before 4.8, ptrace could be used to bypass seccomp. */
        {.names = NAMES("process_vm_readv", "process_vm_writev", "ptrace"), .min_kernel_major = 4,
         .min_kernel_minor = 8},
        /* AF_VSOCK (40) reaches the host's vsock services. */
        {.names = NAMES("socket"), .arg = {0, 40, 0, "SCMP_CMP_NE"}},
        /* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (the query). */
        {.names = NAMES("personality"), .arg = {0, 0x0, 0, "SCMP_CMP_EQ"}},
        {.names = NAMES("personality"), .arg = {0, 0x8, 0, "SCMP_CMP_EQ"}},
        {.names = NAMES("personality"), .arg = {0, 0x20000, 0, "SCMP_CMP_EQ"}},
        {.names = NAMES("personality"), .arg = {0, 0x20008, 0, "SCMP_CMP_EQ"}},
        {.names = NAMES("personality"), .arg = {0, 0xffffffff, 0, "SCMP_CMP_EQ"}},
        {.names = NAMES("sync_file_range2", "swapcontext"), .arches_include = NAMES("ppc64le")},
        {.names = NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
                        "set_tls"),
         .arches_include = NAMES("arm", "arm64")},
        {.names = NAMES("arch_prctl"), .arches_include = NAMES("amd64", "x32")},
        {.names = NAMES("modify_ldt"), .arches_include = NAMES("amd64", "x32", "x86")},
        {.names = NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
         .arches_include = NAMES("s390", "s390x")},
        {.names = NAMES("riscv_flush_icache"), .arches_include = NAMES("riscv64")},
        {.names = NAMES("open_by_handle_at"), .caps_include = CAPBIT(DCAP_DAC_READ_SEARCH)},
        {.names = NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                        "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                        "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
                        "umount2", "unshare"),
         .caps_include = CAPBIT(DCAP_SYS_ADMIN)},
        {.names = NAMES("clone"), .arg = {0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
         .caps_exclude = CAPBIT(DCAP_SYS_ADMIN), .arches_exclude = NAMES("s390", "s390x")},
        /* s390 passes clone()'s flags second. */
        {.names = NAMES("clone"), .arg = {1, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
         .caps_exclude = CAPBIT(DCAP_SYS_ADMIN), .arches_include = NAMES("s390", "s390x")},
        /* clone3() passes its flags in memory, out of the filter's sight: ENOSYS makes libc use clone(). */
        {.names = NAMES("clone3"), .action = "SCMP_ACT_ERRNO", .errno_ret = ENOSYS,
         .caps_exclude = CAPBIT(DCAP_SYS_ADMIN)},
        {.names = NAMES("reboot"), .caps_include = CAPBIT(DCAP_SYS_BOOT)},
        {.names = NAMES("chroot"), .caps_include = CAPBIT(DCAP_SYS_CHROOT)},
        {.names = NAMES("delete_module", "init_module", "finit_module"), .caps_include = CAPBIT(DCAP_SYS_MODULE)},
        {.names = NAMES("acct"), .caps_include = CAPBIT(DCAP_SYS_PACCT)},
        {.names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
                        "ptrace"),
         .caps_include = CAPBIT(DCAP_SYS_PTRACE)},
        {.names = NAMES("iopl", "ioperm"), .caps_include = CAPBIT(DCAP_SYS_RAWIO)},
        {.names = NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"),
         .caps_include = CAPBIT(DCAP_SYS_TIME)},
        {.names = NAMES("vhangup"), .caps_include = CAPBIT(DCAP_SYS_TTY_CONFIG)},
        {.names = NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
         .caps_include = CAPBIT(DCAP_SYS_NICE)},
        {.names = NAMES("syslog"), .caps_include = CAPBIT(DCAP_SYSLOG)},
        {.names = NAMES("bpf"), .caps_include = CAPBIT(DCAP_BPF)},
        {.names = NAMES("perf_event_open"), .caps_include = CAPBIT(DCAP_PERFMON)},
};

static bool arch_listed(const char *const *arches)
{
        for (; *arches != NULL; arches++)
                if (strcmp(*arches, NATIVE_GOARCH) == 0)
                        return true;
        return false;
}

/* Docker's test: the running kernel's major.minor against the rule's minimum. */
static bool kernel_at_least(int major, int minor)
{
        struct utsname u;
        int have_major = 0, have_minor = 0;

        if (major == 0 || uname(&u) < 0 || sscanf(u.release, "%d.%d", &have_major, &have_minor) != 2)
                return true;
        return have_major > major || (have_major == major && have_minor >= minor);
}

static bool rule_applies(const struct profile_rule *r, uint64_t caps)
{
        if (r->caps_include != 0 && (caps & r->caps_include) == 0)
                return false;
        if ((caps & r->caps_exclude) != 0)
                return false;
        if (r->arches_include != NULL && !arch_listed(r->arches_include))
                return false;
        if (r->arches_exclude != NULL && arch_listed(r->arches_exclude))
                return false;
        return kernel_at_least(r->min_kernel_major, r->min_kernel_minor);
}

static json_t *strings(const char *const *v)
{
        json_t *a = json_array();

        for (; *v != NULL; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *rule_json(const struct profile_rule *r)
{
        json_t *rule = json_object();

        json_object_set_new(rule, "names", strings(r->names));
        json_object_set_new(rule, "action", json_string(r->action != NULL ? r->action : "SCMP_ACT_ALLOW"));
        if (r->action != NULL && r->errno_ret > 0)
                json_object_set_new(rule, "errnoRet", json_integer(r->errno_ret));
        if (r->arg.op != NULL) {
                json_t *arg = json_pack("{s:i, s:I, s:I, s:s}", "index", (int) r->arg.index, "value",
                                        (json_int_t) r->arg.value, "valueTwo", (json_int_t) r->arg.value_two,
                                        "op", r->arg.op);
                json_object_set_new(rule, "args", json_pack("[o]", arg));
        }
        return rule;
}

json_t *seccomp_docker_profile(uint64_t capabilities)
{
        json_t *profile = json_object(), *syscalls = json_array();

        json_object_set_new(profile, "defaultAction", json_string("SCMP_ACT_ERRNO"));
        json_object_set_new(profile, "defaultErrnoRet", json_integer(EPERM));
        json_object_set_new(profile, "architectures", strings(native_architectures()));
        for (size_t i = 0; i < ARRAY_SIZE(docker_rules); i++)
                if (rule_applies(&docker_rules[i], capabilities))
                        json_array_append_new(syscalls, rule_json(&docker_rules[i]));
        json_object_set_new(profile, "syscalls", syscalls);
        return profile;
}

json_t *seccomp_default_profile(void)
{
        return seccomp_docker_profile(SPEC_DEFAULT_CAPS);
}
