/* RUN's flags (builder_internal.h): --mount=type=bind|cache|tmpfs|secret as BuildKit defines them, turned
 * into the step container's HostConfig.Mounts, and what each adds to the step's cache key; --network
 * none|host|default for one RUN; --security=sandbox (the default; insecure is refused). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/builder_internal.h"
#include "build/words.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/path.h"
#include "lib/size.h"
#include "lib/util.h"

struct mount_spec {
        char *type, *target, *source, *id, *size, *mode, *uid, *gid, *from, *sharing, *env;
        bool readonly, readwrite, required;
};

static void spec_clear(struct mount_spec *m)
{
        char **fields[] = {&m->type, &m->target, &m->source, &m->id, &m->size, &m->mode, &m->uid, &m->gid, &m->from,
                           &m->sharing, &m->env};

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
                free(*fields[i]);
}

static int parse_spec(const char *text, struct mount_spec *m, berth_error *err)
{
        cleanup_free char *copy = xstrdup(text);
        char *save = NULL;

        for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                const char *v = eq ? eq + 1 : NULL;
                char **slot = NULL;
                if (eq != NULL)
                        *eq = '\0';
                if (strcmp(kv, "type") == 0)
                        slot = &m->type;
                else if (strcmp(kv, "target") == 0 || strcmp(kv, "dst") == 0 || strcmp(kv, "destination") == 0)
                        slot = &m->target;
                else if (strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0)
                        slot = &m->source;
                else if (strcmp(kv, "id") == 0)
                        slot = &m->id;
                else if (strcmp(kv, "size") == 0)
                        slot = &m->size;
                else if (strcmp(kv, "mode") == 0)
                        slot = &m->mode;
                else if (strcmp(kv, "uid") == 0)
                        slot = &m->uid;
                else if (strcmp(kv, "gid") == 0)
                        slot = &m->gid;
                else if (strcmp(kv, "from") == 0)
                        slot = &m->from;
                else if (strcmp(kv, "sharing") == 0)
                        slot = &m->sharing;
                else if (strcmp(kv, "env") == 0)
                        slot = &m->env;
                else if (strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0)
                        m->readonly = v == NULL || strcasecmp(v, "true") == 0;
                else if (strcmp(kv, "rw") == 0 || strcmp(kv, "readwrite") == 0)
                        m->readwrite = v == NULL || strcasecmp(v, "true") == 0;
                else if (strcmp(kv, "required") == 0)
                        m->required = v == NULL || strcasecmp(v, "true") == 0;
                else
                        return berth_failf(err, EINVAL, "--mount: unexpected key '%s'", kv);
                if (slot != NULL) {
                        if (v == NULL)
                                return berth_failf(err, EINVAL, "--mount: %s needs a value", kv);
                        free(*slot);
                        *slot = xstrdup(v);
                }
        }
        if (m->type == NULL)
                m->type = xstrdup("bind");
        return 0;
}

/* --secret id=ID,src=PATH (or source=, file=): the file behind ID, or NULL. */
static char *secret_source(struct build *b, const char *id)
{
        for (char **s = b->o->secrets; s && *s; s++) {
                cleanup_free char *copy = xstrdup(*s);
                char *save = NULL, *found_id = NULL, *src = NULL;
                for (char *kv = strtok_r(copy, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
                        if (str_has_prefix(kv, "id="))
                                found_id = kv + 3;
                        else if (str_has_prefix(kv, "src="))
                                src = kv + 4;
                        else if (str_has_prefix(kv, "source="))
                                src = kv + 7;
                        else if (str_has_prefix(kv, "file="))
                                src = kv + 5;
                }
                if (found_id != NULL && strcmp(found_id, id) == 0 && src != NULL)
                        return xstrdup(src);
        }
        return NULL;
}

/* A line "KIND A B" of the step's key text. */
static void append_text(char **text, const char *kind, const char *a, const char *b2)
{
        char *next = xasprintf("%s\n%s %s %s", *text ? *text : "", kind, a ? a : "", b2 ? b2 : "");
        free(*text);
        *text = next;
}

static int add_bind(struct build *b, struct mount_spec *m, json_t *mounts, char **key_text, berth_error *err)
{
        cleanup_close int fd = -1;
        char self[PROC_FD_PATH_MAX], real[PATH_MAX];
        cleanup_digest struct digest_ctx *d = digest_new();
        char content[DIGEST_STRING_LEN + 1];
        ssize_t n;

        if (m->from != NULL)
                return berth_failf(err, ENOTSUP, "--mount=type=bind,from=%s is not supported yet", m->from);
        if (m->readwrite)
                return berth_failf(err, ENOTSUP, "--mount=type=bind,rw (writes discarded) is not supported yet");
        /* Beneath the context, as COPY's sources; mounted read-only from where it lies. */
        if ((fd = build_open_in_context(b, m->source ? m->source : ".", O_PATH, err)) < 0)
                return fd;
        proc_fd_path(fd, self);
        if ((n = readlink(self, real, sizeof(real) - 1)) < 0)
                return berth_fail(err, errno, "resolve %s", m->source ? m->source : ".");
        real[n] = '\0';
        build_hash_source(d, b, m->source ? m->source : ".");
        digest_final(d, content);
        append_text(key_text, "bind", m->target, content);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", real, "Target", m->target,
                                                "ReadOnly", true));
        return 0;
}

static int add_cache(struct build *b, struct mount_spec *m, json_t *mounts, char **key_text, berth_error *err)
{
        const char *id = m->id ? m->id : m->target;
        char digest[DIGEST_STRING_LEN + 1];
        cleanup_free char *dir = NULL;
        unsigned long mode = 0755;
        int uid = 0, gid = 0, r;

        if (m->from != NULL)
                return berth_failf(err, ENOTSUP, "--mount=type=cache,from=%s is not supported yet", m->from);
        if ((m->uid && parse_int(m->uid, &uid) < 0) || (m->gid && parse_int(m->gid, &gid) < 0) || uid < 0 || gid < 0)
                return berth_failf(err, EINVAL, "--mount=type=cache: invalid uid or gid");
        if (m->mode != NULL) {
                char *end;
                mode = strtoul(m->mode, &end, 8);
                if (*end != '\0' || mode > 07777)
                        return berth_failf(err, EINVAL, "--mount=type=cache: invalid mode %s", m->mode);
        }
        /* One directory per cache id, kept across builds in the store until `builder prune`. Its content is
         * not part of any key: that is what a cache mount is for. */
        digest_buffer(id, strlen(id), digest);
        dir = xasprintf("%s/build-cache/mounts/%s", b->e->store->root, digest + 7);
        if (access(dir, F_OK) < 0) {
                if ((r = mkdir_parents(dir, 0700, err)) < 0)
                        return r;
                if (chown(dir, (uid_t) uid, (gid_t) gid) < 0 || chmod(dir, (mode_t) mode) < 0)
                        return berth_fail(err, errno, "set up the cache mount %s", dir);
        }
        append_text(key_text, "cache", m->target, id);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", dir, "Target", m->target,
                                                "ReadOnly", m->readonly));
        return 0;
}

static int add_tmpfs(struct mount_spec *m, json_t *mounts, char **key_text, berth_error *err)
{
        int64_t size = 0;

        if (m->size != NULL && size_parse(m->size, 0, &size) < 0)
                return berth_failf(err, EINVAL, "--mount=type=tmpfs: invalid size %s", m->size);
        append_text(key_text, "tmpfs", m->target, m->size);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:I}", "Type", "tmpfs", "Target", m->target, "TmpfsSize",
                                                (json_int_t) size));
        return 0;
}

static int add_secret(struct build *b, struct mount_spec *m, json_t *mounts, char **key_text, berth_error *err)
{
        cleanup_free char *id = NULL, *target = NULL, *src = NULL;
        struct stat st;

        if (m->env != NULL || m->mode != NULL || m->uid != NULL || m->gid != NULL)
                return berth_failf(err, ENOTSUP, "--mount=type=secret with env, mode, uid or gid is not supported yet");
        id = m->id ? xstrdup(m->id) : m->target ? xstrdup(strrchr(m->target, '/') ? strrchr(m->target, '/') + 1 : m->target)
                                                : NULL;
        if (id == NULL || *id == '\0')
                return berth_failf(err, EINVAL, "--mount=type=secret needs an id or a target");
        target = m->target ? xstrdup(m->target) : xasprintf("/run/secrets/%s", id);
        src = secret_source(b, id);
        if (src == NULL) {
                if (m->required)
                        return berth_failf(err, ENOENT, "secret %s: not provided (--secret id=%s,src=PATH)", id, id);
                return 0; /* BuildKit: an optional secret that is not given is not mounted */
        }
        if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
                return berth_failf(err, ENOENT, "secret %s: %s is not a readable file", id, src);
        /* The secret's content is never part of the key, nor of any layer: it is a read-only mount. */
        append_text(key_text, "secret", id, target);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", src, "Target", target,
                                                "ReadOnly", true));
        return 0;
}

int build_run_flags(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins,
                    json_t **mounts_out, const char **network, char **key_text, berth_error *err)
{
        cleanup_json json_t *mounts = json_array();
        cleanup_strv char **env = build_state_env(st);
        int r;

        *network = NULL;
        for (size_t i = 0; i < ins->n_flags; i++) {
                const struct dockerfile_flag *f = &ins->flags[i];
                cleanup_free char *value = NULL;
                struct mount_spec m = {0};

                if ((r = dockerfile_expand_word(f->value, b->df->escape, env, &value, err)) < 0)
                        return r;
                if (strcmp(f->name, "network") == 0) {
                        if (strcmp(value, "none") != 0 && strcmp(value, "host") != 0 && strcmp(value, "default") != 0)
                                return berth_failf(err, EINVAL, "RUN --network=%s: none, host or default", value);
                        *network = strcmp(value, "none") == 0 ? "none" : strcmp(value, "host") == 0 ? "host" : NULL;
                        append_text(key_text, "network", value, NULL);
                        continue;
                }
                if (strcmp(f->name, "security") == 0) {
                        if (strcmp(value, "sandbox") != 0)
                                return berth_failf(err, ENOTSUP, "RUN --security=%s is not supported (sandbox only)", value);
                        continue;
                }
                r = parse_spec(value, &m, err);
                if (r == 0 && (m.target == NULL || m.target[0] == '\0') && strcmp(m.type, "secret") != 0)
                        r = berth_failf(err, EINVAL, "--mount=type=%s needs a target", m.type);
                if (r == 0) {
                        if (m.target != NULL && m.target[0] != '/') {
                                const char *wd = json_string_value(json_object_get(st->config, "WorkingDir"));
                                char *abs = xasprintf("%s/%s", wd && *wd ? wd : "", m.target);
                                free(m.target);
                                m.target = abs;
                        }
                        if (strcmp(m.type, "bind") == 0)
                                r = add_bind(b, &m, mounts, key_text, err);
                        else if (strcmp(m.type, "cache") == 0)
                                r = add_cache(b, &m, mounts, key_text, err);
                        else if (strcmp(m.type, "tmpfs") == 0)
                                r = add_tmpfs(&m, mounts, key_text, err);
                        else if (strcmp(m.type, "secret") == 0)
                                r = add_secret(b, &m, mounts, key_text, err);
                        else
                                r = berth_failf(err, ENOTSUP, "--mount=type=%s is not supported yet", m.type);
                }
                spec_clear(&m);
                if (r < 0)
                        return r;
        }
        *mounts_out = steal_pointer(&mounts);
        return 0;
}
