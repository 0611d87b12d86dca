/* The engine's view of the store: an image (made here with image_import from an in-memory tar) becomes a
 * container's writable root filesystem, with both drivers; the image cannot be removed meanwhile
 * (src/image/snapshot.c, import.c, imagedb.c). Needs root (mounts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "image/imagedb.h"
#include "image/import.h"
#include "image/snapshot.h"
#include "image/store.h"

static int rootfs_tar(void)
{
        static char buf[65536];
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        size_t used = 0;
        int fd;

        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
        archive_write_open_memory(a, buf, sizeof(buf), &used);
        archive_entry_set_pathname(e, "etc/hello");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 6);
        archive_write_header(a, e);
        archive_write_data(a, "hello\n", 6);
        archive_entry_free(e);
        archive_write_close(a);
        archive_write_free(a);
        fd = memfd_create("rootfs", MFD_CLOEXEC);
        assert_int_equal(write(fd, buf, used), (ssize_t) used);
        lseek(fd, 0, SEEK_SET);
        return fd;
}

static void exists(const char *dir, const char *name, bool want)
{
        char p[1024];
        struct stat st;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        assert_int_equal(lstat(p, &st) == 0, want);
}

static void run_driver(const char *driver)
{
        char tmpl[] = "/tmp/berth-unit-snap.XXXXXX";
        char *root = mkdtemp(tmpl);
        char *names[] = {"localhost/unit:1", NULL};
        struct import_options opts = {.names = names};
        struct image_store *s = NULL;
        struct snapshot_paths p = {0};
        berth_error err = {0};
        char *id = NULL, path[1024];
        int fd, out;

        assert_int_equal(store_open(root, driver, STORE_LOCK_SHARED, &s, &err), 0);
        fd = rootfs_tar();
        assert_int_equal(image_import(s, fd, &opts, &id, &err), 0);
        close(fd);
        assert_int_equal(snapshot_create(s, "ctr1", id, SNAPSHOT_KIND_CONTAINER, &p, &err), 0);
        snapshot_paths_clear(&p);
        assert_int_equal(snapshot_mount(s, "ctr1", 0, &p, &err), 0);
        assert_true(snapshot_is_mounted(s, "ctr1"));
        exists(p.merged, "etc/hello", true);
        /* The container writes: the change lands in its own layer, never in the image's. */
        snprintf(path, sizeof(path), "%s/etc/written", p.merged);
        out = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(out >= 0);
        close(out);
        exists(p.upper, "etc/written", true);
        /* The image is in use: the database refuses its removal. */
        assert_int_equal(imagedb_delete(s, id, &err), -EBUSY);
        berth_error_clear(&err);
        assert_int_equal(snapshot_unmount(s, "ctr1", &err), 0);
        assert_false(snapshot_is_mounted(s, "ctr1"));
        /* A volatile mount (run --rm) of the same layer, then an ordinary one: overlayfs leaves a marker
         * that would refuse the second, and the snapshot removes it. The writes are still there. */
        snapshot_paths_clear(&p);
        assert_int_equal(snapshot_mount(s, "ctr1", SNAPSHOT_MOUNT_VOLATILE, &p, &err), 0);
        exists(p.merged, "etc/written", true);
        assert_int_equal(snapshot_unmount(s, "ctr1", &err), 0);
        snapshot_paths_clear(&p);
        assert_int_equal(snapshot_mount(s, "ctr1", 0, &p, &err), 0);
        exists(p.merged, "etc/written", true);
        assert_int_equal(snapshot_unmount(s, "ctr1", &err), 0);
        assert_int_equal(snapshot_remove(s, "ctr1", &err), 0);
        exists(p.dir, "", false);
        assert_int_equal(imagedb_delete(s, id, &err), 0);
        /* Invalid ids never reach the filesystem. */
        assert_true(snapshot_create(s, "../x", id, SNAPSHOT_KIND_CONTAINER, NULL, &err) < 0);
        berth_error_clear(&err);
        snapshot_paths_clear(&p);
        free(id);
        store_close(s);
        fs_remove_tree_at(AT_FDCWD, root, &err);
        berth_error_clear(&err);
}

static void test_overlay(void **state)
{
        run_driver("overlay");
}

static void test_copy(void **state)
{
        run_driver("copy");
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_overlay), cmocka_unit_test(test_copy)};

        if (geteuid() != 0) {
                printf("1..0 # SKIP needs root (mounts)\n");
                return 0;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
