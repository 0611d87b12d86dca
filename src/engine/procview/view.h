/* berth-procview's view of a container: its cgroup figures (cgview.c) and the /proc and /sys files made from
 * them (files.c). Pure functions of the host's files and the reader's cgroup, so that a worker that was
 * restarted computes the same contents (docs/proc.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

/* The files served, in the order of their inode numbers (FUSE nodeid = index + 2; 1 is the root). */
enum procview_file {
        PROCVIEW_MEMINFO,
        PROCVIEW_CPUINFO,
        PROCVIEW_STAT,
        PROCVIEW_LOADAVG,
        PROCVIEW_UPTIME,
        PROCVIEW_DISKSTATS,
        PROCVIEW_SWAPS,
        PROCVIEW_CPU_ONLINE,
        PROCVIEW_NFILES,
};
/* The file's name in the FUSE directory, and the path it is bind-mounted over in the container. */
extern const char *const procview_file_names[PROCVIEW_NFILES];
extern const char *const procview_file_targets[PROCVIEW_NFILES];
/* The kernel's file with the host's figures. */
extern const char *const procview_host_files[PROCVIEW_NFILES];

#define PROCVIEW_MAX_CPUS 4096

/* Where each controller of a process's cgroup is, on this host's layout (v1, v2 or hybrid). An empty path:
 * the controller is not mounted. v1[] true: the controller's files are v1's. */
enum { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_CPUSET, CG_BLKIO, CG_NCONTROLLERS };
struct procview_cgroup {
        char dir[CG_NCONTROLLERS][4096];
        char root[CG_NCONTROLLERS][4096]; /* the hierarchy's mount point (the walk up stops there) */
        bool v1[CG_NCONTROLLERS];
};

/* The host's cgroup mounts, read once from /proc/self/mountinfo. */
struct procview_mounts {
        char v1_mount[CG_NCONTROLLERS][4096], v1_root[CG_NCONTROLLERS][4096];
        char v2_mount[4096], v2_root[4096];
};
int procview_mounts_read(struct procview_mounts *m, berth_error *err);
/* The cgroup of process pid (from /proc/PID/cgroup). */
int procview_cgroup_of(const struct procview_mounts *m, pid_t pid, struct procview_cgroup *cg, berth_error *err);

/* The figures the files are made of. limits: 0 or UINT64_MAX when there is none. */
struct procview_figures {
        uint64_t mem_limit, mem_usage, swap_limit, swap_usage;
        /* memory.stat, v2 names (v1's total_* mapped onto them) */
        uint64_t anon, file, shmem, active_anon, inactive_anon, active_file, inactive_file, unevictable;
        uint64_t file_mapped, file_dirty, file_writeback, slab_reclaimable, slab_unreclaimable;
        uint64_t cpu_usage_ns;      /* cpuacct.usage / cpu.stat usage_usec */
        int64_t quota, period;      /* cpu.max / cfs_quota_us; quota < 0: none */
        int ncpus_allowed;          /* CPUs of the cpuset */
        int cpus[PROCVIEW_MAX_CPUS]; /* the CPUs the container sees, lowest first, its count in ncpus */
        int ncpus;
        int host_cpus;              /* CPUs online on the host */
        bool cpu_limited;           /* ncpus < host_cpus */
};
/* Which figures to read (a file reads only those it shows: each is a few cgroup files). */
enum { PROCVIEW_FIG_MEMORY = 1, PROCVIEW_FIG_CPU = 2 };
int procview_figures_read(const struct procview_cgroup *cg, unsigned which, struct procview_figures *f, berth_error *err);
/* ceil(quota / period), at least 1: docs/proc.md says why (lxcfs#600). */
int procview_cpus_for_quota(int64_t quota, int64_t period);

/* Load average state of one cgroup: exponentially decayed counts of its runnable tasks, updated at each read.
 * key: a hash of the cgroup's directory (0: a free entry). */
struct procview_load {
        uint64_t key;
        double avg[3];
        double last; /* CLOCK_BOOTTIME seconds of the last update, 0 before the first */
};
#define PROCVIEW_LOADS 1024

/* Context for rendering, kept by the server across reads: the load state of each cgroup read (one server
 * serves every container of a store; the least recently read cgroup gives way when the table is full). */
struct procview_context {
        struct procview_load loads[PROCVIEW_LOADS];
};

/* Renders file `which` for the process pid into *out (malloc'ed, *len bytes). */
int procview_render(enum procview_file which, const struct procview_mounts *m, struct procview_context *ctx, pid_t pid,
                    char **out, size_t *len, berth_error *err);
/* sysinfo(2) as the container sees it: the host's, with its memory, swap, uptime, loads and tasks. */
struct sysinfo;
int procview_sysinfo(const struct procview_mounts *m, struct procview_context *ctx, pid_t pid, struct sysinfo *si,
                     berth_error *err);
/* Parses a kernel CPU list ("0-3,6") into cpus[] (sorted), returns the count or -EINVAL. */
int procview_parse_cpulist(const char *s, int *cpus, int max);
