/* config.json (OCI runtime-spec 1.2, Linux) as C structures. spec_load() parses and validates the whole
 * document before the runtime creates anything, so that a bad field fails with one line naming it and
 * nothing is left behind. Sections owned by other files (linux.resources: cgroup.c, linux.seccomp:
 * seccomp.c) are kept as JSON here and parsed by their owners, also before anything is created. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

struct spec_id_mapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

struct spec_mount {
        char *destination; /* absolute, cleaned */
        char *type;        /* may be NULL (bind mounts) */
        char *source;      /* may be NULL */
        char **options;    /* NULL-terminated, may be empty */
        struct spec_id_mapping *uid_mappings; /* idmapped mounts (spec 1.2) */
        size_t n_uid_mappings;
        struct spec_id_mapping *gid_mappings;
        size_t n_gid_mappings;
};

enum spec_namespace_type {
        NS_PID,
        NS_NETWORK,
        NS_MOUNT,
        NS_IPC,
        NS_UTS,
        NS_USER,
        NS_CGROUP,
        NS_TIME,
        NS_COUNT
};

struct spec_namespace {
        bool present; /* listed in linux.namespaces */
        char *path;   /* join this one instead of creating one; NULL: create */
};

struct spec_rlimit {
        int resource; /* RLIMIT_* */
        char *name;   /* "RLIMIT_NOFILE", for messages */
        uint64_t soft;
        uint64_t hard;
};

struct spec_capabilities {
        bool present; /* process.capabilities given at all */
        uint64_t bounding, effective, inheritable, permitted, ambient; /* bit i = capability i */
        char **unknown; /* names this build does not know: left out, with a warning at create (spec 1.1) */
};

struct spec_user {
        uint32_t uid, gid;
        bool has_umask;
        uint32_t umask;
        gid_t *additional_gids;
        size_t n_additional_gids;
};

struct spec_process {
        bool terminal;
        bool has_console_size;
        unsigned int console_height, console_width;
        char *cwd;
        char **args; /* non-empty */
        char **env;
        struct spec_user user;
        struct spec_capabilities capabilities;
        struct spec_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        char *apparmor_profile; /* accepted; refused at create when set, as berth has no AppArmor support */
        char *selinux_label;    /* accepted; refused at create when set (no SELinux support) */
        json_t *scheduler;      /* linux scheduler (spec 1.1): applied by process.c */
        json_t *io_priority;    /* linux ioPriority (spec 1.1) */
        json_t *exec_cpu_affinity; /* spec 1.2 */
};

struct spec_hook {
        char *path;
        char **args;
        char **env;
        bool has_timeout;
        int timeout; /* seconds, > 0 */
};

enum spec_hook_kind {
        HOOK_PRESTART,
        HOOK_CREATE_RUNTIME,
        HOOK_CREATE_CONTAINER,
        HOOK_START_CONTAINER,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        HOOK_KIND_COUNT
};

struct spec_hooks {
        struct spec_hook *list[HOOK_KIND_COUNT];
        size_t count[HOOK_KIND_COUNT];
};

struct spec_device {
        char *path;
        char type; /* 'c', 'u', 'b', 'p' */
        int64_t major, minor;
        bool has_file_mode;
        uint32_t file_mode;
        bool has_uid, has_gid;
        uint32_t uid, gid;
};

struct spec_sysctl {
        char *key;
        char *value;
};

struct spec_time_offset {
        bool present;
        int64_t secs;
        uint32_t nanosecs;
};

struct spec_linux {
        struct spec_namespace namespaces[NS_COUNT];
        struct spec_id_mapping *uid_mappings;
        size_t n_uid_mappings;
        struct spec_id_mapping *gid_mappings;
        size_t n_gid_mappings;
        struct spec_time_offset time_monotonic, time_boottime;
        struct spec_device *devices;
        size_t n_devices;
        char *cgroups_path;       /* may be NULL: the runtime picks a default */
        json_t *resources;        /* linux.resources, parsed by cgroup.c; borrowed from the document */
        json_t *seccomp;          /* linux.seccomp, parsed by seccomp.c; borrowed */
        char *rootfs_propagation; /* may be NULL */
        char **masked_paths;
        char **readonly_paths;
        struct spec_sysctl *sysctls;
        size_t n_sysctls;
        bool has_personality;
        unsigned long personality; /* domain | flags, as personality(2) takes it */
        char *mount_label;
        json_t *intel_rdt; /* refused when set: no RDT support */
};

struct runtime_spec {
        json_t *document; /* the parsed config.json; owns the borrowed sections */
        char *raw;        /* config.json's bytes as read by spec_load (NULL after spec_parse) */
        size_t raw_len;
        char *oci_version;
        char *root_path; /* absolute: the bundle's root.path resolved against the bundle */
        bool root_readonly;
        char *hostname;
        char *domainname;
        struct spec_mount *mounts;
        size_t n_mounts;
        bool has_process;
        struct spec_process process;
        struct spec_hooks hooks;
        json_t *annotations; /* borrowed; may be NULL */
        struct spec_linux linux_section;
};

/* Reads BUNDLE/config.json. Errors are prefixed "config.json: " and name the field. */
/* The value of annotation `key`, or NULL. */
const char *spec_annotation(const struct runtime_spec *spec, const char *key);

int spec_load(const char *bundle, struct runtime_spec **out, berth_error *err);
/* The same from another file than BUNDLE/config.json (crun's --config): absolute, or relative to the bundle.
 * Paths inside it (root.path, relative bind sources) are still relative to the bundle. */
int spec_load_file(const char *bundle, const char *config_path, struct runtime_spec **out, berth_error *err);
/* Parses a document already in memory (exec's --process file uses spec_parse_process). */
int spec_parse(json_t *document, const char *bundle, struct runtime_spec **out, berth_error *err);
void spec_free(struct runtime_spec *spec);

/* Parses one "process" object (config.json's, or exec's --process file). */
int spec_parse_process(json_t *process, const char *where, struct spec_process *out, berth_error *err);
void spec_process_clear(struct spec_process *p);

/* Capability names ("CAP_NET_ADMIN") to numbers; -1 when unknown to this build and the running kernel. */
int spec_capability_from_name(const char *name);
const char *spec_capability_name(int cap);
int spec_capability_last(void); /* the highest capability the running kernel knows */

int spec_rlimit_from_name(const char *name);

const char *spec_namespace_name(enum spec_namespace_type t); /* "pid", "network", ... */
int spec_namespace_clone_flag(enum spec_namespace_type t);  /* CLONE_NEWPID, ... */
const char *spec_namespace_proc_name(enum spec_namespace_type t); /* "pid", "net", ... as in /proc/PID/ns */

const char *spec_hook_kind_name(enum spec_hook_kind k); /* "prestart", "createRuntime", ... */

#define cleanup_spec __attribute__((cleanup(spec_free_ptr)))
static inline void spec_free_ptr(struct runtime_spec **s)
{
        if (*s != NULL)
                spec_free(*s);
}
