/* The container's cgroup, behind one interface for cgroup v1, v2 and hybrid hosts (v1 controllers plus a
 * cgroup2 mount holding some or none of them). cgroup.c detects the layout and dispatches to
 * cgroup_v1.c / cgroup_v2.c; cgroup_devices_bpf.c holds the v2 device filter (BPF_PROG_TYPE_CGROUP_DEVICE).
 *
 * Life of a container's cgroup, as the runtime core drives it:
 *   create:  cgroup_resources_parse()  (validation, before anything is made)
 *            cgroup_manager_create()   (mkdir, limits applied, device rules, before the init is cloned)
 *            cgroup_manager_clone_into_fd() -> clone3(CLONE_INTO_CGROUP) on a v2-only host, else
 *            cgroup_manager_enter(pid) right after clone, before the init continues
 *            cgroup_manager_to_json()  (saved in the state directory)
 *   init:    cgroup_mount_in_container() for a mount of type "cgroup" (in the container's mount namespace,
 *            before pivot_root)
 *   later:   cgroup_manager_from_json() then update / freeze / pids / kill_all / stats / destroy
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

struct cgroup_resources; /* linux.resources, parsed and validated */
struct cgroup_manager;   /* one container's cgroup(s) */

/* Validates linux.resources (NULL: none) completely: types, ranges, known device types, the "unified"
 * map... Errors name the field ("linux.resources.memory.limit: ..."). Nothing is touched on the host. */
int cgroup_resources_parse(json_t *resources, struct cgroup_resources **out, berth_error *err);
void cgroup_resources_free(struct cgroup_resources *r);

struct cgroup_config {
        const char *id;           /* container id */
        const char *cgroups_path; /* linux.cgroupsPath or NULL (default: /berth/<id>, see cgroup.c) */
        const struct cgroup_resources *resources; /* may be NULL */
        const struct spec_device *devices;        /* linux.devices: allowed in the device cgroup too */
        size_t n_devices;
        bool rootless;            /* not root in the init user namespace: permission errors on creation are
                                     ignored when no limit is requested (as runc does) */
};

/* Creates the cgroup(s), enables the controllers needed (v2 subtree_control up the tree), applies every
 * limit and the device rules (the spec's rules followed by runc's default allowed devices and
 * linux.devices). On failure everything it made is removed. */
int cgroup_manager_create(const struct cgroup_config *config, struct cgroup_manager **out, berth_error *err);

/* An O_RDONLY|O_DIRECTORY fd of the container's cgroup2 directory when the host is cgroup v2 only (usable
 * with clone3's CLONE_INTO_CGROUP), else -1. Owned by the manager. */
int cgroup_manager_clone_into_fd(struct cgroup_manager *m);

/* Moves pid into the container's cgroup in every hierarchy. */
int cgroup_manager_enter(struct cgroup_manager *m, pid_t pid, berth_error *err);

/* Serialises what later commands need to find the cgroup again (paths per hierarchy, layout). */
json_t *cgroup_manager_to_json(const struct cgroup_manager *m);
int cgroup_manager_from_json(json_t *saved, struct cgroup_manager **out, berth_error *err);
void cgroup_manager_free(struct cgroup_manager *m);

/* Applies new limits to a live container (`update`). Limits not set in r are left alone. */
int cgroup_manager_update(struct cgroup_manager *m, const struct cgroup_resources *r, berth_error *err);

/* pause/resume: v1 freezer.state, v2 cgroup.freeze; waits until the kernel reports the new state. */
int cgroup_manager_freeze(struct cgroup_manager *m, bool frozen, berth_error *err);
int cgroup_manager_is_frozen(struct cgroup_manager *m, bool *out, berth_error *err);

/* The pids in the container's cgroup (and below it), sorted. */
int cgroup_manager_pids(struct cgroup_manager *m, pid_t **out, size_t *n, berth_error *err);

/* Sends sig to every process in the cgroup (`kill --all`, `delete --force`). A frozen cgroup is thawed
 * after SIGKILL so that the processes can die. */
int cgroup_manager_kill_all(struct cgroup_manager *m, int sig, berth_error *err);

/* Removes the container's cgroup(s), also after the container was killed: waits briefly for the kernel to
 * release a dying cgroup, and removes the parent directories it created when they are left empty. */
int cgroup_manager_destroy(struct cgroup_manager *m, berth_error *err);

/* `events --stats`: runc's "data" object (cpu, memory, pids, blkio, hugetlb). */
int cgroup_manager_stats(struct cgroup_manager *m, json_t **out, berth_error *err);

/* `events`: an fd that becomes readable when an OOM kill happened in the container (v1: eventfd on
 * memory.oom_control; v2: inotify on memory.events), and a function that tells whether the count of OOM
 * kills increased since the last call (*count is the caller's memory of it). */
int cgroup_manager_oom_fd(struct cgroup_manager *m, berth_error *err);
int cgroup_manager_oom_count(struct cgroup_manager *m, uint64_t *count, berth_error *err);

/* Mounts the container's view of the cgroup filesystem on the directory target_fd (an O_PATH fd of the
 * mount destination inside the rootfs, in the container's mount namespace, before pivot_root).
 * flags: MS_RDONLY/MS_NOSUID/... from the mount's options. cgroupns: the container has its own cgroup
 * namespace (then cgroup filesystems can be mounted fresh and show the container's cgroup as root);
 * otherwise the container's cgroup directories are bind-mounted. On v1 a tmpfs holds one directory per
 * hierarchy (and the cpu,cpuacct style symlinks), on hybrid hosts plus "unified". */
int cgroup_mount_in_container(struct cgroup_manager *m, int target_fd, const char *destination,
                              unsigned long flags, bool cgroupns, berth_error *err);

/* "v1", "v2" or "hybrid", for `features` and messages. */
const char *cgroup_host_layout_name(void);
