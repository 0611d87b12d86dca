#include "runtime/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/path.h"
#include "lib/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- names ---- */

static const char *const capability_names[] = {
        "CAP_CHOWN",           "CAP_DAC_OVERRIDE",    "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID",          "CAP_KILL",            "CAP_SETGID",          "CAP_SETUID",
        "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",       "CAP_NET_RAW",         "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
        "CAP_LEASE",           "CAP_AUDIT_WRITE",     "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",       "CAP_SYSLOG",          "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",      "CAP_PERFMON",         "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

int spec_capability_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(capability_names); i++)
                if (strcasecmp(name, capability_names[i]) == 0)
                        return (int) i;
        return -1;
}

const char *spec_capability_name(int cap)
{
        if (cap < 0 || (size_t) cap >= ARRAY_SIZE(capability_names))
                return NULL;
        return capability_names[cap];
}

int spec_capability_last(void)
{
        char buf[16] = {0};
        int last = (int) ARRAY_SIZE(capability_names) - 1, kernel_last;
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

        if (f != NULL) {
                if (fgets(buf, sizeof(buf), f) != NULL) {
                        buf[strcspn(buf, "\n")] = '\0';
                        if (parse_int(buf, &kernel_last) == 0 && kernel_last < last)
                                last = kernel_last;
                }
                fclose(f);
        }
        return last;
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
};

int spec_rlimit_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
                if (strcmp(name, rlimit_names[i].name) == 0)
                        return rlimit_names[i].resource;
        return -1;
}

static const struct {
        const char *name;
        const char *proc_name;
        int flag;
} namespace_table[NS_COUNT] = {
        [NS_PID] = {"pid", "pid", CLONE_NEWPID},
        [NS_NETWORK] = {"network", "net", CLONE_NEWNET},
        [NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
        [NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
        [NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
        [NS_USER] = {"user", "user", CLONE_NEWUSER},
        [NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
        [NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

const char *spec_namespace_name(enum spec_namespace_type t)
{
        return namespace_table[t].name;
}

const char *spec_namespace_proc_name(enum spec_namespace_type t)
{
        return namespace_table[t].proc_name;
}

int spec_namespace_clone_flag(enum spec_namespace_type t)
{
        return namespace_table[t].flag;
}

static const char *const hook_kind_names[HOOK_KIND_COUNT] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name(enum spec_hook_kind k)
{
        return hook_kind_names[k];
}

/* ---- parsing ---- */

static int parse_id_mappings(json_t *parent, const char *where, const char *key, struct spec_id_mapping **out,
                             size_t *n_out, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        r = json_field_array(parent, where, key, false, &array, err);
        if (r < 0 || array == NULL)
                return r;
        *out = xzalloc(json_array_size(array) * sizeof(**out));
        *n_out = json_array_size(array);
        json_array_foreach (array, i, item) {
                cleanup_free char *w = xasprintf("%s.%s[%zu]", where, key, i);
                struct spec_id_mapping *m = &(*out)[i];

                if ((r = json_expect_object(item, w, err)) < 0)
                        return r;
                if ((r = json_field_u32(item, w, "containerID", true, &m->container_id, err)) < 0 ||
                    (r = json_field_u32(item, w, "hostID", true, &m->host_id, err)) < 0 ||
                    (r = json_field_u32(item, w, "size", true, &m->size, err)) < 0)
                        return r;
                if (m->size == 0)
                        return berth_failf(err, EINVAL, "%s.size: must be greater than 0", w);
                if ((uint64_t) m->container_id + m->size - 1 > UINT32_MAX - 1 ||
                    (uint64_t) m->host_id + m->size - 1 > UINT32_MAX - 1)
                        return berth_failf(err, EINVAL, "%s: range %u+%u or %u+%u overflows the id space", w,
                                           m->container_id, m->size, m->host_id, m->size);
        }
        /* Overlapping ranges are refused by the kernel with a bare EINVAL; say which ones here. */
        for (size_t a = 0; a < *n_out; a++)
                for (size_t b = a + 1; b < *n_out; b++) {
                        struct spec_id_mapping *x = &(*out)[a], *y = &(*out)[b];
                        if ((x->container_id < (uint64_t) y->container_id + y->size &&
                             y->container_id < (uint64_t) x->container_id + x->size) ||
                            (x->host_id < (uint64_t) y->host_id + y->size &&
                             y->host_id < (uint64_t) x->host_id + x->size))
                                return berth_failf(err, EINVAL, "%s.%s[%zu] and [%zu]: ranges overlap", where, key,
                                                   a, b);
                }
        return 0;
}

static int parse_mounts(struct runtime_spec *spec, json_t *doc, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r;

        r = json_field_array(doc, "", "mounts", false, &array, err);
        if (r < 0 || array == NULL)
                return r;
        spec->mounts = xzalloc(json_array_size(array) * sizeof(*spec->mounts));
        json_array_foreach (array, i, item) {
                cleanup_free char *w = xasprintf("mounts[%zu]", i);
                struct spec_mount *m = &spec->mounts[i];
                const char *destination = NULL, *type = NULL, *source = NULL;

                spec->n_mounts = i + 1;
                if ((r = json_expect_object(item, w, err)) < 0)
                        return r;
                if ((r = json_field_string(item, w, "destination", true, &destination, err)) < 0 ||
                    (r = json_field_string(item, w, "type", false, &type, err)) < 0 ||
                    (r = json_field_string(item, w, "source", false, &source, err)) < 0 ||
                    (r = json_field_strv(item, w, "options", false, &m->options, err)) < 0)
                        return r;
                if (destination[0] == '\0')
                        return berth_failf(err, EINVAL, "%s.destination: must not be empty", w);
                /* Relative destinations are relative to "/" (runtime-spec: kept for old configurations). */
                if (destination[0] != '/') {
                        cleanup_free char *abs = xasprintf("/%s", destination);
                        m->destination = path_clean(abs);
                } else {
                        m->destination = path_clean(destination);
                }
                m->type = xstrdup(type);
                m->source = xstrdup(source);
                if (m->options == NULL)
                        m->options = xzalloc(sizeof(char *));
                if ((r = parse_id_mappings(item, w, "uidMappings", &m->uid_mappings, &m->n_uid_mappings, err)) < 0 ||
                    (r = parse_id_mappings(item, w, "gidMappings", &m->gid_mappings, &m->n_gid_mappings, err)) < 0)
                        return r;
                if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
                        return berth_failf(err, EINVAL, "%s: uidMappings and gidMappings must be given together", w);
        }
        return 0;
}

static int parse_capability_set(json_t *caps, const char *where, const char *key, uint64_t *out, char ***unknown,
                                berth_error *err)
{
        cleanup_strv char **names = NULL;
        int r = json_field_strv(caps, where, key, false, &names, err);
        int last = -2;

        if (r < 0 || names == NULL)
                return r;
        for (size_t i = 0; names[i] != NULL; i++) {
                int cap = spec_capability_from_name(names[i]);
                /* runtime-spec 1.1: an unknown capability is logged as a warning (by create), not an error. */
                if (cap < 0) {
                        if (!strv_contains(*unknown, names[i]))
                                *unknown = strv_append(*unknown, names[i]);
                        continue;
                }
                if (last == -2)
                        last = spec_capability_last();
                /* A capability newer than the running kernel cannot be granted; runc skips those too. */
                if (cap > last)
                        continue;
                *out |= UINT64_C(1) << cap;
        }
        return 0;
}

static int parse_rlimits(json_t *process, const char *where, struct spec_process *p, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r = json_field_array(process, where, "rlimits", false, &array, err);

        if (r < 0 || array == NULL)
                return r;
        p->rlimits = xzalloc(json_array_size(array) * sizeof(*p->rlimits));
        json_array_foreach (array, i, item) {
                cleanup_free char *w = xasprintf("%s.rlimits[%zu]", where, i);
                struct spec_rlimit *l = &p->rlimits[i];
                const char *type = NULL;

                p->n_rlimits = i + 1;
                if ((r = json_expect_object(item, w, err)) < 0 ||
                    (r = json_field_string(item, w, "type", true, &type, err)) < 0 ||
                    (r = json_field_u64(item, w, "soft", true, &l->soft, err)) < 0 ||
                    (r = json_field_u64(item, w, "hard", true, &l->hard, err)) < 0)
                        return r;
                l->resource = spec_rlimit_from_name(type);
                l->name = xstrdup(type);
                if (l->resource < 0)
                        return berth_failf(err, EINVAL, "%s.type: unknown rlimit \"%s\"", w, type);
                if (l->soft > l->hard)
                        return berth_failf(err, EINVAL, "%s: soft limit %llu is above the hard limit %llu", w,
                                           (unsigned long long) l->soft, (unsigned long long) l->hard);
                for (size_t j = 0; j < i; j++)
                        if (p->rlimits[j].resource == l->resource)
                                return berth_failf(err, EINVAL, "%s.type: %s is given twice", w, type);
        }
        return 0;
}

int spec_parse_process(json_t *process, const char *where, struct spec_process *p, berth_error *err)
{
        json_t *user = NULL, *caps = NULL, *console = NULL, *gids = NULL, *item;
        const char *cwd = NULL, *apparmor = NULL, *selinux = NULL;
        cleanup_free char *w_user = xasprintf("%s.user", where);
        cleanup_free char *w_caps = xasprintf("%s.capabilities", where);
        size_t i;
        int r;

        if ((r = json_expect_object(process, where, err)) < 0)
                return r;
        if ((r = json_field_bool(process, where, "terminal", false, &p->terminal, err)) < 0 ||
            (r = json_field_object(process, where, "consoleSize", false, &console, err)) < 0 ||
            (r = json_field_string(process, where, "cwd", true, &cwd, err)) < 0 ||
            (r = json_field_strv(process, where, "args", true, &p->args, err)) < 0 ||
            (r = json_field_strv(process, where, "env", false, &p->env, err)) < 0 ||
            (r = json_field_object(process, where, "user", true, &user, err)) < 0 ||
            (r = json_field_object(process, where, "capabilities", false, &caps, err)) < 0 ||
            (r = json_field_bool(process, where, "noNewPrivileges", false, &p->no_new_privileges, err)) < 0 ||
            (r = json_field_string(process, where, "apparmorProfile", false, &apparmor, err)) < 0 ||
            (r = json_field_string(process, where, "selinuxLabel", false, &selinux, err)) < 0 ||
            (r = json_field_object(process, where, "scheduler", false, &p->scheduler, err)) < 0 ||
            (r = json_field_object(process, where, "ioPriority", false, &p->io_priority, err)) < 0 ||
            (r = json_field_object(process, where, "execCPUAffinity", false, &p->exec_cpu_affinity, err)) < 0)
                return r;
        if (p->args[0] == NULL)
                return berth_failf(err, EINVAL, "%s.args: must not be empty", where);
        if (cwd[0] != '/')
                return berth_failf(err, EINVAL, "%s.cwd: \"%s\" is not an absolute path", where, cwd);
        p->cwd = xstrdup(cwd);
        if (p->env == NULL)
                p->env = xzalloc(sizeof(char *));
        for (i = 0; p->env[i] != NULL; i++)
                if (strchr(p->env[i], '=') == NULL || p->env[i][0] == '=')
                        return berth_failf(err, EINVAL, "%s.env[%zu]: \"%s\" is not NAME=VALUE", where, i, p->env[i]);
        p->apparmor_profile = xstrdup(apparmor);
        p->selinux_label = xstrdup(selinux);
        if (console != NULL) {
                cleanup_free char *w = xasprintf("%s.consoleSize", where);
                uint32_t h = 0, wd = 0;
                if ((r = json_field_u32(console, w, "height", true, &h, err)) < 0 ||
                    (r = json_field_u32(console, w, "width", true, &wd, err)) < 0)
                        return r;
                if (h > USHRT_MAX || wd > USHRT_MAX)
                        return berth_failf(err, ERANGE, "%s: %ux%u is larger than a terminal can be", w, h, wd);
                p->has_console_size = true;
                p->console_height = h;
                p->console_width = wd;
        }

        if ((r = json_field_u32(user, w_user, "uid", true, &p->user.uid, err)) < 0 ||
            (r = json_field_u32(user, w_user, "gid", true, &p->user.gid, err)) < 0 ||
            (r = json_field_array(user, w_user, "additionalGids", false, &gids, err)) < 0)
                return r;
        if (json_object_get(user, "umask") != NULL && !json_is_null(json_object_get(user, "umask"))) {
                if ((r = json_field_u32(user, w_user, "umask", true, &p->user.umask, err)) < 0)
                        return r;
                if (p->user.umask > 0777)
                        return berth_failf(err, EINVAL, "%s.umask: %o is not a file mode mask", w_user, p->user.umask);
                p->user.has_umask = true;
        }
        if (gids != NULL) {
                p->user.additional_gids = xzalloc(json_array_size(gids) * sizeof(gid_t));
                json_array_foreach (gids, i, item) {
                        if (!json_is_integer(item) || json_integer_value(item) < 0 ||
                            json_integer_value(item) > UINT32_MAX - 1)
                                return berth_failf(err, EINVAL, "%s.additionalGids[%zu]: expected a gid, got %s",
                                                   w_user, i, json_type_name(item));
                        p->user.additional_gids[i] = (gid_t) json_integer_value(item);
                        p->user.n_additional_gids = i + 1;
                }
        }
        if (json_object_get(user, "username") != NULL && !json_is_string(json_object_get(user, "username")))
                return berth_failf(err, EINVAL, "%s.username: expected a string", w_user);

        if (caps != NULL) {
                struct spec_capabilities *c = &p->capabilities;
                c->present = true;
                if ((r = parse_capability_set(caps, w_caps, "bounding", &c->bounding, &c->unknown, err)) < 0 ||
                    (r = parse_capability_set(caps, w_caps, "effective", &c->effective, &c->unknown, err)) < 0 ||
                    (r = parse_capability_set(caps, w_caps, "inheritable", &c->inheritable, &c->unknown, err)) < 0 ||
                    (r = parse_capability_set(caps, w_caps, "permitted", &c->permitted, &c->unknown, err)) < 0 ||
                    (r = parse_capability_set(caps, w_caps, "ambient", &c->ambient, &c->unknown, err)) < 0)
                        return r;
        }
        if ((r = parse_rlimits(process, where, p, err)) < 0)
                return r;
        if (json_object_get(process, "oomScoreAdj") != NULL && !json_is_null(json_object_get(process, "oomScoreAdj"))) {
                if ((r = json_field_int(process, where, "oomScoreAdj", true, &p->oom_score_adj, err)) < 0)
                        return r;
                if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
                        return berth_failf(err, ERANGE, "%s.oomScoreAdj: %d is outside -1000..1000", where,
                                           p->oom_score_adj);
                p->has_oom_score_adj = true;
        }
        return 0;
}

void spec_process_clear(struct spec_process *p)
{
        free(p->cwd);
        strv_free(p->args);
        strv_free(p->env);
        free(p->user.additional_gids);
        for (size_t i = 0; i < p->n_rlimits; i++)
                free(p->rlimits[i].name);
        free(p->rlimits);
        free(p->apparmor_profile);
        strv_free(p->capabilities.unknown);
        free(p->selinux_label);
        memset(p, 0, sizeof(*p));
}

static int parse_hooks(struct runtime_spec *spec, json_t *doc, berth_error *err)
{
        json_t *hooks = NULL;
        int r = json_field_object(doc, "", "hooks", false, &hooks, err);

        if (r < 0 || hooks == NULL)
                return r;
        for (int k = 0; k < HOOK_KIND_COUNT; k++) {
                cleanup_free char *w = xasprintf("hooks.%s", hook_kind_names[k]);
                json_t *array = NULL, *item;
                size_t i;

                if ((r = json_field_array(hooks, "hooks", hook_kind_names[k], false, &array, err)) < 0)
                        return r;
                if (array == NULL)
                        continue;
                spec->hooks.list[k] = xzalloc(json_array_size(array) * sizeof(struct spec_hook));
                json_array_foreach (array, i, item) {
                        cleanup_free char *wi = xasprintf("%s[%zu]", w, i);
                        struct spec_hook *h = &spec->hooks.list[k][i];
                        const char *path = NULL;

                        spec->hooks.count[k] = i + 1;
                        if ((r = json_expect_object(item, wi, err)) < 0 ||
                            (r = json_field_string(item, wi, "path", true, &path, err)) < 0 ||
                            (r = json_field_strv(item, wi, "args", false, &h->args, err)) < 0 ||
                            (r = json_field_strv(item, wi, "env", false, &h->env, err)) < 0)
                                return r;
                        if (path[0] != '/')
                                return berth_failf(err, EINVAL, "%s.path: \"%s\" is not an absolute path", wi, path);
                        h->path = xstrdup(path);
                        if (json_object_get(item, "timeout") != NULL && !json_is_null(json_object_get(item, "timeout"))) {
                                if ((r = json_field_int(item, wi, "timeout", true, &h->timeout, err)) < 0)
                                        return r;
                                if (h->timeout <= 0)
                                        return berth_failf(err, EINVAL, "%s.timeout: must be greater than 0", wi);
                                h->has_timeout = true;
                        }
                }
        }
        return 0;
}

static int parse_namespaces(struct spec_linux *lx, json_t *linux_obj, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r = json_field_array(linux_obj, "linux", "namespaces", false, &array, err);

        if (r < 0 || array == NULL)
                return r;
        json_array_foreach (array, i, item) {
                cleanup_free char *w = xasprintf("linux.namespaces[%zu]", i);
                const char *type = NULL, *path = NULL;
                int t;

                if ((r = json_expect_object(item, w, err)) < 0 ||
                    (r = json_field_string(item, w, "type", true, &type, err)) < 0 ||
                    (r = json_field_string(item, w, "path", false, &path, err)) < 0)
                        return r;
                for (t = 0; t < NS_COUNT; t++)
                        if (strcmp(type, namespace_table[t].name) == 0)
                                break;
                if (t == NS_COUNT)
                        return berth_failf(err, EINVAL, "%s.type: unknown namespace type \"%s\"", w, type);
                if (lx->namespaces[t].present)
                        return berth_failf(err, EINVAL, "%s.type: namespace \"%s\" is listed twice", w, type);
                lx->namespaces[t].present = true;
                if (path != NULL && path[0] != '\0') {
                        if (path[0] != '/')
                                return berth_failf(err, EINVAL, "%s.path: \"%s\" is not an absolute path", w, path);
                        lx->namespaces[t].path = xstrdup(path);
                }
        }
        return 0;
}

static int parse_time_offsets(struct spec_linux *lx, json_t *linux_obj, berth_error *err)
{
        json_t *offsets = NULL;
        int r = json_field_object(linux_obj, "linux", "timeOffsets", false, &offsets, err);
        const char *key;
        json_t *value;

        if (r < 0 || offsets == NULL)
                return r;
        json_object_foreach (offsets, key, value) {
                cleanup_free char *w = xasprintf("linux.timeOffsets.%s", key);
                struct spec_time_offset *o;

                if (strcmp(key, "monotonic") == 0)
                        o = &lx->time_monotonic;
                else if (strcmp(key, "boottime") == 0)
                        o = &lx->time_boottime;
                else
                        return berth_failf(err, EINVAL, "%s: unknown clock (monotonic and boottime can be offset)", w);
                if ((r = json_expect_object(value, w, err)) < 0 ||
                    (r = json_field_i64(value, w, "secs", false, &o->secs, err)) < 0 ||
                    (r = json_field_u32(value, w, "nanosecs", false, &o->nanosecs, err)) < 0)
                        return r;
                if (o->nanosecs >= 1000000000u)
                        return berth_failf(err, EINVAL, "%s.nanosecs: must be below 1000000000", w);
                o->present = true;
        }
        if ((lx->time_monotonic.present || lx->time_boottime.present) && !lx->namespaces[NS_TIME].present)
                return berth_failf(err, EINVAL, "linux.timeOffsets: set without a time namespace");
        if ((lx->time_monotonic.present || lx->time_boottime.present) && lx->namespaces[NS_TIME].path != NULL)
                return berth_failf(err, EINVAL, "linux.timeOffsets: cannot be applied to a joined time namespace");
        return 0;
}

static int parse_devices(struct spec_linux *lx, json_t *linux_obj, berth_error *err)
{
        json_t *array = NULL, *item;
        size_t i;
        int r = json_field_array(linux_obj, "linux", "devices", false, &array, err);

        if (r < 0 || array == NULL)
                return r;
        lx->devices = xzalloc(json_array_size(array) * sizeof(*lx->devices));
        json_array_foreach (array, i, item) {
                cleanup_free char *w = xasprintf("linux.devices[%zu]", i);
                struct spec_device *d = &lx->devices[i];
                const char *type = NULL, *path = NULL;

                lx->n_devices = i + 1;
                if ((r = json_expect_object(item, w, err)) < 0 ||
                    (r = json_field_string(item, w, "path", true, &path, err)) < 0 ||
                    (r = json_field_string(item, w, "type", true, &type, err)) < 0)
                        return r;
                if (path[0] != '/')
                        return berth_failf(err, EINVAL, "%s.path: \"%s\" is not an absolute path", w, path);
                d->path = path_clean(path);
                if (strlen(type) != 1 || strchr("cubp", type[0]) == NULL)
                        return berth_failf(err, EINVAL, "%s.type: unknown device type \"%s\" (c, b, u or p)", w, type);
                d->type = type[0];
                if (d->type != 'p') {
                        if ((r = json_field_i64(item, w, "major", true, &d->major, err)) < 0 ||
                            (r = json_field_i64(item, w, "minor", true, &d->minor, err)) < 0)
                                return r;
                        if (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff)
                                return berth_failf(err, ERANGE, "%s: %lld:%lld is not a device number", w,
                                                   (long long) d->major, (long long) d->minor);
                }
                if (json_object_get(item, "fileMode") != NULL && !json_is_null(json_object_get(item, "fileMode"))) {
                        if ((r = json_field_u32(item, w, "fileMode", true, &d->file_mode, err)) < 0)
                                return r;
                        if (d->file_mode > 07777)
                                return berth_failf(err, EINVAL, "%s.fileMode: %o is not a file mode", w, d->file_mode);
                        d->has_file_mode = true;
                }
                if (json_object_get(item, "uid") != NULL && !json_is_null(json_object_get(item, "uid"))) {
                        if ((r = json_field_u32(item, w, "uid", true, &d->uid, err)) < 0)
                                return r;
                        d->has_uid = true;
                }
                if (json_object_get(item, "gid") != NULL && !json_is_null(json_object_get(item, "gid"))) {
                        if ((r = json_field_u32(item, w, "gid", true, &d->gid, err)) < 0)
                                return r;
                        d->has_gid = true;
                }
        }
        return 0;
}

static int parse_personality(struct spec_linux *lx, json_t *linux_obj, berth_error *err)
{
        json_t *pers = NULL, *flags = NULL;
        const char *domain = NULL;
        int r = json_field_object(linux_obj, "linux", "personality", false, &pers, err);

        if (r < 0 || pers == NULL)
                return r;
        if ((r = json_field_string(pers, "linux.personality", "domain", true, &domain, err)) < 0 ||
            (r = json_field_array(pers, "linux.personality", "flags", false, &flags, err)) < 0)
                return r;
        if (strcmp(domain, "LINUX") == 0)
                lx->personality = PER_LINUX;
        else if (strcmp(domain, "LINUX32") == 0)
                lx->personality = PER_LINUX32;
        else
                return berth_failf(err, EINVAL, "linux.personality.domain: unknown domain \"%s\" (LINUX or LINUX32)",
                                   domain);
        /* The runtime-spec defines no flag names yet: any flag is one we cannot apply. */
        if (flags != NULL && json_array_size(flags) > 0)
                return berth_failf(err, EINVAL, "linux.personality.flags: no flags are defined, got %zu",
                                   json_array_size(flags));
        lx->has_personality = true;
        return 0;
}

static int parse_linux(struct runtime_spec *spec, json_t *doc, berth_error *err)
{
        struct spec_linux *lx = &spec->linux_section;
        json_t *linux_obj = NULL, *sysctl = NULL, *value;
        const char *cgroups_path = NULL, *propagation = NULL, *mount_label = NULL, *key;
        int r;

        if ((r = json_field_object(doc, "", "linux", false, &linux_obj, err)) < 0)
                return r;
        if (linux_obj == NULL)
                return 0;
        if ((r = parse_namespaces(lx, linux_obj, err)) < 0 ||
            (r = parse_id_mappings(linux_obj, "linux", "uidMappings", &lx->uid_mappings, &lx->n_uid_mappings, err)) < 0 ||
            (r = parse_id_mappings(linux_obj, "linux", "gidMappings", &lx->gid_mappings, &lx->n_gid_mappings, err)) < 0 ||
            (r = parse_time_offsets(lx, linux_obj, err)) < 0 || (r = parse_devices(lx, linux_obj, err)) < 0 ||
            (r = parse_personality(lx, linux_obj, err)) < 0)
                return r;
        if ((r = json_field_string(linux_obj, "linux", "cgroupsPath", false, &cgroups_path, err)) < 0 ||
            (r = json_field_object(linux_obj, "linux", "resources", false, &lx->resources, err)) < 0 ||
            (r = json_field_object(linux_obj, "linux", "seccomp", false, &lx->seccomp, err)) < 0 ||
            (r = json_field_string(linux_obj, "linux", "rootfsPropagation", false, &propagation, err)) < 0 ||
            (r = json_field_strv(linux_obj, "linux", "maskedPaths", false, &lx->masked_paths, err)) < 0 ||
            (r = json_field_strv(linux_obj, "linux", "readonlyPaths", false, &lx->readonly_paths, err)) < 0 ||
            (r = json_field_object(linux_obj, "linux", "sysctl", false, &sysctl, err)) < 0 ||
            (r = json_field_string(linux_obj, "linux", "mountLabel", false, &mount_label, err)) < 0 ||
            (r = json_field_object(linux_obj, "linux", "intelRdt", false, &lx->intel_rdt, err)) < 0)
                return r;
        if (cgroups_path != NULL && cgroups_path[0] != '\0')
                lx->cgroups_path = xstrdup(cgroups_path);
        if (propagation != NULL && propagation[0] != '\0') {
                static const char *const valid[] = {"shared", "slave", "private", "unbindable",
                                                    "rshared", "rslave", "rprivate", "runbindable"};
                bool ok = false;
                for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
                        ok = ok || strcmp(propagation, valid[i]) == 0;
                if (!ok)
                        return berth_failf(err, EINVAL, "linux.rootfsPropagation: unknown propagation \"%s\"",
                                           propagation);
                lx->rootfs_propagation = xstrdup(propagation);
        }
        lx->mount_label = xstrdup(mount_label);
        for (char **p = lx->masked_paths; p && *p; p++)
                if ((*p)[0] != '/')
                        return berth_failf(err, EINVAL, "linux.maskedPaths: \"%s\" is not an absolute path", *p);
        for (char **p = lx->readonly_paths; p && *p; p++)
                if ((*p)[0] != '/')
                        return berth_failf(err, EINVAL, "linux.readonlyPaths: \"%s\" is not an absolute path", *p);
        if (sysctl != NULL) {
                size_t n = 0;
                lx->sysctls = xzalloc(json_object_size(sysctl) * sizeof(*lx->sysctls));
                json_object_foreach (sysctl, key, value) {
                        if (!json_is_string(value))
                                return berth_failf(err, EINVAL, "linux.sysctl.%s: expected a string, got %s", key,
                                                   json_type_name(value));
                        if (key[0] == '\0' || strstr(key, "..") != NULL || key[0] == '/' || key[0] == '.')
                                return berth_failf(err, EINVAL, "linux.sysctl: \"%s\" is not a sysctl name", key);
                        lx->sysctls[n].key = xstrdup(key);
                        lx->sysctls[n].value = xstrdup(json_string_value(value));
                        lx->n_sysctls = ++n;
                }
        }

        /* User namespace and id mappings must agree; the kernel's EINVAL later would not say why. */
        if (lx->namespaces[NS_USER].present && lx->namespaces[NS_USER].path == NULL) {
                if (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0)
                        return berth_failf(err, EINVAL,
                                           "linux.uidMappings/gidMappings: a new user namespace needs both mappings");
        } else if (lx->n_uid_mappings > 0 || lx->n_gid_mappings > 0) {
                if (!lx->namespaces[NS_USER].present)
                        return berth_failf(err, EINVAL,
                                           "linux.uidMappings: id mappings given without a user namespace");
        }
        if (lx->n_uid_mappings > 340 || lx->n_gid_mappings > 340)
                return berth_failf(err, EINVAL, "linux.uidMappings: at most 340 ranges fit in a uid_map");
        return 0;
}

int spec_parse(json_t *doc, const char *bundle, struct runtime_spec **out, berth_error *err)
{
        cleanup_spec struct runtime_spec *spec = xzalloc(sizeof(*spec));
        json_t *root = NULL, *process = NULL;
        const char *version = NULL, *root_path = NULL, *hostname = NULL, *domainname = NULL;
        int r;

        spec->document = json_incref(doc);
        if (!json_is_object(doc))
                return berth_failf(err, EINVAL, "config.json: the document must be an object, got %s",
                                   json_type_name(doc));
        if ((r = json_field_string(doc, "", "ociVersion", true, &version, err)) < 0 ||
            (r = json_field_object(doc, "", "root", true, &root, err)) < 0 ||
            (r = json_field_string(root, "root", "path", true, &root_path, err)) < 0 ||
            (r = json_field_bool(root, "root", "readonly", false, &spec->root_readonly, err)) < 0 ||
            (r = json_field_string(doc, "", "hostname", false, &hostname, err)) < 0 ||
            (r = json_field_string(doc, "", "domainname", false, &domainname, err)) < 0 ||
            (r = json_field_object(doc, "", "process", false, &process, err)) < 0 ||
            (r = json_field_object(doc, "", "annotations", false, &spec->annotations, err)) < 0)
                goto fail;
        if (strncmp(version, "1.", 2) != 0) {
                r = berth_failf(err, EINVAL, "ociVersion: \"%s\" is not a 1.x runtime-spec version", version);
                goto fail;
        }
        if (spec->annotations != NULL) {
                const char *key;
                json_t *value;
                json_object_foreach (spec->annotations, key, value)
                        if (!json_is_string(value)) {
                                r = berth_failf(err, EINVAL, "annotations.%s: expected a string, got %s", key,
                                                json_type_name(value));
                                goto fail;
                        }
        }
        spec->oci_version = xstrdup(version);
        if (root_path[0] == '\0') {
                r = berth_failf(err, EINVAL, "root.path: must not be empty");
                goto fail;
        }
        if (root_path[0] == '/') {
                spec->root_path = path_clean(root_path);
        } else {
                cleanup_free char *joined = xasprintf("%s/%s", bundle, root_path);
                spec->root_path = path_clean(joined);
        }
        spec->hostname = xstrdup(hostname);
        spec->domainname = xstrdup(domainname);
        if (process != NULL) {
                spec->has_process = true;
                if ((r = spec_parse_process(process, "process", &spec->process, err)) < 0)
                        goto fail;
        }
        if ((r = parse_mounts(spec, doc, err)) < 0 || (r = parse_hooks(spec, doc, err)) < 0 ||
            (r = parse_linux(spec, doc, err)) < 0)
                goto fail;
        *out = steal_pointer(&spec);
        return 0;
fail:
        return berth_error_prefix(err, "config.json: ");
}

const char *spec_annotation(const struct runtime_spec *spec, const char *key)
{
        return spec->annotations != NULL ? json_string_value(json_object_get(spec->annotations, key)) : NULL;
}

int spec_load(const char *bundle, struct runtime_spec **out, berth_error *err)
{
        return spec_load_file(bundle, NULL, out, err);
}

int spec_load_file(const char *bundle, const char *config_path, struct runtime_spec **out, berth_error *err)
{
        const char *path = config_path != NULL ? config_path : "config.json";
        cleanup_free char *text = NULL;
        cleanup_json json_t *doc = NULL;
        cleanup_close int dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        size_t len = 0;
        int r;

        if (dirfd < 0)
                return berth_fail(err, errno, "bundle %s", bundle);
        /* An absolute path is read as it is (openat ignores dirfd); a relative one from the bundle, as crun. */
        if ((r = read_file_at(dirfd, path, &text, &len, err)) < 0)
                return path[0] == '/' ? r : berth_error_prefix(err, "%s/", bundle);
        doc = json_load_text(path, text, len, err);
        if (doc == NULL)
                return -err->code;
        if ((r = spec_parse(doc, bundle, out, err)) < 0)
                return r;
        /* Kept as read: the state directory saves these bytes, no re-serialisation needed. */
        (*out)->raw = steal_pointer(&text);
        (*out)->raw_len = len;
        return 0;
}

void spec_free(struct runtime_spec *spec)
{
        struct spec_linux *lx;

        if (spec == NULL)
                return;
        lx = &spec->linux_section;
        free(spec->oci_version);
        free(spec->root_path);
        free(spec->hostname);
        free(spec->domainname);
        for (size_t i = 0; i < spec->n_mounts; i++) {
                free(spec->mounts[i].destination);
                free(spec->mounts[i].type);
                free(spec->mounts[i].source);
                strv_free(spec->mounts[i].options);
                free(spec->mounts[i].uid_mappings);
                free(spec->mounts[i].gid_mappings);
        }
        free(spec->mounts);
        spec_process_clear(&spec->process);
        for (int k = 0; k < HOOK_KIND_COUNT; k++) {
                for (size_t i = 0; i < spec->hooks.count[k]; i++) {
                        free(spec->hooks.list[k][i].path);
                        strv_free(spec->hooks.list[k][i].args);
                        strv_free(spec->hooks.list[k][i].env);
                }
                free(spec->hooks.list[k]);
        }
        for (int t = 0; t < NS_COUNT; t++)
                free(lx->namespaces[t].path);
        free(lx->uid_mappings);
        free(lx->gid_mappings);
        for (size_t i = 0; i < lx->n_devices; i++)
                free(lx->devices[i].path);
        free(lx->devices);
        free(lx->cgroups_path);
        free(lx->rootfs_propagation);
        strv_free(lx->masked_paths);
        strv_free(lx->readonly_paths);
        for (size_t i = 0; i < lx->n_sysctls; i++) {
                free(lx->sysctls[i].key);
                free(lx->sysctls[i].value);
        }
        free(lx->sysctls);
        free(lx->mount_label);
        if (spec->document != NULL)
                json_decref(spec->document);
        free(spec->raw);
        free(spec);
}
