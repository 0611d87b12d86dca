#include "image/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "image/flatten.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "image/layer.h"
#include "lib/util.h"

#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static int sys_fsopen(const char *fs, unsigned flags)
{
        return (int) syscall(SYS_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
        return (int) syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
        return (int) syscall(SYS_fsmount, fd, flags, attrs);
}

static int sys_move_mount(int from, const char *from_path, int to, const char *to_path, unsigned flags)
{
        return (int) syscall(SYS_move_mount, from, from_path, to, to_path, flags);
}

void snapshot_paths_clear(struct snapshot_paths *p)
{
        free(p->dir);
        free(p->upper);
        free(p->work);
        free(p->merged);
        memset(p, 0, sizeof(*p));
}

static bool id_is_valid(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > 128 || id[0] == '.')
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                      *p == '-' || *p == '.'))
                        return false;
        return true;
}

static bool is_overlay(struct image_store *s)
{
        return strcmp(s->driver, "overlay") == 0;
}

static void fill_paths(struct image_store *s, const char *id, struct snapshot_paths *p)
{
        p->dir = xasprintf("%s/snapshots/%s", s->root, id);
        p->upper = xasprintf("%s/%s", p->dir, is_overlay(s) ? "upper" : "rootfs");
        p->work = is_overlay(s) ? xasprintf("%s/work", p->dir) : NULL;
        p->merged = xasprintf("%s/merged", p->dir);
}

/* Overlay lower directories, top layer first, as "ROOT/l/LINK". */
static int lower_links(struct image_store *s, const char *image_id, char ***out, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        char **v = xzalloc(sizeof(char *));
        int r;

        if ((r = imagedb_get(s, image_id, &rec, err)) < 0) {
                free(v);
                return r;
        }
        for (size_t i = rec.n_layers; i-- > 0;) {
                if (rec.layers[i].link == NULL || rec.layers[i].link[0] == '\0') {
                        strv_free(v);
                        return berth_failf(err, ENOENT, "image %s: layer %s is not unpacked", image_id,
                                           rec.layers[i].diff_id);
                }
                /* The same diff twice in one image (an empty layer repeated): overlay refuses a repeated
                 * lower directory, and the second copy changes nothing. */
                cleanup_free char *l = xasprintf("l/%s", rec.layers[i].link);
                if (!strv_contains(v, l))
                        v = strv_append(v, l);
        }
        *out = v;
        return 0;
}

static int insert_record(struct image_store *s, const char *id, const char *image_id, const char *kind,
                         berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "INSERT INTO snapshots(id, image_id, kind, driver, created) VALUES(?,?,?,?,?)", &st,
                               err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, image_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, s->driver, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t) time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) {
                if (sqlite3_errcode(s->db) == SQLITE_CONSTRAINT)
                        return berth_failf(err, EEXIST, "snapshot %s already exists", id);
                return store_sql_fail(s, "add snapshot", err);
        }
        return 0;
}

static int flatten_image(struct image_store *s, const char *image_id, const char *rootfs_rel, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        cleanup_close int rootfd = -1;
        int r;

        if ((r = imagedb_get(s, image_id, &rec, err)) < 0)
                return r;
        rootfd = openat(s->rootfd, rootfs_rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (rootfd < 0)
                return berth_fail(err, errno, "open %s/%s", s->root, rootfs_rel);
        for (size_t i = 0; i < rec.n_layers; i++) {
                cleanup_free char *rel = layer_diff_relpath(rec.layers[i].diff_id);
                cleanup_close int lfd = openat(s->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (lfd < 0)
                        return berth_fail(err, errno, "open layer %s", rec.layers[i].diff_id);
                if ((r = flatten_apply_layer(lfd, rootfd, err)) < 0)
                        return berth_error_prefix(err, "flatten layer %s: ", rec.layers[i].diff_id);
        }
        return 0;
}

int snapshot_create(struct image_store *s, const char *id, const char *image_id, const char *kind,
                    struct snapshot_paths *out, berth_error *err)
{
        cleanup_free char *dir = xasprintf("snapshots/%s", id);
        static const char *const overlay_dirs[] = {"upper", "work", "merged"};
        static const char *const copy_dirs[] = {"rootfs", "merged"};
        const char *const *dirs = is_overlay(s) ? overlay_dirs : copy_dirs;
        size_t n = is_overlay(s) ? ARRAY_SIZE(overlay_dirs) : ARRAY_SIZE(copy_dirs);
        int r;

        if (!id_is_valid(id))
                return berth_failf(err, EINVAL, "invalid snapshot id %s", id);
        if ((r = insert_record(s, id, image_id, kind, err)) < 0)
                return r;
        if (mkdirat(s->rootfd, dir, 0700) < 0) {
                r = berth_fail(err, errno, "create %s/%s", s->root, dir);
                goto fail;
        }
        for (size_t i = 0; i < n; i++) {
                cleanup_free char *sub = xasprintf("%s/%s", dir, dirs[i]);
                if (mkdirat(s->rootfd, sub, 0755) < 0) {
                        r = berth_fail(err, errno, "create %s/%s", s->root, sub);
                        goto fail;
                }
        }
        if (!is_overlay(s)) {
                cleanup_free char *rootfs = xasprintf("%s/rootfs", dir);
                if ((r = flatten_image(s, image_id, rootfs, err)) < 0)
                        goto fail;
        }
        if (out != NULL)
                fill_paths(s, id, out);
        return 0;
fail:
        {
                berth_error e = {0};
                snapshot_remove(s, id, &e);
                berth_error_clear(&e);
        }
        return r;
}

static int snapshot_image(struct image_store *s, const char *id, char **image_id, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        int r;

        if ((r = store_prepare(s, "SELECT image_id FROM snapshots WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return berth_failf(err, ENOENT, "no such snapshot %s", id);
        if (r != SQLITE_ROW)
                return store_sql_fail(s, "read snapshot", err);
        *image_id = xstrdup((const char *) sqlite3_column_text(st, 0));
        return 0;
}

int snapshot_paths_get(struct image_store *s, const char *id, struct snapshot_paths *out, berth_error *err)
{
        cleanup_free char *image_id = NULL;
        int r = snapshot_image(s, id, &image_id, err);

        if (r < 0)
                return r;
        fill_paths(s, id, out);
        return 0;
}

bool snapshot_is_mounted(struct image_store *s, const char *id)
{
        cleanup_free char *rel = xasprintf("snapshots/%s/merged", id);
        cleanup_free char *parent = xasprintf("snapshots/%s", id);
        struct stat a, b;

        if (fstatat(s->rootfd, rel, &a, AT_SYMLINK_NOFOLLOW) < 0 || fstatat(s->rootfd, parent, &b, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        /* A mount point has another device, or (a bind of the same filesystem) another inode than it had:
         * compare with the mount table's view through statx's mount id. */
        if (a.st_dev != b.st_dev)
                return true;
        struct statx sa, sb;
        if (statx(s->rootfd, rel, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sa) == 0 &&
            statx(s->rootfd, parent, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sb) == 0 && (sa.stx_mask & STATX_MNT_ID))
                return sa.stx_mnt_id != sb.stx_mnt_id;
        return false;
}

/* New mount API: one lowerdir+ per layer, no page limit (Linux >= 6.8). -EINVAL/-ENOSYS: fall back. */
static int mount_overlay_fsconfig(struct image_store *s, char **lowers, const struct snapshot_paths *p, unsigned flags)
{
        bool readonly = flags & SNAPSHOT_MOUNT_READONLY;
        cleanup_close int fsfd = sys_fsopen("overlay", FSOPEN_CLOEXEC);
        cleanup_close int mfd = -1;

        if (fsfd < 0)
                return -errno;
        for (char **l = lowers; *l != NULL; l++) {
                cleanup_free char *abs = xasprintf("%s/%s", s->root, *l);
                if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", abs, 0) < 0)
                        return -errno;
        }
        if (!readonly && (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", p->upper, 0) < 0 ||
                          sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", p->work, 0) < 0))
                return -errno;
        /* Before 5.10 overlayfs does not know "volatile": the mount is then an ordinary one. */
        if (!readonly && (flags & SNAPSHOT_MOUNT_VOLATILE) &&
            sys_fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0 && errno != EINVAL)
                return -errno;
        if (sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        /* A read-only mount is for looking at an image from the host: its setuid files and device nodes
         * must not work there. */
        mfd = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, readonly ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV : 0);
        if (mfd < 0)
                return -errno;
        if (sys_move_mount(mfd, "", AT_FDCWD, p->merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* mount(2) with "lowerdir=l/A:l/B,...": relative to ROOT, from a child process that chdir'd there (the
 * parent's cwd is left alone), so each layer costs 16 bytes of the one-page option string. */
static int mount_overlay_legacy(struct image_store *s, char **lowers, const struct snapshot_paths *p, unsigned flags,
                                berth_error *err)
{
        bool readonly = flags & SNAPSHOT_MOUNT_READONLY;
        size_t len = 80 + (readonly ? 0 : strlen(p->upper) + strlen(p->work));
        cleanup_free char *data = NULL;
        char *o;
        pid_t pid;
        int status;

        for (char **l = lowers; *l != NULL; l++)
                len += strlen(*l) + 1;
        if (len >= (size_t) sysconf(_SC_PAGESIZE))
                return berth_failf(err, E2BIG, "too many layers (%zu) for an overlay mount on this kernel",
                                   strv_length(lowers));
        data = xmalloc(len);
        o = data + sprintf(data, "lowerdir=");
        for (char **l = lowers; *l != NULL; l++)
                o += sprintf(o, "%s%s", l == lowers ? "" : ":", *l);
        if (!readonly)
                o += sprintf(o, ",upperdir=%s,workdir=%s", p->upper, p->work);
        if (!readonly && (flags & SNAPSHOT_MOUNT_VOLATILE))
                sprintf(o, ",volatile");
        pid = fork();
        if (pid < 0)
                return berth_fail(err, errno, "fork");
        if (pid == 0) {
                if (fchdir(s->rootfd) < 0)
                        _exit(errno);
                unsigned long mflags = readonly ? MS_RDONLY | MS_NOSUID | MS_NODEV : 0;
                if (mount("overlay", p->merged, "overlay", mflags, data) == 0)
                        _exit(0);
                /* Before 5.10 overlayfs does not know "volatile": an ordinary mount then. */
                if (errno != EINVAL || readonly || !(flags & SNAPSHOT_MOUNT_VOLATILE))
                        _exit(errno);
                *o = '\0';
                if (mount("overlay", p->merged, "overlay", mflags, data) < 0)
                        _exit(errno);
                _exit(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return berth_fail(err, errno, "wait for mount");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_fail(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO, "mount overlay on %s", p->merged);
        return 0;
}

/* The kernel's marker that this upper dir was mounted volatile (WORK/work/incompat/volatile/dirty): while it
 * exists, overlayfs refuses the upper dir. Only --rm containers are mounted volatile (SNAPSHOT_MOUNT_VOLATILE). */
static int remove_volatile_marker(const struct snapshot_paths *p, berth_error *err)
{
        cleanup_free char *incompat = xasprintf("%s/work/incompat", p->work);
        struct stat st;

        if (lstat(incompat, &st) < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "stat %s", incompat);
        return fs_remove_tree_at(AT_FDCWD, incompat, err);
}

static int mount_overlay(struct image_store *s, const char *image_id, const struct snapshot_paths *p, unsigned flags,
                         berth_error *err)
{
        bool readonly = flags & SNAPSHOT_MOUNT_READONLY;
        cleanup_strv char **lowers = NULL;
        int r;

        if ((r = lower_links(s, image_id, &lowers, err)) < 0)
                return r;
        /* overlayfs wants two lower directories when there is no upper one (a read-only mount), and one
         * at least: an empty directory fills in for a one-layer or layerless image. */
        while (strv_length(lowers) < (readonly ? 2u : 1u)) {
                if (mkdirat(s->rootfd, "l/empty", 0755) < 0 && errno != EEXIST)
                        return berth_fail(err, errno, "create %s/l/empty", s->root);
                if (strv_contains(lowers, "l/empty"))
                        break;
                lowers = strv_append(lowers, "l/empty");
        }
        if (!readonly && (r = remove_volatile_marker(p, err)) < 0)
                return r;
        r = s->overlay_legacy_mount ? -ENOSYS : mount_overlay_fsconfig(s, lowers, p, flags);
        if (r == 0)
                return 0;
        if (r != -EINVAL && r != -ENOSYS && r != -EPERM)
                return berth_fail(err, -r, "mount overlay on %s", p->merged);
        return mount_overlay_legacy(s, lowers, p, flags, err);
}

static int mount_copy(const struct snapshot_paths *p, bool readonly, berth_error *err)
{
        if (mount(p->upper, p->merged, NULL, MS_BIND, NULL) < 0)
                return berth_fail(err, errno, "bind %s on %s", p->upper, p->merged);
        if (readonly && mount(NULL, p->merged, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
                int e = errno;
                umount2(p->merged, MNT_DETACH);
                return berth_fail(err, e, "make %s read-only", p->merged);
        }
        return 0;
}

int snapshot_mount(struct image_store *s, const char *id, unsigned flags, struct snapshot_paths *out, berth_error *err)
{
        struct snapshot_paths p = {0};
        cleanup_free char *image_id = NULL;
        int r;

        if ((r = snapshot_image(s, id, &image_id, err)) < 0)
                return r;
        fill_paths(s, id, &p);
        if (!snapshot_is_mounted(s, id)) {
                r = is_overlay(s) ? mount_overlay(s, image_id, &p, flags, err)
                                  : mount_copy(&p, flags & SNAPSHOT_MOUNT_READONLY, err);
                if (r < 0) {
                        snapshot_paths_clear(&p);
                        return r;
                }
        }
        if (out != NULL)
                *out = p;
        else
                snapshot_paths_clear(&p);
        return 0;
}

int snapshot_unmount(struct image_store *s, const char *id, berth_error *err)
{
        cleanup_free char *merged = xasprintf("%s/snapshots/%s/merged", s->root, id);

        while (snapshot_is_mounted(s, id)) {
                if (umount2(merged, UMOUNT_NOFOLLOW) < 0) {
                        if (errno == EBUSY)
                                return berth_fail(err, errno, "unmount %s", merged);
                        if (errno != EINVAL)
                                return berth_fail(err, errno, "unmount %s", merged);
                        break;
                }
        }
        return 0;
}

int snapshot_remove(struct image_store *s, const char *id, berth_error *err)
{
        cleanup_stmt sqlite3_stmt *st = NULL;
        cleanup_free char *dir = xasprintf("snapshots/%s", id);
        int r;

        if (!id_is_valid(id))
                return berth_failf(err, EINVAL, "invalid snapshot id %s", id);
        if ((r = snapshot_unmount(s, id, err)) < 0)
                return r;
        if ((r = fs_remove_tree_at(s->rootfd, dir, err)) < 0)
                return r;
        if ((r = store_prepare(s, "DELETE FROM snapshots WHERE id = ?", &st, err)) < 0)
                return r;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_fail(s, "delete snapshot", err);
        return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

static char *image_snapshot_id(const char *image_id)
{
        return xasprintf("image-%s", digest_hex(image_id));
}

int image_mount(struct image_store *s, const char *image_id, char **path, berth_error *err)
{
        cleanup_free char *id = image_snapshot_id(image_id);
        struct snapshot_paths p = {0};
        berth_error e = {0};
        int r;

        bool created = false;

        r = snapshot_paths_get(s, id, &p, &e);
        berth_error_clear(&e);
        snapshot_paths_clear(&p);
        if (r == -ENOENT) {
                if ((r = snapshot_create(s, id, image_id, SNAPSHOT_KIND_IMAGE, NULL, err)) < 0)
                        return r;
                created = true;
        }
        if (r < 0)
                return r;
        if ((r = snapshot_mount(s, id, SNAPSHOT_MOUNT_READONLY, &p, err)) < 0) {
                /* A mount that failed leaves no snapshot behind to block rmi. */
                if (created) {
                        snapshot_remove(s, id, &e);
                        berth_error_clear(&e);
                }
                return r;
        }
        *path = steal_pointer(&p.merged);
        snapshot_paths_clear(&p);
        return 0;
}

int image_unmount(struct image_store *s, const char *image_id, berth_error *err)
{
        cleanup_free char *id = image_snapshot_id(image_id);
        int r = snapshot_remove(s, id, err);

        if (r == -ENOENT)
                return berth_failf(err, EINVAL, "image %.12s is not mounted", digest_hex(image_id));
        return r;
}

static int try_overlay_mount(struct image_store *s, const char *base, berth_error *err)
{
        static const char *const dirs[] = {"lower", "upper", "work", "merged"};
        struct snapshot_paths p = {0};
        char *lowers[] = {NULL, NULL};
        cleanup_free char *lower = xasprintf("%s/lower", base);
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                cleanup_free char *d = xasprintf("%s/%s", base, dirs[i]);
                if (mkdirat(s->rootfd, d, 0755) < 0)
                        return berth_fail(err, errno, "mkdir %s", d);
        }
        p.upper = xasprintf("%s/%s/upper", s->root, base);
        p.work = xasprintf("%s/%s/work", s->root, base);
        p.merged = xasprintf("%s/%s/merged", s->root, base);
        lowers[0] = lower;
        r = mount_overlay_fsconfig(s, lowers, &p, false);
        if (r == -EINVAL || r == -ENOSYS)
                r = mount_overlay_legacy(s, lowers, &p, false, err);
        if (r == 0)
                umount2(p.merged, MNT_DETACH);
        snapshot_paths_clear(&p);
        return r;
}

bool snapshot_overlay_supported(struct image_store *s)
{
        cleanup_free char *base = NULL;
        berth_error e = {0};
        int r;

        if (store_tmpdir(s, "overlay-probe", &base, &e) < 0) {
                berth_error_clear(&e);
                return false;
        }
        r = try_overlay_mount(s, base, &e);
        berth_error_clear(&e);
        fs_remove_tree_at(s->rootfd, base, &e);
        berth_error_clear(&e);
        return r == 0;
}

bool snapshot_overlay_lowerdir_plus(void)
{
        cleanup_close int fsfd = sys_fsopen("overlay", FSOPEN_CLOEXEC);

        if (fsfd < 0)
                return false;
        /* The key is recognised (a missing directory is ENOENT) or not (EINVAL). */
        return sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", "/nonexistent-berth-probe", 0) == 0 ||
               errno != EINVAL;
}
