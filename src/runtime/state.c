#include "runtime/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

int container_id_validate(const char *id, berth_error *err)
{
        size_t len = strlen(id);

        if (len == 0)
                return berth_failf(err, EINVAL, "invalid container id: it must not be empty");
        if (len > 1024)
                return berth_failf(err, EINVAL, "invalid container id: longer than 1024 bytes");
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return berth_failf(err, EINVAL, "invalid container id: \"%s\"", id);
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != '+' && *p != '-' && *p != '.')
                        return berth_failf(err, EINVAL, "invalid container id \"%s\": only [A-Za-z0-9_+.-] allowed",
                                           id);
        return 0;
}

static int dup_string_field(json_t *state, const char *key, char **out, berth_error *err)
{
        const char *value = NULL;
        int r = json_field_string(state, "state.json", key, false, &value, err);

        if (r < 0)
                return r;
        *out = xstrdup(value ? value : "");
        return 0;
}

int container_load(const struct runtime_context *ctx, const char *id, struct container **out, berth_error *err)
{
        cleanup_container struct container *c = NULL;
        cleanup_json json_t *state = NULL;
        cleanup_free char *text = NULL;
        size_t len = 0;
        int64_t pid = 0;
        uint64_t start_time = 0;
        json_t *annotations = NULL, *cgroup = NULL;
        bool poststart = false, poststop = false;
        int r;

        if ((r = container_id_validate(id, err)) < 0)
                return r;
        c = xzalloc(sizeof(*c));
        c->state_dirfd = -1;
        c->id = xstrdup(id);
        c->state_dir = xasprintf("%s/%s", ctx->state_root, id);
        c->state_dirfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->state_dirfd < 0) {
                if (errno == ENOENT)
                        return berth_failf(err, ENOENT, "container \"%s\" does not exist", id);
                return berth_fail(err, errno, "open %s", c->state_dir);
        }
        r = read_file_at(c->state_dirfd, "state.json", &text, &len, NULL);
        if (r == -ENOENT) {
                /* Still being created: the record is written once the init is ready. */
                c->oci_version = xstrdup("");
                c->bundle = xstrdup("");
                c->rootfs = xstrdup("");
                c->created = xstrdup("");
                c->owner = xstrdup("");
                *out = steal_pointer(&c);
                return 0;
        }
        if (r < 0)
                return berth_fail(err, -r, "read %s/state.json", c->state_dir);
        state = json_load_text("state.json", text, len, err);
        if (state == NULL)
                return -err->code;
        if ((r = dup_string_field(state, "ociVersion", &c->oci_version, err)) < 0 ||
            (r = dup_string_field(state, "bundle", &c->bundle, err)) < 0 ||
            (r = dup_string_field(state, "rootfs", &c->rootfs, err)) < 0 ||
            (r = dup_string_field(state, "created", &c->created, err)) < 0 ||
            (r = dup_string_field(state, "owner", &c->owner, err)) < 0 ||
            (r = json_field_i64(state, "state.json", "pid", false, &pid, err)) < 0 ||
            (r = json_field_u64(state, "state.json", "berth.startTime", false, &start_time, err)) < 0 ||
            (r = json_field_object(state, "state.json", "annotations", false, &annotations, err)) < 0 ||
            (r = json_field_object(state, "state.json", "berth.cgroup", false, &cgroup, err)) < 0 ||
            (r = json_field_bool(state, "state.json", "berth.poststartHooks", false, &poststart, err)) < 0 ||
            (r = json_field_bool(state, "state.json", "berth.poststopHooks", false, &poststop, err)) < 0)
                return r;
        if (cgroup != NULL && (r = cgroup_manager_from_json(cgroup, &c->cgroup, err)) < 0)
                return berth_error_prefix(err, "%s/state.json: ", c->state_dir);
        c->recorded = true;
        c->pid = (pid_t) pid;
        c->start_time = start_time;
        c->annotations = annotations ? json_incref(annotations) : NULL;
        c->poststart_hooks = poststart;
        c->poststop_hooks = poststop;
        *out = steal_pointer(&c);
        return 0;
}

void container_free(struct container *c)
{
        if (c == NULL)
                return;
        if (c->state_dirfd >= 0)
                close(c->state_dirfd);
        free(c->id);
        free(c->state_dir);
        free(c->oci_version);
        free(c->bundle);
        free(c->rootfs);
        free(c->created);
        free(c->owner);
        if (c->annotations)
                json_decref(c->annotations);
        cgroup_manager_free(c->cgroup);
        free(c);
}

int container_save(const struct container *c, int dirfd, berth_error *err)
{
        cleanup_json json_t *state = json_object();
        cleanup_free char *text = NULL;

        json_object_set_new(state, "ociVersion", json_string(c->oci_version ? c->oci_version : ""));
        json_object_set_new(state, "id", json_string(c->id));
        json_object_set_new(state, "pid", json_integer(c->pid));
        json_object_set_new(state, "bundle", json_string(c->bundle ? c->bundle : ""));
        json_object_set_new(state, "rootfs", json_string(c->rootfs ? c->rootfs : ""));
        json_object_set_new(state, "created", json_string(c->created ? c->created : ""));
        json_object_set_new(state, "owner", json_string(c->owner ? c->owner : ""));
        if (c->annotations != NULL)
                json_object_set(state, "annotations", c->annotations);
        json_object_set_new(state, "berth.startTime", json_integer((json_int_t) c->start_time));
        if (c->cgroup != NULL)
                json_object_set_new(state, "berth.cgroup", cgroup_manager_to_json(c->cgroup));
        /* start and delete read the saved config only when it has hooks for them to run. */
        if (c->poststart_hooks)
                json_object_set_new(state, "berth.poststartHooks", json_true());
        if (c->poststop_hooks)
                json_object_set_new(state, "berth.poststopHooks", json_true());
        text = json_to_string(state);
        return write_file_atomic_at(dirfd, "state.json", text, strlen(text), 0600, false, err);
}

int container_remove_record(int dirfd, const char *state_dir, berth_error *err)
{
        static const char *const files[] = {"exec.fifo", "state.json", "config.json"};
        cleanup_closedir DIR *d = NULL;
        struct dirent *e;

        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (unlinkat(dirfd, files[i], 0) < 0 && errno != ENOENT)
                        return berth_fail(err, errno, "remove %s/%s", state_dir, files[i]);
        /* Leftover temporary files of an interrupted atomic write. */
        if ((d = opendir_at(dirfd)) != NULL)
                while ((e = readdir(d)) != NULL)
                        if (e->d_name[0] != '.')
                                unlinkat(dirfd, e->d_name, 0);
        return 0;
}

int container_lock(struct container *c, berth_error *err)
{
        int r;

        do
                r = flock(c->state_dirfd, LOCK_EX);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return berth_fail(err, errno, "lock %s", c->state_dir);
        c->locked = true;
        return 0;
}

void container_unlock(struct container *c)
{
        if (c->locked)
                (void) flock(c->state_dirfd, LOCK_UN);
        c->locked = false;
}

bool container_init_alive(const struct container *c)
{
        char state = 0;
        uint64_t start_time = 0;

        if (c->pid <= 0)
                return false;
        if (process_stat_info(c->pid, &state, &start_time) < 0)
                return false;
        /* A recycled pid has another start time; a zombie (Z) or dead (X) init runs nothing any more. */
        if (c->start_time != 0 && start_time != c->start_time)
                return false;
        return state != 'Z' && state != 'X';
}

int container_status(const struct container *c, enum container_status *out, berth_error *err)
{
        struct stat st;

        if (!c->recorded) {
                *out = CONTAINER_CREATING;
                return 0;
        }
        if (!container_init_alive(c)) {
                *out = CONTAINER_STOPPED;
                return 0;
        }
        if (fstatat(c->state_dirfd, "exec.fifo", &st, AT_SYMLINK_NOFOLLOW) == 0) {
                *out = CONTAINER_CREATED;
                return 0;
        }
        if (c->cgroup != NULL) {
                bool frozen = false;
                /* A cgroup that cannot be read (removed under us) is not paused: report running. */
                if (cgroup_manager_is_frozen(c->cgroup, &frozen, NULL) == 0 && frozen) {
                        *out = CONTAINER_PAUSED;
                        return 0;
                }
        }
        (void) err;
        *out = CONTAINER_RUNNING;
        return 0;
}

const char *container_status_name(enum container_status s)
{
        switch (s) {
        case CONTAINER_CREATING:
                return "creating";
        case CONTAINER_CREATED:
                return "created";
        case CONTAINER_RUNNING:
                return "running";
        case CONTAINER_PAUSED:
                return "paused";
        case CONTAINER_STOPPED:
                return "stopped";
        }
        return "unknown";
}

json_t *container_state_json(const struct container *c, enum container_status status)
{
        /* runc's `state` output: the OCI state (ociVersion, id, status, pid, bundle, annotations) plus rootfs,
         * created and owner, which engines (containerd's go-runc) parse too. */
        json_t *j = json_object();
        bool has_pid = status == CONTAINER_CREATED || status == CONTAINER_RUNNING || status == CONTAINER_PAUSED;

        json_object_set_new(j, "ociVersion", json_string("1.2.0"));
        json_object_set_new(j, "id", json_string(c->id));
        json_object_set_new(j, "pid", json_integer(has_pid ? c->pid : 0));
        json_object_set_new(j, "status", json_string(container_status_name(status)));
        json_object_set_new(j, "bundle", json_string(c->bundle ? c->bundle : ""));
        json_object_set_new(j, "rootfs", json_string(c->rootfs ? c->rootfs : ""));
        json_object_set_new(j, "created", json_string(c->created ? c->created : ""));
        if (c->annotations != NULL && json_object_size(c->annotations) > 0)
                json_object_set(j, "annotations", c->annotations);
        json_object_set_new(j, "owner", json_string(c->owner ? c->owner : ""));
        return j;
}

static int compare_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int container_list_ids(const struct runtime_context *ctx, char ***out, berth_error *err)
{
        cleanup_closedir DIR *d = opendir(ctx->state_root);
        char **ids = xzalloc(sizeof(char *));
        size_t n = 0;
        struct dirent *e;

        if (d == NULL) {
                if (errno == ENOENT) {
                        *out = ids;
                        return 0;
                }
                free(ids);
                return berth_fail(err, errno, "open %s", ctx->state_root);
        }
        while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
                        continue;
                if (container_id_validate(e->d_name, NULL) < 0)
                        continue;
                ids = xrealloc(ids, (n + 2) * sizeof(char *));
                ids[n++] = xstrdup(e->d_name);
                ids[n] = NULL;
        }
        qsort(ids, n, sizeof(char *), compare_strings);
        *out = ids;
        return 0;
}
