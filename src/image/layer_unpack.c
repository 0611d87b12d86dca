/* Layers: unpacking the layers an image needs, in parallel, each once, into its own directory. */
#include "image/layer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/fsutil.h"
#include "image/imagedb.h"
#include "image/stream.h"
#include "image/unpack.h"
#include "lib/util.h"

#define LINK_MIN_LEN 12

static int make_link(struct image_store *s, const char *diff_id, char **link_out, berth_error *err)
{
        const char *hex = digest_hex(diff_id);
        cleanup_free char *target = xasprintf("../layers/%s/diff", hex);

        for (size_t len = LINK_MIN_LEN; len <= DIGEST_HEX_LEN; len++) {
                cleanup_free char *name = xasprintf("l/%.*s", (int) len, hex);
                char existing[256];
                ssize_t n;

                if (symlinkat(target, s->rootfd, name) == 0) {
                        *link_out = xstrndup(hex, len);
                        return 0;
                }
                if (errno != EEXIST)
                        return berth_fail(err, errno, "create %s/%s", s->root, name);
                n = readlinkat(s->rootfd, name, existing, sizeof(existing) - 1);
                if (n >= 0) {
                        existing[n] = '\0';
                        if (strcmp(existing, target) == 0) {
                                *link_out = xstrndup(hex, len);
                                return 0;
                        }
                }
        }
        return berth_failf(err, EEXIST, "no free short name for layer %s", diff_id);
}

static int register_layer(struct image_store *s, struct layer_job *job, int64_t size, berth_error *err)
{
        int r;

        if ((r = make_link(s, job->diff_id, &job->link, err)) < 0)
                return r;
        if ((r = imagedb_layer_put(s, job->diff_id, job->link, size, err)) < 0)
                return r;
        /* A concurrent load may have registered the same layer first: take its record. */
        free(job->link);
        job->link = NULL;
        r = imagedb_layer_get(s, job->diff_id, &job->link, &job->size, err);
        return r == -ENOENT ? berth_failf(err, EIO, "layer %s vanished", job->diff_id) : r;
}

static int check_digests(const struct layer_job *job, const struct layer_stream_result *res, berth_error *err)
{
        if (strcmp(res->compressed_digest, job->blob_digest) != 0)
                return berth_failf(err, EBADMSG, "layer %s: blob digest mismatch: content has %s", job->blob_digest,
                                   res->compressed_digest);
        if (strcmp(res->uncompressed_digest, job->diff_id) != 0)
                return berth_failf(err, EBADMSG,
                                   "layer %s: diff id mismatch: the uncompressed content has %s, the image config says %s",
                                   job->blob_digest, res->uncompressed_digest, job->diff_id);
        return 0;
}

static int unpack_into(struct image_store *s, struct layer_job *job, const char *tmprel, int64_t *size,
                       berth_error *err)
{
        cleanup_free char *diffrel = xasprintf("%s/diff", tmprel);
        cleanup_close int blobfd = -1, difffd = -1;
        struct layer_stream *stream = NULL;
        struct layer_stream_result res;
        struct unpack_stats stats;
        struct unpack_options opts = {.create_devices = s->is_root && s->nodev};
        int r;

        if (mkdirat(s->rootfd, diffrel, 0755) < 0)
                return berth_fail(err, errno, "create %s/%s", s->root, diffrel);
        difffd = openat(s->rootfd, diffrel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (difffd < 0)
                return berth_fail(err, errno, "open %s/%s", s->root, diffrel);
        blobfd = store_blob_open(s, job->blob_digest, err);
        if (blobfd < 0)
                return blobfd;
        posix_fadvise(blobfd, 0, 0, POSIX_FADV_SEQUENTIAL);
        if ((r = layer_stream_open_progress(blobfd, job->progress, job->progress_data, job->blob_digest, &stream, err)) < 0)
                return r;
        r = layer_unpack(stream, difffd, &opts, &stats, err);
        if (r == 0)
                r = layer_stream_finish(stream, &res, err);
        layer_stream_close(stream);
        if (r < 0)
                return berth_error_prefix(err, "layer %s: ", job->blob_digest);
        if ((r = check_digests(job, &res, err)) < 0)
                return r;
        /* One syncfs for the whole tree instead of an fsync per file: the layer's name appears (rename)
         * only after its contents are durable. */
        if (syncfs(difffd) < 0)
                return berth_fail(err, errno, "sync layer %s", job->diff_id);
        *size = (int64_t) stats.size;
        return 0;
}

enum job_state { JOB_PRESENT, JOB_REGISTER, JOB_UNPACK };

/* Decides what a layer needs (database reads: calling thread only). */
static int layer_plan(struct image_store *s, struct layer_job *job, enum job_state *state, berth_error *err)
{
        cleanup_free char *final = xasprintf("layers/%s", digest_hex(job->diff_id));
        struct stat st;
        bool dir;
        int r;

        dir = fstatat(s->rootfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        r = imagedb_layer_get(s, job->diff_id, &job->link, &job->size, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0 && dir) {
                *state = JOB_PRESENT;
                return 0;
        }
        free(job->link);
        job->link = NULL;
        if (dir) {
                /* Renamed into place by a load killed before its record: a layer directory only ever appears
                 * complete and verified, so it only needs its record. */
                uint64_t bytes = 0;
                cleanup_free char *diffrel = layer_diff_relpath(job->diff_id);
                if ((r = fs_tree_size_at(s->rootfd, diffrel, &bytes, err)) < 0)
                        return r;
                job->size = (int64_t) bytes;
                *state = JOB_REGISTER;
                return 0;
        }
        *state = JOB_UNPACK;
        return 0;
}

/* Unpacks into ROOT/tmp and renames into place; touches no database (runs on worker threads). */
static int layer_unpack_job(struct image_store *s, struct layer_job *job, berth_error *err)
{
        cleanup_free char *final = xasprintf("layers/%s", digest_hex(job->diff_id));
        cleanup_free char *tmprel = NULL;
        int64_t size = 0;
        int r;

        if ((r = store_tmpdir(s, "layer", &tmprel, err)) < 0)
                return r;
        r = unpack_into(s, job, tmprel, &size, err);
        if (r == 0 && renameat(s->rootfd, tmprel, s->rootfd, final) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY)
                        r = berth_fail(err, errno, "move layer %s into place", job->diff_id);
                /* else: a concurrent load put the same layer there first; ours is dropped below */
        }
        {
                berth_error e = {0};
                fs_remove_tree_at(s->rootfd, tmprel, &e); /* a leftover is removed by the next store_open */
                berth_error_clear(&e);
        }
        if (r < 0)
                return r;
        job->size = size;
        job->unpacked = true;
        return 0;
}

struct pool {
        struct image_store *s;
        struct layer_job *jobs;
        enum job_state *states;
        size_t n, next;
        pthread_mutex_t lock;
        berth_error err;
        int r;
};

static void *pool_worker(void *arg)
{
        struct pool *p = arg;

        for (;;) {
                size_t i;
                berth_error e = {0};
                int r;

                pthread_mutex_lock(&p->lock);
                while (p->next < p->n && p->states[p->next] != JOB_UNPACK)
                        p->next++;
                if (p->next >= p->n || p->r < 0) {
                        pthread_mutex_unlock(&p->lock);
                        return NULL;
                }
                i = p->next++;
                pthread_mutex_unlock(&p->lock);
                r = layer_unpack_job(p->s, &p->jobs[i], &e);
                pthread_mutex_lock(&p->lock);
                if (r < 0 && p->r == 0) {
                        p->r = r;
                        p->err = e;
                        e = (berth_error){0};
                }
                pthread_mutex_unlock(&p->lock);
                berth_error_clear(&e);
        }
}

static int run_pool(struct pool *p, size_t to_unpack, unsigned parallel, berth_error *err)
{
        pthread_t threads[8];
        size_t started = 0;

        if (parallel > ARRAY_SIZE(threads))
                parallel = ARRAY_SIZE(threads);
        if (to_unpack <= 1 || parallel <= 1) {
                for (size_t i = 0; i < p->n; i++) {
                        int r;
                        if (p->states[i] == JOB_UNPACK && (r = layer_unpack_job(p->s, &p->jobs[i], err)) < 0)
                                return r;
                }
                return 0;
        }
        pthread_mutex_init(&p->lock, NULL);
        for (; started < parallel && started < to_unpack; started++)
                if (pthread_create(&threads[started], NULL, pool_worker, p) != 0)
                        break;
        if (started == 0)
                pool_worker(p);
        for (size_t i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        pthread_mutex_destroy(&p->lock);
        if (p->r < 0) {
                int r = berth_failf(err, p->err.code, "%s", berth_error_message(&p->err));
                berth_error_clear(&p->err);
                return r;
        }
        return 0;
}

int layer_ensure_all(struct image_store *s, struct layer_job *jobs, size_t n, unsigned parallel, berth_error *err)
{
        cleanup_free enum job_state *states = xzalloc((n ? n : 1) * sizeof(*states));
        struct pool p = {.s = s, .jobs = jobs, .states = states, .n = n};
        size_t to_unpack = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                if ((r = layer_plan(s, &jobs[i], &states[i], err)) < 0)
                        return r;
                /* The same layer twice in one image: unpack it once. */
                for (size_t j = 0; j < i; j++)
                        if (states[i] == JOB_UNPACK && states[j] == JOB_UNPACK && strcmp(jobs[i].diff_id, jobs[j].diff_id) == 0)
                                states[i] = JOB_REGISTER;
                to_unpack += states[i] == JOB_UNPACK;
        }
        if ((r = run_pool(&p, to_unpack, parallel, err)) < 0)
                return r;
        /* Records are written here, by the one thread that owns the database connection. */
        for (size_t i = 0; i < n; i++) {
                if (states[i] == JOB_PRESENT)
                        continue;
                if (states[i] == JOB_REGISTER && jobs[i].size == 0) {
                        for (size_t j = 0; j < i; j++)
                                if (strcmp(jobs[i].diff_id, jobs[j].diff_id) == 0)
                                        jobs[i].size = jobs[j].size;
                }
                if ((r = register_layer(s, &jobs[i], jobs[i].size, err)) < 0)
                        return r;
        }
        return 0;
}

void layer_jobs_clear(struct layer_job *jobs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(jobs[i].link);
                jobs[i].link = NULL;
        }
}

