#include "engine/idshift.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "engine/spec_build.h"
#include "lib/util.h"

struct idmap {
        uint32_t container, host, size;
};

struct shift {
        struct idmap uid[16], gid[16];
        size_t n_uid, n_gid;
        dev_t dev;
};

static size_t load_map(json_t *list, struct idmap *out, size_t max)
{
        size_t i, n = 0;
        json_t *v;

        json_array_foreach(list, i, v) {
                if (n == max)
                        break;
                out[n].container = (uint32_t) json_integer_value(json_object_get(v, "containerID"));
                out[n].host = (uint32_t) json_integer_value(json_object_get(v, "hostID"));
                out[n].size = (uint32_t) json_integer_value(json_object_get(v, "size"));
                n++;
        }
        return n;
}

/* The host id of a container id; the id itself when it is already a host id of the mapping (shifted by an
 * earlier, interrupted pass) or unmapped. */
static uint32_t shift_id(const struct idmap *map, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].host && id - map[i].host < map[i].size)
                        return id;
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].container && id - map[i].container < map[i].size)
                        return map[i].host + (id - map[i].container);
        return id;
}

static int shift_entry(const struct shift *s, int dirfd, const char *name, const struct stat *st, berth_error *err)
{
        uint32_t uid = shift_id(s->uid, s->n_uid, st->st_uid), gid = shift_id(s->gid, s->n_gid, st->st_gid);

        if (uid == st->st_uid && gid == st->st_gid)
                return 0;
        if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return berth_fail(err, errno, "chown %s", name);
        /* chown clears setuid/setgid bits: put the image's mode back. */
        if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
            fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
                return berth_fail(err, errno, "chmod %s", name);
        return 0;
}

static int shift_tree(const struct shift *s, int dirfd, berth_error *err)
{
        cleanup_closedir DIR *d = opendir_at(dirfd);
        struct dirent *de;
        int r;

        if (d == NULL)
                return berth_fail(err, errno, "read directory");
        while ((de = readdir(d)) != NULL) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_fail(err, errno, "stat %s", de->d_name);
                if (st.st_dev != s->dev)
                        continue; /* a mount point inside: not the snapshot's */
                if (S_ISDIR(st.st_mode)) {
                        cleanup_close int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                return berth_fail(err, errno, "open %s", de->d_name);
                        if ((r = shift_tree(s, sub, err)) < 0)
                                return r;
                }
                if ((r = shift_entry(s, dirfd, de->d_name, &st, err)) < 0)
                        return r;
        }
        return 0;
}

int engine_idshift_rootfs(struct engine *e, const struct engine_container *c, int dirfd, const char *rootfs,
                          berth_error *err)
{
        const char *mode = json_string_value(json_object_get(c->host_config, "UsernsMode"));
        cleanup_json json_t *uids = NULL, *gids = NULL;
        cleanup_close int rootfd = -1;
        struct shift s = {0};
        struct stat st;
        int r;

        if (mode == NULL || *mode == '\0' || strcmp(mode, "host") == 0)
                return 0;
        /* The container's root is not root on the host: it must be able to pass through the store's
         * directories to reach its rootfs and the files berth bind-mounts (docker makes its root 0711 when
         * it remaps users too). Listing them stays root's. */
        {
                static const char *const dirs[] = {".", "snapshots", "containers", "volumes"};
                for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                        fchmodat(e->store->rootfd, dirs[i], 0711, 0);
                cleanup_free char *snap = xasprintf("snapshots/%s", c->id);
                fchmodat(e->store->rootfd, snap, 0711, 0);
                fchmod(dirfd, 0711);
        }
        if (fstatat(dirfd, "idshift", &st, 0) == 0)
                return 0;
        if ((r = engine_userns_mappings(c->host_config, &uids, &gids, err)) < 0)
                return r;
        s.n_uid = load_map(uids, s.uid, ARRAY_SIZE(s.uid));
        s.n_gid = load_map(gids, s.gid, ARRAY_SIZE(s.gid));
        rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || fstat(rootfd, &st) < 0)
                return berth_fail(err, errno, "open %s", rootfs);
        s.dev = st.st_dev;
        if ((r = shift_tree(&s, rootfd, err)) < 0)
                return berth_error_prefix(err, "shift the ownership of %s: ", rootfs);
        if (fchownat(rootfd, "", shift_id(s.uid, s.n_uid, st.st_uid), shift_id(s.gid, s.n_gid, st.st_gid), AT_EMPTY_PATH) < 0)
                return berth_fail(err, errno, "chown %s", rootfs);
        return write_file_atomic_at(dirfd, "idshift", "1\n", 2, 0600, false, err);
}
