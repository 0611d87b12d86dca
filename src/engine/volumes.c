/* Volumes and the container's mounts. -v/--volume, --mount and --tmpfs (HostConfig Binds, Mounts, Tmpfs)
 * plus the image's VOLUMEs (Config.Volumes) become one list in docker's inspect form (Mounts), decided at
 * create: named volumes are made when missing, anonymous ones get a random name, bind sources are checked.
 * A volume is ROOT/volumes/NAME/_data (docker's local driver layout). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/events.h"
#include "lib/cleanup.h"
#include "engine/create.h"
#include "engine/db.h"
#include "image/fsutil.h"
#include "lib/path.h"
#include "lib/util.h"

bool engine_volume_name_is_valid(const char *name)
{
        size_t n = strlen(name);

        if (n < 2 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
                       (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '.' || *p == '-'))
                        return false;
        return true;
}

char *engine_volume_path(struct engine *e, const char *name)
{
        return xasprintf("%s/volumes/%s/_data", e->store->root, name);
}

/* docker's volume events: Actor.ID the name, the driver as attribute. */
static void volume_event(struct engine *e, const char *name, const char *action)
{
        json_t *attrs = json_pack("{s:s}", "driver", "local");

        (void) engine_event_append(e->store->root, "volume", action, name, NULL, attrs, NULL);
        json_decref(attrs);
}

void engine_volume_events(struct engine *e, const struct engine_container *c, const char *action)
{
        size_t i;
        json_t *m;

        json_array_foreach(c->mounts, i, m) {
                const char *name = json_string_value(json_object_get(m, "Name"));
                json_t *attrs;
                if (strcmp(json_string_value(json_object_get(m, "Type")) ?: "", "volume") != 0 || name == NULL)
                        continue;
                if (strcmp(action, "mount") == 0)
                        attrs = json_pack("{s:s,s:s,s:s,s:s,s:s}", "container", c->id, "destination",
                                          json_string_value(json_object_get(m, "Destination")) ?: "", "driver", "local",
                                          "propagation", json_string_value(json_object_get(m, "Propagation")) ?: "",
                                          "read/write", json_is_false(json_object_get(m, "RW")) ? "false" : "true");
                else
                        attrs = json_pack("{s:s,s:s}", "container", c->id, "driver", "local");
                /* As the container's own events: a journal that cannot be written does not fail the run. */
                (void) engine_event_append(e->store->root, "volume", action, name, NULL, attrs, NULL);
                json_decref(attrs);
        }
}

int engine_volume_create(struct engine *e, const char *name, json_t *labels, bool anonymous, berth_error *err)
{
        cleanup_free char *dir = xasprintf("volumes/%s", name), *data = xasprintf("volumes/%s/_data", name);
        cleanup_free char *created = engine_now_rfc3339();
        struct engine_volume v = {.name = (char *) name, .created = created, .labels = labels, .anonymous = anonymous};
        int r;

        if (!engine_volume_name_is_valid(name))
                return berth_failf(err, EINVAL,
                                   "create %s: \"%s\" includes invalid characters for a local volume name, only "
                                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
                                   "use absolute path",
                                   name, name);
        if ((mkdirat(e->store->rootfd, dir, 0701) < 0 && errno != EEXIST) ||
            (mkdirat(e->store->rootfd, data, 0755) < 0 && errno != EEXIST))
                return berth_fail(err, errno, "create volume %s", name);
        if ((r = engine_db_volume_put(e, &v, err)) < 0)
                return r;
        volume_event(e, name, "create");
        return 0;
}

int engine_volume_remove(struct engine *e, const char *name, bool force, berth_error *err)
{
        cleanup_free char *dir = xasprintf("volumes/%s", name);
        int r;

        (void) force;
        if ((r = engine_db_volume_delete(e, name, err)) < 0)
                return r;
        if ((r = fs_remove_tree_at(e->store->rootfd, dir, err)) < 0)
                return r;
        volume_event(e, name, "destroy");
        return 0;
}

/* ---- the mount list ---- */

static bool destination_taken(const json_t *mounts, const char *dest)
{
        size_t i;
        json_t *v;

        json_array_foreach(mounts, i, v)
                if (strcmp(json_string_value(json_object_get(v, "Destination")) ?: "", dest) == 0)
                        return true;
        return false;
}

static int add_mount(json_t *mounts, json_t *m, berth_error *err)
{
        const char *dest = json_string_value(json_object_get(m, "Destination"));

        if (dest == NULL || dest[0] != '/') {
                json_decref(m);
                return berth_failf(err, EINVAL, "invalid mount config: mount path must be absolute: \"%s\"", dest ? dest : "");
        }
        if (destination_taken(mounts, dest)) {
                json_decref(m);
                return berth_failf(err, EINVAL, "Duplicate mount point: %s", dest);
        }
        json_array_append_new(mounts, m);
        return 0;
}

static json_t *volume_mount(struct engine *e, const char *name, const char *dest, bool rw, const char *mode)
{
        cleanup_free char *src = engine_volume_path(e, name);
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "volume", "Name", name, "Source", src, "Destination",
                         dest, "Driver", "local", "Mode", mode, "RW", rw, "Propagation", "");
}

static json_t *bind_mount(const char *src, const char *dest, bool rw, const char *mode)
{
        return json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "bind", "Source", src, "Destination", dest, "Mode", mode, "RW",
                         rw, "Propagation", "rprivate");
}

/* -v SRC:DST[:OPTS], -v DST (anonymous). OPTS: ro, rw, z, Z (SELinux relabel: ignored), nocopy. */
static int parse_bind(struct engine *e, const char *spec, json_t *mounts, berth_error *err)
{
        cleanup_free char *copy = xstrdup(spec);
        char *parts[4] = {0};
        size_t n = 0;
        bool rw = true;
        char *save = NULL;
        const char *mode = "";

        for (char *t = strtok_r(copy, ":", &save); t && n < 4; t = strtok_r(NULL, ":", &save))
                parts[n++] = t;
        if (n == 0 || n > 3 || spec[0] == ':')
                return berth_failf(err, EINVAL, "invalid volume specification: '%s'", spec);
        if (n == 3 || (n == 2 && parts[1][0] != '/')) {
                const char *opts = parts[n - 1];
                cleanup_free char *o = xstrdup(opts);
                mode = spec + (opts - copy);
                char *s2 = NULL;
                for (char *t = strtok_r(o, ",", &s2); t; t = strtok_r(NULL, ",", &s2)) {
                        if (strcmp(t, "ro") == 0)
                                rw = false;
                        else if (strcmp(t, "rw") != 0 && strcmp(t, "z") != 0 && strcmp(t, "Z") != 0 &&
                                 strcmp(t, "nocopy") != 0 && strcmp(t, "private") != 0 && strcmp(t, "rprivate") != 0)
                                return berth_failf(err, EINVAL, "invalid mode: %s", opts);
                }
                n--;
                if (n == 1) { /* "DST:ro": an anonymous volume with options */
                        cleanup_free char *name = engine_new_id();
                        return add_mount(mounts, volume_mount(e, name, parts[0], rw, opts), err);
                }
        }
        if (n == 1) {
                cleanup_free char *name = engine_new_id();
                return add_mount(mounts, volume_mount(e, name, parts[0], true, ""), err);
        }
        if (parts[0][0] == '/') {
                struct stat st;
                /* docker creates a missing bind source for -v (not for --mount). */
                if (stat(parts[0], &st) < 0 && mkdir_parents(parts[0], 0755, err) < 0)
                        return berth_error_prefix(err, "error while creating mount source path '%s': ", parts[0]);
                return add_mount(mounts, bind_mount(parts[0], parts[1], rw, mode), err);
        }
        if (!engine_volume_name_is_valid(parts[0]))
                return berth_failf(err, EINVAL,
                                   "create %s: \"%s\" includes invalid characters for a local volume name, only "
                                   "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
                                   "use absolute path",
                                   parts[0], parts[0]);
        return add_mount(mounts, volume_mount(e, parts[0], parts[1], rw, *mode ? mode : "z"), err);
}

/* --mount type=bind|volume|tmpfs,source=,target=,readonly (HostConfig.Mounts as the CLI parsed it). */
static int parse_mount_object(struct engine *e, json_t *m, json_t *mounts, berth_error *err)
{
        const char *type = json_string_value(json_object_get(m, "Type")) ?: "volume";
        const char *src = json_string_value(json_object_get(m, "Source")) ?: "";
        const char *dst = json_string_value(json_object_get(m, "Target")) ?: "";
        bool rw = !json_is_true(json_object_get(m, "ReadOnly"));
        struct stat st;

        if (*dst == '\0')
                return berth_failf(err, EINVAL, "invalid mount config for type \"%s\": field Target must not be empty", type);
        if (strcmp(type, "bind") == 0) {
                if (*src == '\0')
                        return berth_failf(err, EINVAL, "invalid mount config for type \"bind\": field Source must not be empty");
                if (stat(src, &st) < 0)
                        return berth_failf(err, ENOENT, "invalid mount config for type \"bind\": bind source path does not exist: %s",
                                           src);
                return add_mount(mounts, bind_mount(src, dst, rw, ""), err);
        }
        if (strcmp(type, "volume") == 0) {
                cleanup_free char *name = *src ? xstrdup(src) : engine_new_id();
                if (!engine_volume_name_is_valid(name))
                        return berth_failf(err, EINVAL, "invalid mount config for type \"volume\": invalid volume name \"%s\"", src);
                return add_mount(mounts, volume_mount(e, name, dst, rw, "z"), err);
        }
        if (strcmp(type, "tmpfs") == 0) {
                json_int_t size = json_integer_value(json_object_get(m, "TmpfsSize"));
                json_int_t mode = json_integer_value(json_object_get(m, "TmpfsMode"));
                cleanup_free char *opts = size > 0 && mode > 0 ? xasprintf("size=%lld,mode=%llo", (long long) size, (unsigned long long) mode)
                                          : size > 0           ? xasprintf("size=%lld", (long long) size)
                                          : mode > 0           ? xasprintf("mode=%llo", (unsigned long long) mode)
                                                               : xstrdup("");
                return add_mount(mounts,
                                 json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "Type", "tmpfs", "Source", "", "Destination", dst,
                                           "Mode", "", "RW", rw, "Propagation", "", "Options", opts),
                                 err);
        }
        return berth_failf(err, EINVAL, "invalid mount config: mount type unknown: \"%s\"", type);
}

int engine_resolve_mounts(struct engine *e, const char *id, json_t *config, json_t *hc, json_t **out, berth_error *err)
{
        json_t *mounts = json_array(), *v;
        const char *key;
        size_t i;
        int r = 0;

        (void) id;
        json_array_foreach(json_object_get(hc, "Binds"), i, v)
                if ((r = parse_bind(e, json_string_value(v) ?: "", mounts, err)) < 0)
                        goto fail;
        json_array_foreach(json_object_get(hc, "Mounts"), i, v)
                if ((r = parse_mount_object(e, v, mounts, err)) < 0)
                        goto fail;
        json_object_foreach(json_object_get(hc, "Tmpfs"), key, v) {
                json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "Type", "tmpfs", "Source", "", "Destination", key,
                                      "Mode", "", "RW", true, "Propagation", "", "Options", json_string_value(v) ?: "");
                if ((r = add_mount(mounts, m, err)) < 0)
                        goto fail;
        }
        /* The image's VOLUMEs that nothing else covers become anonymous volumes. */
        json_object_foreach(json_object_get(config, "Volumes"), key, v) {
                cleanup_free char *clean = path_clean(key), *name = NULL;
                if (destination_taken(mounts, clean))
                        continue;
                name = engine_new_id();
                if ((r = add_mount(mounts, volume_mount(e, name, clean, true, ""), err)) < 0)
                        goto fail;
        }
        *out = mounts;
        return 0;
fail:
        json_decref(mounts);
        return r;
}

int engine_record_mount_volumes(struct engine *e, const char *id, const json_t *mounts, berth_error *err)
{
        size_t i;
        json_t *v;
        int r;

        json_array_foreach(mounts, i, v) {
                const char *name = json_string_value(json_object_get(v, "Name"));
                if (name == NULL || strcmp(json_string_value(json_object_get(v, "Type")) ?: "", "volume") != 0)
                        continue;
                /* Anonymous volumes are named by 64 hex digits, as docker's. */
                bool anonymous = strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
                if ((r = engine_volume_create(e, name, NULL, anonymous, err)) < 0 ||
                    (r = engine_db_volume_use(e, id, name, json_string_value(json_object_get(v, "Destination")), err)) < 0)
                        return r;
        }
        return 0;
}

/* ---- volume commands ---- */

int engine_volume_list(struct engine *e, struct engine_volume **out, size_t *n, berth_error *err)
{
        return engine_db_volume_list(e, out, n, err);
}

int engine_volume_get(struct engine *e, const char *name, struct engine_volume *out, berth_error *err)
{
        return engine_db_volume_get(e, name, out, err);
}

static const char *const VOLUME_FILTER_KEYS[] = {"name", "label", "dangling", "driver"};

static bool volume_value_matches(struct engine *e, size_t key, const struct engine_volume *v, const char *value)
{
        switch (key) {
        case 0: return strstr(v->name, value) != NULL;
        case 1: return engine_labels_match(v->labels, value);
        case 2: {
                cleanup_strv char **users = NULL;
                berth_error ignored = {0};
                bool dangling = engine_db_volume_users(e, v->name, &users, &ignored) == 0 && users[0] == NULL;
                berth_error_clear(&ignored);
                return dangling == (strcmp(value, "true") == 0 || strcmp(value, "1") == 0);
        }
        default: return strcmp(value, "local") == 0;
        }
}

int engine_volume_filter(struct engine *e, struct engine_volume *list, size_t *n, char *const *filters, berth_error *err)
{
        size_t kept = 0;

        for (char *const *f = filters; f && *f; f++) {
                const char *eq = strchr(*f, '=');
                size_t key = ARRAY_SIZE(VOLUME_FILTER_KEYS);
                if (eq == NULL)
                        return berth_failf(err, EINVAL, "bad format of filter (expected name=value): %s", *f);
                for (size_t k = 0; k < ARRAY_SIZE(VOLUME_FILTER_KEYS); k++)
                        if (strlen(VOLUME_FILTER_KEYS[k]) == (size_t) (eq - *f) && strncmp(*f, VOLUME_FILTER_KEYS[k], (size_t) (eq - *f)) == 0)
                                key = k;
                if (key == ARRAY_SIZE(VOLUME_FILTER_KEYS))
                        return berth_failf(err, EINVAL, "invalid filter '%.*s'", (int) (eq - *f), *f);
                if (key == 2 && strcmp(eq + 1, "true") != 0 && strcmp(eq + 1, "1") != 0 && strcmp(eq + 1, "false") != 0 &&
                    strcmp(eq + 1, "0") != 0)
                        return berth_failf(err, EINVAL, "invalid filter 'dangling=%s'", eq + 1);
        }
        for (size_t i = 0; i < *n; i++) {
                bool keep = true;
                for (size_t k = 0; k < ARRAY_SIZE(VOLUME_FILTER_KEYS) && keep; k++) {
                        size_t klen = strlen(VOLUME_FILTER_KEYS[k]);
                        bool seen = false, any = false, all = true;
                        for (char *const *f = filters; f && *f; f++) {
                                bool m;
                                if (strncmp(*f, VOLUME_FILTER_KEYS[k], klen) != 0 || (*f)[klen] != '=')
                                        continue;
                                seen = true;
                                m = volume_value_matches(e, k, &list[i], *f + klen + 1);
                                any = any || m;
                                all = all && m;
                        }
                        /* Labels: every one asked for; the other keys: any of the values. */
                        keep = !seen || (k == 1 ? all : any);
                }
                if (keep)
                        list[kept++] = list[i];
                else
                        engine_volume_clear(&list[i]);
        }
        *n = kept;
        return 0;
}

int engine_volume_rm(struct engine *e, const char *name, bool force, berth_error *err)
{
        cleanup_strv char **users = NULL;
        int r;

        if ((r = engine_db_volume_users(e, name, &users, err)) < 0)
                return r;
        if (users[0] != NULL)
                return berth_failf(err, EBUSY, "remove %s: volume is in use - [%s]", name, users[0]);
        return engine_volume_remove(e, name, force, err);
}

int engine_volume_prune(struct engine *e, bool all, const struct engine_prune_filter *f, char ***names, uint64_t *reclaimed,
                        berth_error *err)
{
        struct engine_volume *list = NULL;
        char **removed = xzalloc(sizeof(char *));
        size_t n = 0;
        int r;

        *reclaimed = 0;
        if ((r = engine_db_volume_list(e, &list, &n, err)) < 0) {
                free(removed);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                berth_error ignored = {0};
                cleanup_free char *dir = xasprintf("volumes/%s", list[i].name);
                uint64_t size = 0;
                /* docker 23+: only anonymous volumes unless all. A volume in use stays. */
                bool candidate = (all || list[i].anonymous) && engine_prune_filter_match(f, list[i].labels, list[i].created);
                if (candidate && fs_tree_size_at(e->store->rootfd, dir, &size, &ignored) < 0)
                        berth_error_clear(&ignored);
                if (candidate && engine_volume_rm(e, list[i].name, false, &ignored) == 0) {
                        removed = strv_append(removed, list[i].name);
                        *reclaimed += size;
                }
                berth_error_clear(&ignored);
                engine_volume_clear(&list[i]);
        }
        free(list);
        *names = removed;
        engine_event_prune(e->store->root, "volume", *reclaimed);
        return 0;
}

json_t *engine_volume_json(struct engine *e, const struct engine_volume *v)
{
        cleanup_free char *mp = engine_volume_path(e, v->name);

        return json_pack("{s:s,s:s,s:o,s:s,s:s,s:n,s:s}", "CreatedAt", v->created, "Driver", "local", "Labels",
                         v->labels ? json_incref(v->labels) : json_object(), "Mountpoint", mp, "Name", v->name, "Options",
                         "Scope", "local");
}
