/* The store's blob API as a registry client uses it (stream in, digest verified on the fly, cheap
 * presence test), and the run config the engine reads (src/image/blob.c, runconfig.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/blob.h"
#include "image/fsutil.h"
#include "image/runconfig.h"
#include "image/store.h"

static char *root;
static struct image_store *store;

static int setup(void **state)
{
        char tmpl[] = "/tmp/berth-unit-store.XXXXXX";
        berth_error err = {0};

        root = strdup(mkdtemp(tmpl));
        /* The copy driver: no overlay probe (which mounts) in a unit test. */
        assert_int_equal(store_open(root, "copy", STORE_LOCK_SHARED, &store, &err), 0);
        return 0;
}

static int teardown(void **state)
{
        berth_error err = {0};

        store_close(store);
        fs_remove_tree_at(AT_FDCWD, root, &err);
        berth_error_clear(&err);
        free(root);
        return 0;
}

static void test_stream_verified(void **state)
{
        const char *data = "a blob, streamed in three pieces";
        char want[DIGEST_STRING_LEN + 1], got[DIGEST_STRING_LEN + 1];
        struct blob_writer *w;
        berth_error err = {0};
        size_t n = strlen(data);

        digest_buffer(data, n, want);
        assert_false(store_blob_exists(store, want));
        assert_int_equal(blob_writer_open(store, want, (int64_t) n, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, data, 5, &err), 0);
        assert_int_equal(blob_writer_write(w, data + 5, 10, &err), 0);
        assert_int_equal(blob_writer_write(w, data + 15, n - 15, &err), 0);
        assert_int_equal(blob_writer_size(w), n);
        assert_int_equal(blob_writer_commit(w, got, &err), 0);
        assert_string_equal(got, want);
        assert_true(store_blob_exists(store, want));
        assert_int_equal(store_blob_size(store, want), (int64_t) n);
        assert_int_equal(store_blob_verify(store, want, &err), 0);
}

static void test_wrong_digest_never_visible(void **state)
{
        const char *data = "the content";
        char wrong[DIGEST_STRING_LEN + 1], got[DIGEST_STRING_LEN + 1];
        struct blob_writer *w;
        berth_error err = {0};

        digest_buffer("other content", 13, wrong);
        assert_int_equal(blob_writer_open(store, wrong, -1, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, data, strlen(data), &err), 0);
        assert_int_equal(blob_writer_commit(w, got, &err), -EBADMSG);
        assert_non_null(strstr(berth_error_message(&err), "digest mismatch"));
        berth_error_clear(&err);
        assert_false(store_blob_exists(store, wrong));
        digest_buffer(data, strlen(data), got);
        assert_false(store_blob_exists(store, got));
}

static void test_size_limits(void **state)
{
        struct blob_writer *w;
        berth_error err = {0};
        char got[DIGEST_STRING_LEN + 1];

        /* More than announced fails at once (a registry sending too much is cut off). */
        assert_int_equal(blob_writer_open(store, NULL, 4, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "12345", 5, &err), -EFBIG);
        blob_writer_abort(w);
        berth_error_clear(&err);
        /* Less than announced fails at the commit. */
        assert_int_equal(blob_writer_open(store, NULL, 10, &w, &err), 0);
        assert_int_equal(blob_writer_write(w, "123", 3, &err), 0);
        assert_int_equal(blob_writer_commit(w, got, &err), -EBADMSG);
        berth_error_clear(&err);
        /* Invalid digests are refused before anything is written. */
        assert_true(blob_writer_open(store, "sha256:xyz", -1, &w, &err) < 0);
        berth_error_clear(&err);
        assert_true(blob_writer_open(store, "sha512:00", -1, &w, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "only sha256"));
        berth_error_clear(&err);
}

static void test_corrupt_blob_refused_on_read(void **state)
{
        const char *data = "{\"k\": 1}";
        char digest[DIGEST_STRING_LEN + 1], path[512];
        berth_error err = {0};
        char *out = NULL;
        int fd;

        assert_int_equal(store_blob_put(store, data, strlen(data), digest, &err), 0);
        snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, digest_hex(digest));
        fd = open(path, O_WRONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "X", 1, 1), 1);
        close(fd);
        assert_int_equal(store_blob_read(store, digest, 1024, &out, NULL, &err), -EBADMSG);
        berth_error_clear(&err);
        assert_int_equal(store_blob_verify(store, digest, &err), -EBADMSG);
        berth_error_clear(&err);
}

static void test_run_config(void **state)
{
        const char *cfg =
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                "\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"cat /etc/motd\"],\"Env\":[\"A=b c\"],"
                "\"WorkingDir\":\"/data\",\"User\":\"0:0\",\"StopSignal\":\"SIGQUIT\",\"Volumes\":{\"/data/vol\":{}},"
                "\"ExposedPorts\":{\"80/tcp\":{}},\"Labels\":{\"k\":\"v\"}}}";
        char digest[DIGEST_STRING_LEN + 1];
        struct image_run_config c;
        berth_error err = {0};

        assert_int_equal(store_blob_put(store, cfg, strlen(cfg), digest, &err), 0);
        assert_int_equal(image_run_config_get(store, digest, &c, &err), 0);
        assert_string_equal(c.entrypoint[0], "/bin/sh");
        assert_string_equal(c.cmd[0], "cat /etc/motd");
        assert_null(c.cmd[1]);
        assert_string_equal(c.env[0], "A=b c");
        assert_string_equal(c.working_dir, "/data");
        assert_string_equal(c.user, "0:0");
        assert_string_equal(c.stop_signal, "SIGQUIT");
        assert_string_equal(c.volumes[0], "/data/vol");
        assert_string_equal(c.exposed_ports[0], "80/tcp");
        assert_string_equal(c.labels[0], "k=v");
        image_run_config_clear(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stream_verified), cmocka_unit_test(test_wrong_digest_never_visible),
                cmocka_unit_test(test_size_limits), cmocka_unit_test(test_corrupt_blob_refused_on_read),
                cmocka_unit_test(test_run_config),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
