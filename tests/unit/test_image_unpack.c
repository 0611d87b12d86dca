/* Layer streams and unpacking (src/image/stream.c, unpack.c): tars built here in memory with libarchive,
 * plain, gzip and zstd, unpacked into a temporary directory; what the filesystem then holds is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/digest.h"
#include "image/fsutil.h"
#include "image/stream.h"
#include "image/unpack.h"

struct entry {
        const char *name;
        mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, or 0 for a hardlink */
        mode_t perm;
        const char *data_or_target;
        const char *xattr; /* "name=value" */
};

enum filter { PLAIN, GZIP, ZSTD };

/* A tar of the entries, through the filter, into a memfd; returns the fd (offset 0). */
static int make_tar(const struct entry *entries, size_t n, enum filter filter, size_t *len)
{
        static char buf[1 << 20];
        struct archive *a = archive_write_new();
        size_t used = 0;
        int fd;

        archive_write_set_format_pax_restricted(a);
        if (filter == GZIP)
                archive_write_add_filter_gzip(a);
        if (filter == ZSTD)
                assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
        archive_write_set_bytes_in_last_block(a, 1);
        assert_int_equal(archive_write_open_memory(a, buf, sizeof(buf), &used), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();
                const struct entry *x = &entries[i];
                archive_entry_set_pathname(e, x->name);
                archive_entry_set_mtime(e, 1704067200, 0);
                if (x->type == 0) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, x->data_or_target);
                } else {
                        archive_entry_set_filetype(e, x->type);
                        archive_entry_set_perm(e, x->perm);
                        if (x->type == AE_IFLNK)
                                archive_entry_set_symlink(e, x->data_or_target);
                        if (x->type == AE_IFREG)
                                archive_entry_set_size(e, x->data_or_target ? (la_int64_t) strlen(x->data_or_target) : 0);
                }
                if (x->xattr) {
                        const char *eq = strchr(x->xattr, '=');
                        char name[128];
                        snprintf(name, sizeof(name), "%.*s", (int) (eq - x->xattr), x->xattr);
                        archive_entry_xattr_add_entry(e, name, eq + 1, strlen(eq + 1));
                }
                assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
                if (x->type == AE_IFREG && x->data_or_target)
                        archive_write_data(a, x->data_or_target, strlen(x->data_or_target));
                archive_entry_free(e);
        }
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        fd = memfd_create("layer", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, used), (ssize_t) used);
        lseek(fd, 0, SEEK_SET);
        *len = used;
        return fd;
}

static char *make_dir(void)
{
        char tmpl[] = "/tmp/berth-unit-unpack.XXXXXX";
        return strdup(mkdtemp(tmpl));
}

static void remove_dir(char *dir)
{
        berth_error err = {0};
        fs_remove_tree_at(AT_FDCWD, dir, &err);
        berth_error_clear(&err);
        free(dir);
}

/* Unpacks; returns 0 or the error code, with the message in err. */
static int unpack(int tarfd, const char *dir, struct layer_stream_result *res, berth_error *err)
{
        struct layer_stream *s = NULL;
        struct unpack_stats stats;
        struct unpack_options opts = {.create_devices = false};
        int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        assert_true(rootfd >= 0);
        assert_int_equal(layer_stream_open(tarfd, &s, err), 0);
        r = layer_unpack(s, rootfd, &opts, &stats, err);
        if (r == 0)
                r = layer_stream_finish(s, res, err);
        layer_stream_close(s);
        close(rootfd);
        return r;
}

static const struct entry LAYER[] = {
        {"./", AE_IFDIR, 0755, NULL, NULL},
        {"etc/", AE_IFDIR, 0755, NULL, NULL},
        {"etc/motd", AE_IFREG, 0644, "hello\n", "user.berth=yes"},
        {"etc/.wh.gone", AE_IFREG, 0644, NULL, NULL},
        {"opaque/.wh..wh..opq", AE_IFREG, 0644, NULL, NULL},
        {"opaque/kept", AE_IFREG, 0600, "k", NULL},
        {"bin/suid", AE_IFREG, 04755, "#!", NULL},
        {"link", AE_IFLNK, 0777, "/etc/motd", NULL},
        {"hard", 0, 0, "etc/motd", NULL},
        {"evil", AE_IFREG, 0644, "x", "trusted.overlay.redirect=/etc"},
        {"dup", AE_IFREG, 0644, "first", NULL},
        {"dup", AE_IFREG, 0644, "second", NULL},
        {"/abs/file", AE_IFREG, 0644, "abs", NULL},
        {".wh..wh.plnk", AE_IFREG, 0644, NULL, NULL},
};

static void check_tree(const char *dir)
{
        char p[512], v[16];
        struct stat st, st2;

        snprintf(p, sizeof(p), "%s/etc/motd", dir);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(st.st_mtime, 1704067200);
        assert_int_equal(getxattr(p, "user.berth", v, sizeof(v)), 3);
        snprintf(p, sizeof(p), "%s/hard", dir);
        assert_int_equal(lstat(p, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        snprintf(p, sizeof(p), "%s/etc/gone", dir); /* .wh.gone: a 0/0 character device */
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(st.st_rdev, makedev(0, 0));
        snprintf(p, sizeof(p), "%s/opaque", dir);
        assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');
        snprintf(p, sizeof(p), "%s/opaque/.wh..wh..opq", dir);
        assert_int_equal(lstat(p, &st), -1);
        snprintf(p, sizeof(p), "%s/bin/suid", dir);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 04755);
        snprintf(p, sizeof(p), "%s/link", dir);
        assert_int_equal(readlink(p, v, sizeof(v)), 9);
        snprintf(p, sizeof(p), "%s/evil", dir); /* overlay's private xattrs never come from a tar */
        assert_int_equal(getxattr(p, "trusted.overlay.redirect", v, sizeof(v)), -1);
        snprintf(p, sizeof(p), "%s/dup", dir);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_size, 6);
        snprintf(p, sizeof(p), "%s/abs/file", dir);
        assert_int_equal(lstat(p, &st), 0);
        snprintf(p, sizeof(p), "%s/.wh..wh.plnk", dir);
        assert_int_equal(lstat(p, &st), -1);
}

static void test_unpack_formats(void **state)
{
        char plain_digest[DIGEST_STRING_LEN + 1];
        size_t plain_len;
        int plain = make_tar(LAYER, sizeof(LAYER) / sizeof(LAYER[0]), PLAIN, &plain_len);
        void *m = mmap(NULL, plain_len, PROT_READ, MAP_PRIVATE, plain, 0);

        digest_buffer(m, plain_len, plain_digest);
        munmap(m, plain_len);
        close(plain);
        for (enum filter f = PLAIN; f <= ZSTD; f++) {
                struct layer_stream_result res;
                berth_error err = {0};
                size_t len;
                int fd = make_tar(LAYER, sizeof(LAYER) / sizeof(LAYER[0]), f, &len);
                char *dir = make_dir();
                char compressed[DIGEST_STRING_LEN + 1];
                void *c = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);

                digest_buffer(c, len, compressed);
                munmap(c, len);
                assert_int_equal(unpack(fd, dir, &res, &err), 0);
                assert_int_equal(res.compression, (enum layer_compression) f);
                assert_string_equal(res.uncompressed_digest, plain_digest); /* the diff id */
                assert_string_equal(res.compressed_digest, compressed);      /* the blob digest */
                assert_int_equal(res.compressed_size, len);
                check_tree(dir);
                remove_dir(dir);
                close(fd);
        }
}

static void expect_refused(const struct entry *entries, size_t n, const char *message_part)
{
        struct layer_stream_result res;
        berth_error err = {0};
        size_t len;
        int fd = make_tar(entries, n, PLAIN, &len);
        char *dir = make_dir();
        char outside[512];
        struct stat st;

        assert_true(unpack(fd, dir, &res, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), message_part));
        snprintf(outside, sizeof(outside), "%s/../berth-unit-escape", dir);
        assert_int_equal(lstat(outside, &st), -1);
        berth_error_clear(&err);
        remove_dir(dir);
        close(fd);
}

static void test_refused(void **state)
{
        const struct entry dotdot[] = {{"../berth-unit-escape", AE_IFREG, 0644, "x", NULL}};
        const struct entry deep[] = {{"a/", AE_IFDIR, 0755, NULL, NULL}, {"a/../../berth-unit-escape", AE_IFREG, 0644, "x", NULL}};
        const struct entry hard[] = {{"hl", 0, 0, "/etc/passwd", NULL}};
        const struct entry loop[] = {{"a", AE_IFLNK, 0777, "b", NULL}, {"b", AE_IFLNK, 0777, "a", NULL},
                                     {"a/x", AE_IFREG, 0644, "x", NULL}};
        const struct entry whiteout_dev[] = {{"etc/passwd", AE_IFCHR, 0644, NULL, NULL}};

        expect_refused(dotdot, 1, "climbs out of the layer root");
        expect_refused(deep, 2, "climbs out of the layer root");
        expect_refused(hard, 1, "hardlink");
        expect_refused(loop, 3, "Too many levels of symbolic links");
        expect_refused(whiteout_dev, 1, "overlay whiteout");
}

static void test_symlink_parent_confined(void **state)
{
        /* escape -> /tmp, then escape/file: the file lands in ROOT/tmp, never in the host's /tmp. */
        const struct entry e[] = {{"escape", AE_IFLNK, 0777, "/tmp", NULL},
                                  {"escape/berth-unit-confined", AE_IFREG, 0644, "x", NULL}};
        struct layer_stream_result res;
        berth_error err = {0};
        size_t len;
        int fd = make_tar(e, 2, PLAIN, &len);
        char *dir = make_dir();
        char p[512];
        struct stat st;

        assert_int_equal(unpack(fd, dir, &res, &err), 0);
        snprintf(p, sizeof(p), "%s/tmp/berth-unit-confined", dir);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(lstat("/tmp/berth-unit-confined", &st), -1);
        remove_dir(dir);
        close(fd);
}

static void test_truncated_gzip(void **state)
{
        struct layer_stream_result res;
        berth_error err = {0};
        size_t len;
        int fd = make_tar(LAYER, sizeof(LAYER) / sizeof(LAYER[0]), GZIP, &len);
        char *dir = make_dir();

        assert_int_equal(ftruncate(fd, (off_t) len - 20), 0);
        assert_true(unpack(fd, dir, &res, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "gzip"));
        berth_error_clear(&err);
        remove_dir(dir);
        close(fd);
}

static void test_clean_name(void **state)
{
        static const char *const cases[][2] = {
                {"a/b", "a/b"}, {"./a//b/", "a/b"}, {"/abs/x", "abs/x"}, {"a/../b", "b"}, {".", ""}, {"./", ""},
                {"a/./b/../c", "a/c"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                assert_int_equal(unpack_clean_name(cases[i][0], &out, NULL), 0);
                assert_string_equal(out, cases[i][1]);
                free(out);
        }
        char *out = NULL;
        assert_true(unpack_clean_name("a/../../x", &out, NULL) < 0);
        assert_true(unpack_clean_name("..", &out, NULL) < 0);
        assert_true(unpack_clean_name("/../x", &out, NULL) < 0);
        assert_true(unpack_clean_name("a/b/../../..", &out, NULL) < 0);
        assert_true(unpack_clean_name("./../a", &out, NULL) < 0);
        assert_int_equal(unpack_clean_name("a/b/../../c/..", &out, NULL), 0);
        assert_string_equal(out, "");
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean_name), cmocka_unit_test(test_unpack_formats), cmocka_unit_test(test_refused),
                cmocka_unit_test(test_symlink_parent_confined), cmocka_unit_test(test_truncated_gzip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
