#include "engine/spec_build.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "engine/db.h"
#include "lib/json.h"
#include "runtime/seccomp_profile.h"
#include "runtime/spec.h"
#include "runtime/spec_default.h"
#include "engine/user.h"
#include "engine/procview/view.h"
#include "engine/procview_mount.h"
#include "image/store.h"
#include "lib/util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define INIT_PATH "/sbin/docker-init"

/* moby/oci/caps/defaults.go */
static const char *const DOCKER_CAPS[] = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",      "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",     "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",     "CAP_AUDIT_WRITE", NULL,
};
/* moby/oci/defaults.go */
static const char *const DOCKER_MASKED[] = {
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
        NULL,
};
static const char *const DOCKER_READONLY[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                                              NULL};

static const char *hc_string(const json_t *hc, const char *key)
{
        const char *v = json_string_value(json_object_get(hc, key));
        return v ? v : "";
}

static bool hc_bool(const json_t *hc, const char *key)
{
        return json_is_true(json_object_get(hc, key));
}

static json_t *strings(const char *const *v)
{
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

/* ---- capabilities ---- */

static char *cap_name(const char *s)
{
        char *n = str_has_prefix(s, "CAP_") || str_has_prefix(s, "cap_") ? xstrdup(s) : xasprintf("CAP_%s", s);
        for (char *p = n; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        return n;
}

/* Our own bounding set: a capability we do not have cannot be given (this host runs berth without
 * CAP_SYS_RESOURCE, for one). */
static uint64_t own_bounding_set(void)
{
        cleanup_free char *status = NULL;
        const char *line;
        unsigned long long v = ~0ULL;

        if (read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL, NULL) == 0 &&
            (line = strstr(status, "CapBnd:")) != NULL)
                sscanf(line + 7, "%llx", &v);
        return (uint64_t) v;
}

static int capability_set(const json_t *hc, uint64_t *out, berth_error *err)
{
        json_t *add = json_object_get(hc, "CapAdd"), *drop = json_object_get(hc, "CapDrop"), *v;
        int last = spec_capability_last();
        uint64_t all = (last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1)) & own_bounding_set();
        uint64_t set = 0;
        size_t i;

        if (hc_bool(hc, "Privileged")) {
                *out = all;
                return 0;
        }
        for (const char *const *c = DOCKER_CAPS; *c; c++)
                set |= 1ULL << spec_capability_from_name(*c);
        json_array_foreach(drop, i, v) {
                cleanup_free char *n = cap_name(json_string_value(v) ?: "");
                int cap;
                if (strcmp(n, "CAP_ALL") == 0) {
                        set = 0;
                        continue;
                }
                if ((cap = spec_capability_from_name(n)) < 0)
                        return berth_failf(err, EINVAL, "invalid capability: \"%s\"", json_string_value(v));
                set &= ~(1ULL << cap);
        }
        json_array_foreach(add, i, v) {
                cleanup_free char *n = cap_name(json_string_value(v) ?: "");
                int cap;
                if (strcmp(n, "CAP_ALL") == 0) {
                        set = all;
                        continue;
                }
                if ((cap = spec_capability_from_name(n)) < 0)
                        return berth_failf(err, EINVAL, "invalid capability: \"%s\"", json_string_value(v));
                set |= 1ULL << cap;
        }
        *out = set;
        return 0;
}

static json_t *capability_names(uint64_t set)
{
        json_t *a = json_array();
        for (int cap = 0; cap <= spec_capability_last() && cap < 64; cap++)
                if (set & (1ULL << cap))
                        json_array_append_new(a, json_string(spec_capability_name(cap)));
        return a;
}

/* ---- process ---- */

static bool env_has(json_t *env, const char *key)
{
        size_t i, n = strlen(key);
        json_t *v;

        json_array_foreach(env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, key, n) == 0 && s[n] == '=')
                        return true;
        }
        return false;
}

static json_t *process_args(struct engine *e, const struct engine_container *c)
{
        json_t *args = json_array(), *v;
        size_t i;

        if (hc_bool(c->host_config, "Init")) {
                json_array_append_new(args, json_string(INIT_PATH));
                json_array_append_new(args, json_string("--"));
        }
        json_array_foreach(json_object_get(c->config, "Entrypoint"), i, v)
                json_array_append(args, v);
        json_array_foreach(json_object_get(c->config, "Cmd"), i, v)
                json_array_append(args, v);
        return args;
}

static json_t *process_env(const struct engine_container *c, const struct engine_user *u)
{
        json_t *env = json_array(), *v;
        const char *hostname = json_string_value(json_object_get(c->config, "Hostname"));
        size_t i;

        json_array_foreach(json_object_get(c->config, "Env"), i, v)
                json_array_append(env, v);
        /* What docker's daemon adds (container.CreateDaemonEnvironment). */
        if (!env_has(env, "PATH"))
                json_array_insert_new(env, 0, json_string(DEFAULT_PATH));
        if (hostname != NULL && !env_has(env, "HOSTNAME")) {
                char *h = xasprintf("HOSTNAME=%s", hostname);
                json_array_append_new(env, json_string(h));
                free(h);
        }
        if (json_is_true(json_object_get(c->config, "Tty")) && !env_has(env, "TERM"))
                json_array_append_new(env, json_string("TERM=xterm"));
        if (!env_has(env, "HOME")) {
                char *home = xasprintf("HOME=%s", u->home ? u->home : "/");
                json_array_append_new(env, json_string(home));
                free(home);
        }
        return env;
}

static bool security_opt(const json_t *hc, const char *name, const char **value)
{
        size_t i, n = strlen(name);
        json_t *v;

        json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
                const char *s = json_string_value(v);
                if (s == NULL || strncmp(s, name, n) != 0)
                        continue;
                if (s[n] == '\0' || s[n] == '=' || s[n] == ':') {
                        *value = s[n] ? s + n + 1 : "";
                        return true;
                }
        }
        return false;
}

static int build_process(struct engine *e, const struct spec_build_input *in, int rootfd, uint64_t caps,
                         json_t *process, berth_error *err)
{
        const struct engine_container *c = in->c;
        struct engine_user u = {0};
        const char *wd = json_string_value(json_object_get(c->config, "WorkingDir"));
        const char *nnp = NULL;
        json_t *args = process_args(e, c), *gids = json_array(), *user;
        int r;

        if (json_array_size(args) == 0) {
                json_decref(args);
                json_decref(gids);
                return berth_failf(err, EINVAL, "no command specified");
        }
        if ((r = engine_user_resolve(rootfd, json_string_value(json_object_get(c->config, "User")), &u, err)) < 0) {
                json_decref(args);
                json_decref(gids);
                return r;
        }
        for (size_t i = 0; i < u.n_groups; i++)
                json_array_append_new(gids, json_integer(u.groups[i]));
        user = json_pack("{s:I,s:I}", "uid", (json_int_t) u.uid, "gid", (json_int_t) u.gid);
        if (json_array_size(gids) > 0)
                json_object_set(user, "additionalGids", gids);
        json_decref(gids);
        json_object_set_new(process, "terminal", json_boolean(json_is_true(json_object_get(c->config, "Tty"))));
        json_object_set_new(process, "user", user);
        json_object_set_new(process, "args", args);
        json_object_set_new(process, "env", process_env(c, &u));
        json_object_set_new(process, "cwd", json_string(wd && *wd ? wd : "/"));
        json_object_set_new(process, "capabilities",
                            json_pack("{s:o,s:o,s:o}", "bounding", capability_names(caps), "effective",
                                      capability_names(caps), "permitted", capability_names(caps)));
        /* docker: off unless --security-opt no-new-privileges[:true]. */
        json_object_set_new(process, "noNewPrivileges",
                            json_boolean(security_opt(c->host_config, "no-new-privileges", &nnp) &&
                                         strcmp(nnp, "false") != 0));
        engine_user_clear(&u);
        return engine_spec_rlimits(c->host_config, process, err);
}

/* ---- mounts ---- */

static json_t *mount_entry(const char *dest, const char *type, const char *source, json_t *options)
{
        return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type, "source", source, "options", options);
}

static json_t *default_mounts(bool privileged)
{
        json_t *m = json_array();

        json_array_append_new(m, mount_entry("/proc", "proc", "proc", json_pack("[sss]", "nosuid", "noexec", "nodev")));
        json_array_append_new(m, mount_entry("/dev", "tmpfs", "tmpfs",
                                             json_pack("[ssss]", "nosuid", "strictatime", "mode=755", "size=65536k")));
        json_array_append_new(m, mount_entry("/dev/pts", "devpts", "devpts",
                                             json_pack("[ssssss]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                                       "mode=0620", "gid=5")));
        json_array_append_new(m, mount_entry("/sys", "sysfs", "sysfs",
                                             json_pack("[ssss]", "nosuid", "noexec", "nodev", privileged ? "rw" : "ro")));
        json_array_append_new(m, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                                             json_pack("[ssss]", privileged ? "rw" : "ro", "nosuid", "noexec", "nodev")));
        json_array_append_new(m, mount_entry("/dev/mqueue", "mqueue", "mqueue", json_pack("[sss]", "nosuid", "noexec", "nodev")));
        return m;
}

static size_t path_depth(const char *p)
{
        size_t n = 0;
        for (; *p; p++)
                n += *p == '/';
        return n;
}

static int compare_depth(const void *a, const void *b)
{
        const char *da = json_string_value(json_object_get(*(json_t *const *) a, "destination"));
        const char *db = json_string_value(json_object_get(*(json_t *const *) b, "destination"));
        size_t x = path_depth(da), y = path_depth(db);
        return x < y ? -1 : x > y ? 1 : strcmp(da, db);
}

static bool user_mounts_cover(const json_t *mounts, const char *dest)
{
        size_t i;
        json_t *v;

        json_array_foreach(mounts, i, v) {
                const char *d = json_string_value(json_object_get(v, "destination"));
                if (d != NULL && strcmp(d, dest) == 0)
                        return true;
        }
        return false;
}

/* The user's mounts (record->mounts, docker's inspect form) as OCI mounts, shallowest first as docker
 * sorts them, so that /a is mounted before /a/b. */
static json_t *user_mounts(struct engine *e, const struct engine_container *c)
{
        json_t *list = json_array(), *v, **sorted;
        size_t i, n;

        json_array_foreach(c->mounts, i, v) {
                const char *type = json_string_value(json_object_get(v, "Type"));
                const char *dest = json_string_value(json_object_get(v, "Destination"));
                const char *src = json_string_value(json_object_get(v, "Source"));
                bool rw = !json_is_false(json_object_get(v, "RW"));
                json_t *opts;

                if (type == NULL || dest == NULL)
                        continue;
                if (strcmp(type, "tmpfs") == 0) {
                        const char *o = json_string_value(json_object_get(v, "Options"));
                        opts = json_pack("[sss]", "nosuid", "nodev", "noexec");
                        if (!rw)
                                json_array_append_new(opts, json_string("ro"));
                        if (o != NULL && *o) {
                                cleanup_free char *copy = xstrdup(o);
                                char *save = NULL;
                                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                                        json_array_append_new(opts, json_string(t));
                        }
                        json_array_append_new(list, mount_entry(dest, "tmpfs", "tmpfs", opts));
                        continue;
                }
                opts = json_pack("[sss]", "rbind", rw ? "rw" : "ro", "rprivate");
                json_array_append_new(list, mount_entry(dest, "bind", src ? src : "", opts));
        }
        n = json_array_size(list);
        sorted = xmalloc((n + 1) * sizeof(json_t *));
        for (i = 0; i < n; i++)
                sorted[i] = json_incref(json_array_get(list, i));
        qsort(sorted, n, sizeof(json_t *), compare_depth);
        json_array_clear(list);
        for (i = 0; i < n; i++)
                json_array_append_new(list, sorted[i]);
        free(sorted);
        (void) e;
        return list;
}

static json_t *build_mounts(struct engine *e, const struct spec_build_input *in)
{
        const struct engine_container *c = in->c;
        const json_t *hc = c->host_config;
        json_t *mounts = default_mounts(hc_bool(hc, "Privileged")), *user = user_mounts(e, c), *v;
        json_int_t shm = json_integer_value(json_object_get(hc, "ShmSize"));
        static const char *const etc_files[] = {"resolv.conf", "hostname", "hosts"};
        size_t i;

        {
                cleanup_free char *size = xasprintf("size=%lld", (long long) (shm > 0 ? shm : 64 << 20));
                json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm",
                                                          json_pack("[sssss]", "nosuid", "noexec", "nodev", "mode=1777", size)));
        }
        /* /etc/resolv.conf, /etc/hostname, /etc/hosts: files berth manages in the container's directory,
         * bind-mounted as docker does, unless the user mounts something there. */
        for (i = 0; i < ARRAY_SIZE(etc_files); i++) {
                cleanup_free char *dest = xasprintf("/etc/%s", etc_files[i]);
                cleanup_free char *src = xasprintf("%s/%s", in->container_dir, etc_files[i]);
                if (user_mounts_cover(user, dest))
                        continue;
                json_array_append_new(mounts, mount_entry(dest, "bind", src,
                                                          json_pack("[sss]", "rbind", "rprivate",
                                                                    hc_bool(hc, "ReadonlyRootfs") ? "ro" : "rw")));
        }
        /* The view of /proc (docs/proc.md), where the user mounts nothing of their own. */
        for (i = 0; in->procview && i < PROCVIEW_NFILES; i++) {
                /* The container's own directory of the store's view: inodes (and page cache) of its own. */
                cleanup_free char *src = xasprintf("%s/" ENGINE_PROCVIEW_DIR "/%s/%s", e->store->root, in->c->id,
                                                   procview_file_names[i]);
                if (!user_mounts_cover(user, procview_file_targets[i]))
                        json_array_append_new(mounts, mount_entry(procview_file_targets[i], "bind", src,
                                                                  json_pack("[ss]", "bind", "ro")));
        }
        if (hc_bool(hc, "Init"))
                json_array_append_new(mounts, mount_entry(INIT_PATH, "bind", e->init_exe, json_pack("[ss]", "bind", "ro")));
        json_array_foreach(user, i, v)
                json_array_append(mounts, v);
        json_decref(user);
        return mounts;
}

/* ---- namespaces ---- */

/* "container:NAME": the namespace file of another running container's init. */
static int container_namespace_path(struct engine *e, const char *ref, const char *proc_name, char **out,
                                    berth_error *err)
{
        cleanup_engine_container struct engine_container *other = NULL;
        cleanup_free char *id = NULL;
        uint64_t start = 0;
        int r;

        if ((r = engine_db_resolve(e, ref, &id, err)) < 0 || (r = engine_db_get(e, id, &other, err)) < 0)
                return r;
        if (other->pid <= 0 || process_start_time(other->pid, &start) < 0 || start != other->pid_start)
                return berth_failf(err, EINVAL, "cannot join namespaces of a non running container: %s", ref);
        *out = xasprintf("/proc/%d/ns/%s", (int) other->pid, proc_name);
        return 0;
}

static int add_namespace(struct engine *e, json_t *list, const char *type, const char *proc_name, const char *mode,
                         const char *flag, berth_error *err)
{
        cleanup_free char *path = NULL;
        int r;

        if (strcmp(mode, "host") == 0)
                return 0;
        if (str_has_prefix(mode, "container:")) {
                if ((r = container_namespace_path(e, mode + strlen("container:"), proc_name, &path, err)) < 0)
                        return r;
                json_array_append_new(list, json_pack("{s:s,s:s}", "type", type, "path", path));
                return 0;
        }
        if (*mode != '\0' && strcmp(mode, "private") != 0 && strcmp(mode, "none") != 0 && strcmp(mode, "shareable") != 0 &&
            strcmp(mode, "default") != 0 && strcmp(type, "network") != 0)
                return berth_failf(err, EINVAL, "invalid %s mode: %s", flag, mode);
        json_array_append_new(list, json_pack("{s:s}", "type", type));
        return 0;
}

static int build_namespaces(struct engine *e, const json_t *hc, json_t *linux_obj, bool *userns, berth_error *err)
{
        json_t *ns = json_array();
        const char *userns_mode = hc_string(hc, "UsernsMode");
        int r;

        if ((r = add_namespace(e, ns, "pid", "pid", hc_string(hc, "PidMode"), "--pid", err)) < 0 ||
            (r = add_namespace(e, ns, "ipc", "ipc", hc_string(hc, "IpcMode"), "--ipc", err)) < 0 ||
            (r = add_namespace(e, ns, "uts", "uts", hc_string(hc, "UTSMode"), "--uts", err)) < 0 ||
            (r = add_namespace(e, ns, "network", "net", hc_string(hc, "NetworkMode"), "--network", err)) < 0) {
                json_decref(ns);
                return r;
        }
        json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
        *userns = *userns_mode != '\0' && strcmp(userns_mode, "host") != 0;
        if (*userns) {
                json_t *uids = NULL, *gids = NULL;
                if ((r = engine_userns_mappings(hc, &uids, &gids, err)) < 0) {
                        json_decref(ns);
                        return r;
                }
                json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
                json_object_set_new(linux_obj, "uidMappings", uids);
                json_object_set_new(linux_obj, "gidMappings", gids);
        }
        json_object_set_new(linux_obj, "namespaces", ns);
        return 0;
}

/* ---- seccomp ---- */

/* A docker-format profile (moby profiles/seccomp): its syscall entries' includes/excludes are decided here
 * against the container's capabilities; archMap becomes the native architectures. The runtime ignores
 * what it does not know (comment, ...). */
static int docker_profile(const char *path, uint64_t caps, json_t **out, berth_error *err)
{
        cleanup_json json_t *doc = json_load_path(path, err);
        json_t *syscalls, *kept = json_array(), *v;
        size_t i;

        if (doc == NULL)
                return berth_error_prefix(err, "opening seccomp profile (%s) failed: ", path);
        syscalls = json_object_get(doc, "syscalls");
        json_array_foreach(syscalls, i, v) {
                json_t *inc = json_object_get(json_object_get(v, "includes"), "caps");
                json_t *exc = json_object_get(json_object_get(v, "excludes"), "caps"), *cv;
                bool keep = true;
                size_t k;
                json_array_foreach(inc, k, cv) {
                        int cap = spec_capability_from_name(json_string_value(cv) ?: "");
                        keep &= cap >= 0 && (caps & (1ULL << cap));
                }
                json_array_foreach(exc, k, cv) {
                        int cap = spec_capability_from_name(json_string_value(cv) ?: "");
                        keep &= !(cap >= 0 && (caps & (1ULL << cap)));
                }
                if (keep) {
                        json_t *copy = json_deep_copy(v);
                        json_object_del(copy, "includes");
                        json_object_del(copy, "excludes");
                        json_array_append_new(kept, copy);
                }
        }
        json_object_set_new(doc, "syscalls", kept);
        if (json_object_get(doc, "archMap") != NULL && json_object_get(doc, "architectures") == NULL) {
                json_t *arch = json_array();
                json_array_foreach(json_object_get(doc, "archMap"), i, v)
                        if (strcmp(json_string_value(json_object_get(v, "architecture")) ?: "", "SCMP_ARCH_X86_64") == 0) {
                                json_array_append(arch, json_object_get(v, "architecture"));
                                json_array_extend(arch, json_object_get(v, "subArchitectures"));
                        }
                json_object_set_new(doc, "architectures", arch);
        }
        json_object_del(doc, "archMap");
        *out = json_incref(doc);
        return 0;
}

static int build_seccomp(const json_t *hc, uint64_t caps, json_t *linux_obj, berth_error *err)
{
        const char *value = NULL;
        json_t *profile = NULL;
        int r;

        if (hc_bool(hc, "Privileged"))
                return 0;
        if (security_opt(hc, "seccomp", &value) && strcmp(value, "unconfined") != 0 && *value) {
                if ((r = docker_profile(value, caps, &profile, err)) < 0)
                        return r;
        } else if (value != NULL && strcmp(value, "unconfined") == 0) {
                return 0;
        } else {
                profile = seccomp_docker_profile(caps);
        }
        if (profile != NULL)
                json_object_set_new(linux_obj, "seccomp", profile);
        return 0;
}

/* The container's clocks (docs/proc.md): with the view on, a time namespace whose CLOCK_BOOTTIME starts at 0
 * when the container does, so that uptime, boot time and process start times (ps) agree with the view's
 * files (lxcfs#164, #189); `--time-offset CLOCK=SECONDS` (HostConfig.BerthTimeOffsets) sets where
 * boottime and monotonic start, with or without the view. Kernels without time namespaces: none. */
static int build_time_namespace(const struct spec_build_input *in, json_t *linux_obj, berth_error *err)
{
        const json_t *offsets = json_object_get(in->c->host_config, "BerthTimeOffsets");
        json_t *spec_offsets = json_object();
        struct timespec boot, mono;
        json_t *v;

        /* Joining another container's pid namespace with a time namespace of its own hangs the runtime's
         * two-stage init today: such a container keeps the host's clocks (docs/proc.md). */
        if (str_has_prefix(hc_string(in->c->host_config, "PidMode"), "container:")) {
                json_decref(spec_offsets);
                if (json_is_object(offsets))
                        return berth_failf(err, EINVAL, "--time-offset cannot be used with --pid container:NAME (yet)");
                return 0;
        }
        if ((!in->procview && !json_is_object(offsets)) || access("/proc/self/ns/time", F_OK) < 0) {
                json_decref(spec_offsets);
                if (json_is_object(offsets))
                        return berth_failf(err, EINVAL, "--time-offset: this kernel has no time namespaces");
                return 0;
        }
        clock_gettime(CLOCK_BOOTTIME, &boot);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        /* The offset makes the clock read SECONDS now: it goes on from there. */
        v = json_object_get(offsets, "boottime");
        json_object_set_new(spec_offsets, "boottime",
                            json_pack("{s:I,s:i}", "secs", (json_int_t) (json_integer_value(v) - boot.tv_sec), "nanosecs", 0));
        if ((v = json_object_get(offsets, "monotonic")) != NULL)
                json_object_set_new(spec_offsets, "monotonic",
                                    json_pack("{s:I,s:i}", "secs", (json_int_t) (json_integer_value(v) - mono.tv_sec),
                                              "nanosecs", 0));
        json_array_append_new(json_object_get(linux_obj, "namespaces"), json_pack("{s:s}", "type", "time"));
        json_object_set_new(linux_obj, "timeOffsets", spec_offsets);
        return 0;
}

/* sysinfo(2) through the view (docs/proc.md): the profile's rules lose sysinfo, a rule notifies it, and
 * the listener goes to berth-procview, which answers with the container's figures. No profile (unconfined,
 * privileged): the kernel's sysinfo. */
static void notify_sysinfo(struct engine *e, const struct spec_build_input *in, json_t *linux_obj)
{
        json_t *seccomp = json_object_get(linux_obj, "seccomp"), *rule, *names, *v;
        size_t i, k;

        if (!in->procview || seccomp == NULL)
                return;
        json_array_foreach(json_object_get(seccomp, "syscalls"), i, rule) {
                names = json_object_get(rule, "names");
                for (k = json_array_size(names); k-- > 0;)
                        if ((v = json_array_get(names, k)) != NULL && strcmp(json_string_value(v) ?: "", "sysinfo") == 0)
                                json_array_remove(names, k);
        }
        json_array_append_new(json_object_get(seccomp, "syscalls"),
                              json_pack("{s:[s],s:s}", "names", "sysinfo", "action", "SCMP_ACT_NOTIFY"));
        {
                cleanup_free char *path = engine_procview_listener(e);
                json_object_set_new(seccomp, "listenerPath", json_string(path));
        }
}

int engine_spec_build(struct engine *e, const struct spec_build_input *in, json_t **out, berth_error *err)
{
        const struct engine_container *c = in->c;
        const json_t *hc = c->host_config;
        cleanup_json json_t *spec = spec_default(false);
        cleanup_close int rootfd = open(in->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        json_t *linux_obj = json_object_get(spec, "linux");
        const char *hostname = json_string_value(json_object_get(c->config, "Hostname"));
        bool privileged = hc_bool(hc, "Privileged"), userns = false;
        uint64_t caps = 0;
        int r;

        if (rootfd < 0)
                return berth_fail(err, errno, "open %s", in->rootfs);
        if ((r = capability_set(hc, &caps, err)) < 0 ||
            (r = build_process(e, in, rootfd, caps, json_object_get(spec, "process"), err)) < 0)
                return r;
        json_object_set_new(spec, "root", json_pack("{s:s,s:b}", "path", in->rootfs, "readonly", hc_bool(hc, "ReadonlyRootfs")));
        if (strcmp(hc_string(hc, "UTSMode"), "host") != 0 && hostname != NULL)
                json_object_set_new(spec, "hostname", json_string(hostname));
        else
                json_object_del(spec, "hostname");
        json_object_set_new(spec, "mounts", build_mounts(e, in));
        if ((r = build_namespaces(e, hc, linux_obj, &userns, err)) < 0)
                return r;
        json_object_set_new(linux_obj, "maskedPaths", privileged ? json_array() : strings(DOCKER_MASKED));
        json_object_set_new(linux_obj, "readonlyPaths", privileged ? json_array() : strings(DOCKER_READONLY));
        json_object_del(linux_obj, "seccomp");
        if ((r = build_seccomp(hc, caps, linux_obj, err)) < 0 || (r = engine_spec_resources(hc, linux_obj, err)) < 0 ||
            (r = engine_spec_devices(hc, linux_obj, err)) < 0)
                return r;
        notify_sysinfo(e, in, linux_obj);
        if ((r = build_time_namespace(in, linux_obj, err)) < 0)
                return r;
        /* The runtime's annotations name the engine's container, as docker's do for containerd. */
        json_object_set_new(spec, "annotations", json_pack("{s:s}", "io.github.berth.container.name", c->name));
        *out = json_incref(spec);
        return 0;
}
