/* Private to the cgroup files (cgroup*.c): the parsed resources, the manager's layout, and the pure
 * conversions (runtime-spec values -> cgroup v1/v2 file contents) that the unit tests check. */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "lib/error.h"

/* ---- controllers ---------------------------------------------------------------------------------- */

enum cgroup_controller {
        CG_CPU,
        CG_CPUACCT,
        CG_CPUSET,
        CG_MEMORY,
        CG_DEVICES,
        CG_FREEZER,
        CG_BLKIO, /* "blkio" on v1, "io" on v2 */
        CG_PIDS,
        CG_HUGETLB,
        CG_NET_CLS,
        CG_NET_PRIO,
        CG_PERF_EVENT,
        CG_RDMA,
        CG_MISC,
        CG_CONTROLLER_COUNT
};

#define CG_BIT(c) (1u << (c))

/* The v1 name ("blkio") and the v2 name ("io") of a controller. */
const char *cgroup_controller_name(enum cgroup_controller c, bool v2);
/* -1 when unknown. Accepts both the v1 and the v2 spelling. */
int cgroup_controller_from_name(const char *name, bool v2);

/* ---- linux.resources, parsed ---------------------------------------------------------------------- */

enum { CG_ACC_MKNOD = 1, CG_ACC_READ = 2, CG_ACC_WRITE = 4, CG_ACC_ALL = 7 }; /* = BPF_DEVCG_ACC_* */
#define CG_DEV_WILDCARD (-1)

struct cgroup_device_rule {
        bool allow;
        char type;      /* 'a', 'b' or 'c' */
        int64_t major;  /* CG_DEV_WILDCARD or >= 0 */
        int64_t minor;
        unsigned access; /* CG_ACC_* bits, never 0 */
};

struct cgroup_weight_device {
        int64_t major, minor;
        bool has_weight, has_leaf_weight;
        uint16_t weight, leaf_weight;
};

struct cgroup_throttle_device {
        int64_t major, minor;
        uint64_t rate;
};

enum cgroup_throttle_kind { CG_THROTTLE_READ_BPS, CG_THROTTLE_WRITE_BPS, CG_THROTTLE_READ_IOPS,
                            CG_THROTTLE_WRITE_IOPS, CG_THROTTLE_COUNT };

struct cgroup_hugepage_limit {
        char *page_size; /* "2MB" */
        uint64_t limit;
};

struct cgroup_net_priority {
        char *name;
        uint32_t priority;
};

struct cgroup_rdma_limit {
        char *device;
        bool has_handles, has_objects;
        uint32_t handles, objects;
};

struct cgroup_unified_entry {
        char *key;
        char *value;
};

/* Every field comes with has_*: "not given" and "given as 0" differ for the spec. Following runc, a
 * limit given as 0 (Go's zero value) means "not set" for memory.{limit,reservation,swap}, cpu.{shares,
 * quota,period,realtime*}, pids.limit and blockIO.weight: the parser clears has_* for those. */
struct cgroup_resources {
        struct {
                bool has_limit, has_reservation, has_swap, has_swappiness, has_disable_oom_killer,
                        has_use_hierarchy;
                int64_t limit, reservation, swap; /* -1: unlimited */
                uint64_t swappiness;
                bool disable_oom_killer, use_hierarchy, check_before_update;
                bool has_kernel, has_kernel_tcp; /* accepted and ignored, as runc does (deprecated) */
        } memory;
        struct {
                bool has_shares, has_quota, has_period, has_burst, has_rt_runtime, has_rt_period, has_idle;
                uint64_t shares, period, burst, rt_period;
                int64_t quota, rt_runtime, idle; /* quota -1: unlimited */
                char *cpus, *mems;               /* NULL: not given */
        } cpu;
        struct {
                bool has_limit;
                int64_t limit; /* < 0: unlimited */
        } pids;
        struct {
                bool has_weight, has_leaf_weight;
                uint16_t weight, leaf_weight;
                struct cgroup_weight_device *weight_devices;
                size_t n_weight_devices;
                struct cgroup_throttle_device *throttle[CG_THROTTLE_COUNT];
                size_t n_throttle[CG_THROTTLE_COUNT];
        } blkio;
        struct cgroup_hugepage_limit *hugepages;
        size_t n_hugepages;
        struct {
                bool has_class_id;
                uint32_t class_id;
                struct cgroup_net_priority *priorities;
                size_t n_priorities;
        } network;
        struct cgroup_rdma_limit *rdma;
        size_t n_rdma;
        struct cgroup_unified_entry *unified;
        size_t n_unified;
        struct cgroup_device_rule *devices;
        size_t n_devices;
};

/* Whether r asks for anything at all (devices aside): rootless creation skips unwritable hierarchies
 * only when nothing is asked. */
bool cgroup_resources_has_limits(const struct cgroup_resources *r);

/* The controllers r sets limits in (CG_BIT()s; the unified map aside). */
uint32_t cgroup_resources_controllers(const struct cgroup_resources *r);

/* ---- conversions (pure; unit-tested) -------------------------------------------------------------- */

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays 0 ("not set"). The log-quadratic mapping of
 * crun >= 1.23 and runc >= 1.3.2 (opencontainers/cgroups#20): it keeps the defaults aligned (1024 -> 100),
 * where the old linear one (1 + (shares - 2) * 9999 / 262142) turned the default 1024 into 39. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);

/* blkio weight [10, 1000] -> io.weight [1, 10000], linearly (runc's ConvertBlkIOToIOWeightValue). */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight);

/* The spec's memory.swap is memory+swap (v1 memsw); v2's memory.swap.max is swap alone. -1 means "max";
 * *out = INT64_MIN when nothing is to be written. Errors as runc's ConvertMemorySwapToCgroupV2Value. */
int cgroup_memory_swap_to_v2(bool has_swap, int64_t swap, bool has_limit, int64_t limit, int64_t *out,
                             berth_error *err);

/* "-1"/negative -> "max", else the decimal value. buf >= 24 bytes. */
const char *cgroup_format_limit(int64_t value, char *buf, size_t size);

/* One io.max line: "8:0 rbps=1048576" (rate 0: "max", i.e. no limit, as a rate of 0 removes the rule on
 * v1). */
char *cgroup_io_max_line(const struct cgroup_throttle_device *d, enum cgroup_throttle_kind kind);
/* v1 blkio.throttle.* file of a kind, and the line "8:0 1048576". */
const char *cgroup_v1_throttle_file(enum cgroup_throttle_kind kind);
char *cgroup_v1_throttle_line(const struct cgroup_throttle_device *d);

/* ---- device rules --------------------------------------------------------------------------------- */

/* The full rule list of a container: linux.resources.devices, then runc's default allowed devices, then
 * rwm for every linux.devices entry (as runc's specconv appends them). */
void cgroup_devices_build(const struct cgroup_resources *r, const struct spec_device *devices, size_t n_devices,
                          struct cgroup_device_rule **out, size_t *n_out);
/* "c 1:3 rwm", "a *:* rwm", "b 7:*  r" for v1's devices.allow/devices.deny. buf >= 64 bytes. */
void cgroup_device_rule_v1_string(const struct cgroup_device_rule *rule, char *buf, size_t size);
/* What the rules decide for one access (the semantics the BPF program implements): each access bit is
 * decided by the last rule matching the device and holding that bit; a bit no rule decides is denied. */
bool cgroup_devices_evaluate(const struct cgroup_device_rule *rules, size_t n, char type, uint32_t major,
                             uint32_t minor, unsigned access);
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for the rules. Caller frees *out. */
void cgroup_devices_bpf_build(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **out,
                              size_t *n_out);
/* Loads the program and attaches it to the cgroup dirfd with BPF_F_ALLOW_MULTI. */
int cgroup_devices_bpf_attach(int cgroup_fd, const char *path, const struct cgroup_device_rule *rules, size_t n,
                              berth_error *err);

/* ---- the manager ---------------------------------------------------------------------------------- */

enum cgroup_layout { CG_LAYOUT_V1, CG_LAYOUT_V2, CG_LAYOUT_HYBRID };

struct cgroup_hierarchy {
        char *name;      /* directory name under the cgroup root: "cpu", "cpu,cpuacct", "systemd", "unified";
                            "" for the only hierarchy of a v2 host */
        char *options;   /* for a fresh v1 mount: "cpu,cpuacct", "none,name=systemd"; NULL on v2 */
        uint32_t controllers; /* CG_BIT()s available in the container's cgroup */
        bool v2;
        char *dir;       /* the container's cgroup directory, absolute */
        unsigned created; /* trailing components of dir that this container created (removed by destroy) */
        int fd;          /* O_RDONLY|O_DIRECTORY of dir, or -1 until needed */
};

struct cgroup_manager {
        enum cgroup_layout layout;
        bool default_parent; /* the runtime chose the path (/berth/<id>): the shared /berth goes when empty */
        struct cgroup_hierarchy *h;
        size_t n;
        int oom_fd;         /* events: eventfd (v1) or inotify (v2), -1 */
        int oom_control_fd; /* v1: memory.oom_control, held for the eventfd registration */
};

struct cgroup_manager *cgroup_manager_new(void);
void cgroup_hierarchy_clear(struct cgroup_hierarchy *h);
static inline void cgroup_manager_free_ptr_(struct cgroup_manager **m)
{
        cgroup_manager_free(*m);
}
#define cleanup_manager __attribute__((cleanup(cgroup_manager_free_ptr_)))

/* Refuses what this host cannot do for r (one line naming the field), before anything is written;
 * v1_mask/v2_available: the controllers of the v1 hierarchies and those cgroup2 offers. */
int cgroup_check_supported(struct cgroup_manager *m, uint32_t v1_mask, uint32_t v2_available,
                           const struct cgroup_resources *r, berth_error *err);
/* Writes r's limits into every hierarchy (v1 first, then cgroup2). */
int cgroup_apply_resources(struct cgroup_manager *m, const struct cgroup_resources *r, bool creating,
                           berth_error *err);

/* The hierarchy holding controller c, or NULL when it is not mounted. */
struct cgroup_hierarchy *cgroup_manager_find(struct cgroup_manager *m, enum cgroup_controller c);
/* The unified hierarchy, or NULL (v1). */
struct cgroup_hierarchy *cgroup_manager_unified(struct cgroup_manager *m);
/* Opens h->fd when needed. */
int cgroup_hierarchy_fd(struct cgroup_hierarchy *h, berth_error *err);

/* File access relative to the container's cgroup directory; messages name the whole path. */
int cgroup_write(struct cgroup_hierarchy *h, const char *file, const char *value, berth_error *err);
int cgroup_writef(struct cgroup_hierarchy *h, berth_error *err, const char *file, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Raw write: returns 0 or -errno, sets no error (for callers that turn errno into a better message). */
int cgroup_write_raw(struct cgroup_hierarchy *h, const char *file, const char *value);
/* cpu.cpus/cpu.mems into cpuset.cpus/cpuset.mems: the same files on v1 and v2. */
int cgroup_set_cpuset(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err);
/* One "MAJ:MIN ..." line of blockIO into a device-keyed file; a device the kernel does not know is named
 * as blockIO.FIELD's. */
int cgroup_write_device_line(struct cgroup_hierarchy *h, const char *file, const char *line, const char *field,
                             int64_t major, int64_t minor, berth_error *err);
/* hugepageLimits into hugetlb.<size>.<suffix>: "limit_in_bytes" on v1, "max" on v2. */
int cgroup_set_hugetlb(struct cgroup_hierarchy *h, const struct cgroup_resources *r, const char *suffix,
                       berth_error *err);
int cgroup_read(struct cgroup_hierarchy *h, const char *file, char **out, berth_error *err);
int cgroup_read_u64(struct cgroup_hierarchy *h, const char *file, uint64_t *out, berth_error *err);
bool cgroup_file_exists(struct cgroup_hierarchy *h, const char *file);
/* The value of "key N" in a flat-keyed file (memory.stat, cpu.stat, memory.events); 0 when absent. */
uint64_t cgroup_keyed_value(const char *text, const char *key);

/* v1 and v2 halves. `creating`: the cgroup is new (create), not a live container (update). */
int cgroup_v1_apply(struct cgroup_manager *m, const struct cgroup_resources *r, bool creating, berth_error *err);
int cgroup_v1_apply_devices(struct cgroup_hierarchy *h, const struct cgroup_device_rule *rules, size_t n,
                            berth_error *err);
int cgroup_v1_init_cpuset(int parent_fd, int child_fd, const char *child_path, berth_error *err);
/* Whether a v1 cpuset has no cpus or no mems yet (nothing could run in it). */
bool cgroup_v1_cpuset_empty(int fd);
int cgroup_v1_freeze(struct cgroup_hierarchy *h, bool frozen, berth_error *err);
int cgroup_v1_stats(struct cgroup_manager *m, json_t *data, berth_error *err);
int cgroup_v1_oom_fd(struct cgroup_manager *m, struct cgroup_hierarchy *h, berth_error *err);

int cgroup_v2_apply(struct cgroup_manager *m, struct cgroup_hierarchy *h, const struct cgroup_resources *r,
                    bool creating, berth_error *err);
/* Enables in parent_fd's cgroup.subtree_control the controllers of `want` that are available there and not
 * enabled yet; returns the controllers the child will have in *child_has. When the parent cannot enable
 * any (it has processes: EBUSY), that is an error only if `need` (what the limits use) is not there. */
int cgroup_v2_enable_controllers(int parent_fd, const char *parent_path, uint32_t want, uint32_t need,
                                 uint32_t *child_has, berth_error *err);
int cgroup_v2_freeze(struct cgroup_hierarchy *h, bool frozen, berth_error *err);
int cgroup_v2_stats(struct cgroup_manager *m, struct cgroup_hierarchy *h, json_t *data, berth_error *err);
int cgroup_v2_oom_fd(struct cgroup_manager *m, struct cgroup_hierarchy *h, berth_error *err);

/* Parsing of the controllers named in a line ("cpu,cpuacct" / "cpu io memory"); unknown ones ignored. */
uint32_t cgroup_controllers_parse(const char *list, char sep, bool v2);

/* /proc/self/mountinfo and /proc/self/cgroup, parsed (exposed for the unit tests). */
struct cgroup_mount {
        char *mountpoint; /* unescaped */
        char *root;       /* the mount's root inside the hierarchy ("/" unless bind-mounted or in a cgroupns) */
        char *options;    /* v1: "cpu,cpuacct" or "name=systemd" (what /proc/self/cgroup calls it) */
        uint32_t controllers;
        bool v2;
};
int cgroup_parse_mountinfo(const char *text, struct cgroup_mount **out, size_t *n_out);
void cgroup_mounts_free(struct cgroup_mount *mounts, size_t n);
/* The path of the hierarchy `key` ("cpu,cpuacct", "name=systemd", "" for v2) in a /proc/PID/cgroup text. */
char *cgroup_proc_self_path(const char *text, const char *key);
/* The container's path inside a hierarchy: cgroups_path absolute -> as it is; relative -> below own;
 * NULL -> /berth/<id>. Cleaned; never above "/". */
char *cgroup_resolve_path(const char *cgroups_path, const char *own, const char *id);

/* rdma.max line (same on v1 and v2): "mlx5_1 hca_handle=2 hca_object=max". */
char *cgroup_rdma_line(const struct cgroup_rdma_limit *l);
/* The host's huge page sizes as the hugetlb files name them ("2MB", "1GB"), from /sys/kernel/mm/hugepages. */
char **cgroup_hugepage_sizes(void);
/* "hugepages-2048kB" -> "2MB" (NULL when not such a name). */
char *cgroup_hugepage_dir_to_size(const char *dirname);

/* stats helpers shared by v1 and v2 (runc's JSON: omitempty fields are left out when 0). */
void cgroup_json_set_u64(json_t *obj, const char *key, uint64_t v, bool omitempty);
json_t *cgroup_json_object_member(json_t *obj, const char *key);
