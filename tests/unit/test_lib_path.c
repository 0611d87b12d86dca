/* src/lib/path.c: confinement to a root, with openat2 and with the component walk used on old kernels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

struct fixture {
        char base[PATH_MAX];    /* the test's own directory, holding both */
        char root[PATH_MAX];    /* the "container root" */
        char outside[PATH_MAX]; /* a sibling directory standing for the host */
        int rootfd;
};

static void touch(const char *path, const char *content)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int setup(void **state)
{
        struct fixture *f = xzalloc(sizeof(*f));
        char base[] = "/tmp/berth-unit-path.XXXXXX";
        char p[PATH_MAX * 3];

        assert_non_null(mkdtemp(base));
        snprintf(f->base, sizeof(f->base), "%s", base);
        snprintf(f->root, sizeof(f->root), "%s/root", base);
        snprintf(f->outside, sizeof(f->outside), "%s/outside", base);
        assert_int_equal(mkdir(f->root, 0755), 0);
        assert_int_equal(mkdir(f->outside, 0755), 0);
        snprintf(p, sizeof(p), "%s/secret", f->outside);
        touch(p, "host");
        snprintf(p, sizeof(p), "%s/etc", f->root);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/etc/secret", f->root);
        touch(p, "inside");
        /* Links that try to leave the root, absolutely, relatively and in a chain. */
        snprintf(p, sizeof(p), "%s/abs", f->root);
        assert_int_equal(symlink(f->outside, p), 0);
        snprintf(p, sizeof(p), "%s/rel", f->root);
        assert_int_equal(symlink("../../../../../../../outside", p), 0);
        snprintf(p, sizeof(p), "%s/chain", f->root);
        assert_int_equal(symlink("abs", p), 0);
        snprintf(p, sizeof(p), "%s/to-etc", f->root);
        assert_int_equal(symlink("/etc", p), 0);
        snprintf(p, sizeof(p), "%s/loop", f->root);
        assert_int_equal(symlink("loop", p), 0);
        snprintf(p, sizeof(p), "%s/dangling", f->root);
        assert_int_equal(symlink("/made/by/mkdir", p), 0);
        f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->rootfd >= 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[PATH_MAX + 32];

        close(f->rootfd);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
        (void) !system(cmd);
        free(f);
        return 0;
}

typedef int (*open_fn)(int, const char *, int, mode_t, berth_error *);

static char *read_at(open_fn fn, int rootfd, const char *path)
{
        berth_error err = {0};
        cleanup_close int fd = fn(rootfd, path, O_RDONLY, 0, &err);
        char *text = NULL;

        if (fd < 0) {
                berth_error_clear(&err);
                return NULL;
        }
        assert_int_equal(read_fd(fd, path, &text, NULL, &err), 0);
        return text;
}

static void check_confinement(struct fixture *f, open_fn fn)
{
        cleanup_free char *a = read_at(fn, f->rootfd, "/etc/secret");
        cleanup_free char *b = read_at(fn, f->rootfd, "../../../../etc/secret");
        cleanup_free char *c = read_at(fn, f->rootfd, "/to-etc/secret");
        cleanup_free char *d = read_at(fn, f->rootfd, "/abs/secret");
        cleanup_free char *e = read_at(fn, f->rootfd, "/rel/secret");
        cleanup_free char *g = read_at(fn, f->rootfd, "chain/secret");
        berth_error err = {0};
        int fd;

        assert_string_equal(a, "inside");
        assert_string_equal(b, "inside"); /* ".." stops at the root */
        assert_string_equal(c, "inside"); /* an absolute link is taken relative to the root */
        /* Links that point outside resolve inside the root, where there is no such file: never the host's. */
        assert_null(d);
        assert_null(e);
        assert_null(g);
        fd = fn(f->rootfd, "/loop/x", O_RDONLY, 0, &err);
        assert_int_equal(fd, -ELOOP);
        assert_int_equal(err.code, ELOOP);
        berth_error_clear(&err);
}

static void test_openat2_confines(void **state)
{
        check_confinement(*state, path_open_in_root);
}

static void test_walk_confines(void **state)
{
        check_confinement(*state, path_open_in_root_walk);
}

static void test_walk_creates_inside(void **state)
{
        struct fixture *f = *state;
        berth_error err = {0};
        char p[PATH_MAX * 3];
        struct stat st;
        int fd = path_open_in_root_walk(f->rootfd, "/abs/created", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);

        /* /abs -> the host dir, followed inside the root: /outside does not exist there, so ENOENT... */
        assert_true(fd < 0);
        berth_error_clear(&err);
        fd = path_open_in_root_walk(f->rootfd, "/etc/created", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
        assert_true(fd >= 0);
        close(fd);
        snprintf(p, sizeof(p), "%s/etc/created", f->root);
        assert_int_equal(stat(p, &st), 0);
        snprintf(p, sizeof(p), "%s/created", f->outside);
        assert_int_not_equal(stat(p, &st), 0); /* ...and nothing appeared on the "host" */
}

static void test_mkdir_follows_links_inside(void **state)
{
        struct fixture *f = *state;
        berth_error err = {0};
        char p[PATH_MAX * 3];
        struct stat st;
        int fd;

        fd = path_mkdir_in_root(f->rootfd, "/abs/sub/dir", 0755, &err);
        assert_true(fd >= 0);
        close(fd);
        snprintf(p, sizeof(p), "%s%s/sub/dir", f->root, f->outside);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        snprintf(p, sizeof(p), "%s/sub", f->outside);
        assert_int_not_equal(stat(p, &st), 0);

        /* A dangling absolute link: its target is made inside the root. */
        fd = path_mkdir_in_root(f->rootfd, "/dangling/x", 0755, &err);
        assert_true(fd >= 0);
        close(fd);
        snprintf(p, sizeof(p), "%s/made/by/mkdir/x", f->root);
        assert_int_equal(stat(p, &st), 0);
}

static void test_ensure_file_target(void **state)
{
        struct fixture *f = *state;
        berth_error err = {0};
        char p[PATH_MAX * 3];
        struct stat st;
        int fd = path_ensure_in_root(f->rootfd, "/new/dir/file", false, 0644, &err);

        assert_true(fd >= 0);
        close(fd);
        snprintf(p, sizeof(p), "%s/new/dir/file", f->root);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
}

static void test_path_clean(void **state)
{
        static const char *const cases[][2] = {
                {"/", "/"},           {"", "."},          {"a/b/../c", "a/c"},   {"/../../x", "/x"},
                {"//a//b/", "/a/b"},  {"./a/./b", "a/b"}, {"../a", "../a"},     {"a/../../b", "../b"},
                {"/a/b/..", "/a"},    {"a/..", "."},      {"/proc/self/..", "/proc"},
        };
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                cleanup_free char *c = path_clean(cases[i][0]);
                assert_string_equal(c, cases[i][1]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_openat2_confines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_walk_confines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_walk_creates_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mkdir_follows_links_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ensure_file_target, setup, teardown),
                cmocka_unit_test(test_path_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
