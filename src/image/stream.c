#include "image/stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define STREAM_IN_SIZE (1u << 20)
#define STREAM_OUT_SIZE (1u << 20)
#define STREAM_SLOTS 6 /* output buffers in flight between the producer and the consumer */

struct stream_slot {
        unsigned char *data;
        size_t len;
};

struct layer_stream {
        int fd;
        pthread_t thread;
        bool thread_started;

        pthread_mutex_t lock;
        pthread_cond_t changed;
        struct stream_slot slots[STREAM_SLOTS];
        size_t head;     /* next slot the consumer takes */
        size_t count;    /* filled slots */
        bool consumer_holds; /* the consumer still uses slots[head - 1] */
        bool done;       /* producer finished (successfully or not) */
        bool cancelled;  /* consumer gave up */
        int error_code;
        char *error_message;

        /* producer-only state */
        layer_progress_fn progress;
        void *progress_data;
        const char *progress_digest;
        unsigned char *in;
        struct digest_ctx *compressed;
        struct digest_ctx *uncompressed;
        struct layer_stream_result result;
};

const char *layer_compression_name(enum layer_compression c)
{
        switch (c) {
        case LAYER_COMPRESSION_GZIP: return "gzip";
        case LAYER_COMPRESSION_ZSTD: return "zstd";
        case LAYER_COMPRESSION_XZ: return "xz";
        case LAYER_COMPRESSION_BZIP2: return "bzip2";
        default: return "none";
        }
}

static void producer_fail(struct layer_stream *s, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void producer_fail(struct layer_stream *s, int code, const char *fmt, ...)
{
        va_list ap;
        char *msg = NULL;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        pthread_mutex_lock(&s->lock);
        if (s->error_code == 0) {
                s->error_code = code;
                s->error_message = msg;
                msg = NULL;
        }
        pthread_mutex_unlock(&s->lock);
        free(msg);
}

/* Waits for a free slot; returns NULL when the consumer cancelled. */
static struct stream_slot *producer_slot(struct layer_stream *s)
{
        struct stream_slot *slot = NULL;

        pthread_mutex_lock(&s->lock);
        /* The slot the consumer is reading stays reserved (libarchive keeps using the last buffer until its
         * next read), so at most STREAM_SLOTS - 1 are filled ahead. */
        while (!s->cancelled && s->count + (s->consumer_holds ? 1 : 0) >= STREAM_SLOTS)
                pthread_cond_wait(&s->changed, &s->lock);
        if (!s->cancelled)
                slot = &s->slots[(s->head + s->count) % STREAM_SLOTS];
        pthread_mutex_unlock(&s->lock);
        return slot;
}

static bool producer_push(struct layer_stream *s, struct stream_slot *slot, size_t len)
{
        bool ok;

        slot->len = len;
        digest_update(s->uncompressed, slot->data, len);
        s->result.uncompressed_size += len;
        pthread_mutex_lock(&s->lock);
        ok = !s->cancelled;
        if (ok)
                s->count++;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        return ok;
}

/* Reads up to STREAM_IN_SIZE compressed bytes; returns the count, 0 at EOF, -1 after producer_fail. */
static ssize_t producer_read(struct layer_stream *s)
{
        ssize_t n = read_all(s->fd, s->in, STREAM_IN_SIZE);

        if (n < 0) {
                producer_fail(s, (int) -n, "read layer: %s", strerror((int) -n));
                return -1;
        }
        digest_update(s->compressed, s->in, (size_t) n);
        s->result.compressed_size += (uint64_t) n;
        if (s->progress != NULL && n > 0)
                s->progress(s->progress_data, s->progress_digest, s->result.compressed_size);
        return n;
}

static void produce_plain(struct layer_stream *s, size_t first)
{
        size_t have = first;

        for (;;) {
                struct stream_slot *slot = producer_slot(s);
                ssize_t n;
                if (slot == NULL)
                        return;
                memcpy(slot->data, s->in, have);
                if (!producer_push(s, slot, have))
                        return;
                n = producer_read(s);
                if (n <= 0)
                        return;
                have = (size_t) n;
        }
}

static const char *isal_error(int r)
{
        switch (r) {
        case ISAL_INVALID_BLOCK: return "invalid deflate block";
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
        case ISAL_INVALID_LOOKBACK: return "invalid lookback distance";
        case ISAL_INVALID_WRAPPER: return "invalid gzip header";
        case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
        case ISAL_INCORRECT_CHECKSUM: return "checksum mismatch";
        default: return "corrupt input";
        }
}

static void produce_gzip(struct layer_stream *s, size_t first)
{
        struct inflate_state *st = xzalloc(sizeof(*st));
        struct stream_slot *slot = NULL;
        bool finished_member = false;

        isal_inflate_init(st);
        st->crc_flag = ISAL_GZIP; /* parses the gzip header and checks CRC-32 and ISIZE of each member */
        st->next_in = s->in;
        st->avail_in = (uint32_t) first;
        for (;;) {
                int r;

                if (slot == NULL) {
                        slot = producer_slot(s);
                        if (slot == NULL)
                                goto out;
                        st->next_out = slot->data;
                        st->avail_out = STREAM_OUT_SIZE;
                }
                if (st->avail_in == 0) {
                        ssize_t n = producer_read(s);
                        if (n < 0)
                                goto out;
                        if (n == 0) {
                                if (!finished_member) {
                                        producer_fail(s, EPIPE, "gzip: unexpected end of compressed data");
                                        goto out;
                                }
                                if (st->avail_out < STREAM_OUT_SIZE)
                                        producer_push(s, slot, STREAM_OUT_SIZE - st->avail_out);
                                goto out;
                        }
                        st->next_in = s->in;
                        st->avail_in = (uint32_t) n;
                }
                if (finished_member) {
                        /* RFC 1952 allows several members back to back (pigz, concatenated layers). */
                        isal_inflate_reset(st);
                        st->crc_flag = ISAL_GZIP;
                        finished_member = false;
                }
                r = isal_inflate(st);
                if (r < 0) {
                        producer_fail(s, EBADMSG, "gzip: %s", isal_error(r));
                        goto out;
                }
                if (st->block_state == ISAL_BLOCK_FINISH)
                        finished_member = true;
                if (st->avail_out == 0) {
                        if (!producer_push(s, slot, STREAM_OUT_SIZE))
                                goto out;
                        slot = NULL;
                }
        }
out:
        free(st);
}

static void produce_zstd(struct layer_stream *s, size_t first)
{
        ZSTD_DStream *z = ZSTD_createDStream();
        ZSTD_inBuffer in = {s->in, first, 0};
        struct stream_slot *slot = NULL;
        ZSTD_outBuffer out = {0};
        size_t last = 1;

        if (z == NULL)
                abort();
        ZSTD_initDStream(z);
        for (;;) {
                if (slot == NULL) {
                        slot = producer_slot(s);
                        if (slot == NULL)
                                break;
                        out = (ZSTD_outBuffer){slot->data, STREAM_OUT_SIZE, 0};
                }
                if (in.pos == in.size) {
                        ssize_t n = producer_read(s);
                        if (n < 0)
                                break;
                        if (n == 0) {
                                /* last == 0: the final frame ended exactly here. */
                                if (last != 0)
                                        producer_fail(s, EPIPE, "zstd: unexpected end of compressed data");
                                else if (out.pos > 0)
                                        producer_push(s, slot, out.pos);
                                break;
                        }
                        in = (ZSTD_inBuffer){s->in, (size_t) n, 0};
                }
                last = ZSTD_decompressStream(z, &out, &in);
                if (ZSTD_isError(last)) {
                        producer_fail(s, EBADMSG, "zstd: %s", ZSTD_getErrorName(last));
                        break;
                }
                if (out.pos == out.size) {
                        if (!producer_push(s, slot, out.pos))
                                break;
                        slot = NULL;
                }
        }
        ZSTD_freeDStream(z);
}

/* xz and bzip2 through libarchive's filters (its "raw" format: the decompressed bytes as one entry). */
struct filter_source {
        struct layer_stream *s;
        size_t first; /* the bytes producer_main read already, handed over first */
        bool failed;
};

static la_ssize_t filter_read(struct archive *a, void *data, const void **buf)
{
        struct filter_source *src = data;
        ssize_t n;

        *buf = src->s->in;
        if (src->first > 0) {
                n = (ssize_t) src->first;
                src->first = 0;
                return n;
        }
        n = producer_read(src->s); /* libarchive is done with the previous buffer when it asks again */
        if (n < 0) {
                src->failed = true;
                archive_set_error(a, EIO, "read layer");
                return -1;
        }
        return n;
}

static void produce_filtered(struct layer_stream *s, size_t first)
{
        const char *name = layer_compression_name(s->result.compression);
        struct filter_source src = {.s = s, .first = first};
        struct archive *a = archive_read_new();
        struct archive_entry *entry;
        int r;

        if (a == NULL) {
                producer_fail(s, ENOMEM, "%s: no memory", name);
                return;
        }
        r = s->result.compression == LAYER_COMPRESSION_XZ ? archive_read_support_filter_xz(a)
                                                          : archive_read_support_filter_bzip2(a);
        /* ARCHIVE_WARN: libarchive would run an external program; berth never forks one in a thread. */
        if (r != ARCHIVE_OK) {
                producer_fail(s, ENOTSUP, "%s: this libarchive has no %s decompression built in", name, name);
                goto out;
        }
        if (archive_read_support_format_raw(a) != ARCHIVE_OK ||
            archive_read_open(a, &src, NULL, filter_read, NULL) != ARCHIVE_OK) {
                if (!src.failed)
                        producer_fail(s, EBADMSG, "%s: %s", name, archive_error_string(a));
                goto out;
        }
        r = archive_read_next_header(a, &entry);
        if (r == ARCHIVE_EOF)
                goto out;
        if (r != ARCHIVE_OK) {
                if (!src.failed)
                        producer_fail(s, EBADMSG, "%s: %s", name, archive_error_string(a));
                goto out;
        }
        for (;;) {
                struct stream_slot *slot = producer_slot(s);
                size_t have = 0;
                la_ssize_t n = 1;
                if (slot == NULL)
                        goto out;
                while (have < STREAM_OUT_SIZE && (n = archive_read_data(a, slot->data + have, STREAM_OUT_SIZE - have)) > 0)
                        have += (size_t) n;
                if (n < 0) {
                        if (!src.failed)
                                producer_fail(s, EBADMSG, "%s: %s", name, archive_error_string(a));
                        goto out;
                }
                if (have > 0 && !producer_push(s, slot, have))
                        goto out;
                if (n == 0)
                        break;
        }
out:
        archive_read_free(a);
}

enum layer_compression layer_compression_sniff(const unsigned char *m, size_t n)
{
        if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
                return LAYER_COMPRESSION_GZIP;
        if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return LAYER_COMPRESSION_ZSTD;
        if (n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
                return LAYER_COMPRESSION_XZ;
        if (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
                return LAYER_COMPRESSION_BZIP2;
        return LAYER_COMPRESSION_NONE;
}

static void *producer_main(void *arg)
{
        struct layer_stream *s = arg;
        ssize_t n = producer_read(s);

        if (n >= 0) {
                s->result.compression = layer_compression_sniff(s->in, (size_t) n);
                switch (s->result.compression) {
                case LAYER_COMPRESSION_GZIP: produce_gzip(s, (size_t) n); break;
                case LAYER_COMPRESSION_ZSTD: produce_zstd(s, (size_t) n); break;
                case LAYER_COMPRESSION_XZ:
                case LAYER_COMPRESSION_BZIP2: produce_filtered(s, (size_t) n); break;
                case LAYER_COMPRESSION_NONE:
                        if (n > 0)
                                produce_plain(s, (size_t) n);
                        break;
                }
        }
        digest_final(s->compressed, s->result.compressed_digest);
        digest_final(s->uncompressed, s->result.uncompressed_digest);
        pthread_mutex_lock(&s->lock);
        s->done = true;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

int layer_stream_open(int fd, struct layer_stream **out, berth_error *err)
{
        return layer_stream_open_progress(fd, NULL, NULL, NULL, out, err);
}

int layer_stream_open_progress(int fd, layer_progress_fn fn, void *data, const char *blob_digest,
                               struct layer_stream **out, berth_error *err)
{
        struct layer_stream *s = xzalloc(sizeof(*s));
        int r;

        s->fd = fd;
        s->progress = fn;
        s->progress_data = data;
        s->progress_digest = blob_digest;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->changed, NULL);
        for (size_t i = 0; i < STREAM_SLOTS; i++)
                s->slots[i].data = xmalloc(STREAM_OUT_SIZE);
        s->in = xmalloc(STREAM_IN_SIZE);
        s->compressed = digest_new();
        s->uncompressed = digest_new();
        r = pthread_create(&s->thread, NULL, producer_main, s);
        if (r != 0) {
                layer_stream_close(s);
                return berth_fail(err, r, "start decompression thread");
        }
        s->thread_started = true;
        *out = s;
        return 0;
}

static int stream_error(struct layer_stream *s, berth_error *err)
{
        return berth_failf(err, s->error_code, "%s", s->error_message ? s->error_message : "layer stream failed");
}

ssize_t layer_stream_next(struct layer_stream *s, const void **buf, berth_error *err)
{
        ssize_t len = 0;

        pthread_mutex_lock(&s->lock);
        if (s->consumer_holds) {
                s->consumer_holds = false;
                pthread_cond_broadcast(&s->changed);
        }
        while (s->count == 0 && !s->done && s->error_code == 0)
                pthread_cond_wait(&s->changed, &s->lock);
        if (s->error_code != 0) {
                pthread_mutex_unlock(&s->lock);
                return stream_error(s, err);
        }
        if (s->count > 0) {
                struct stream_slot *slot = &s->slots[s->head];
                *buf = slot->data;
                len = (ssize_t) slot->len;
                s->head = (s->head + 1) % STREAM_SLOTS;
                s->count--;
                s->consumer_holds = true;
        }
        pthread_mutex_unlock(&s->lock);
        return len;
}

int layer_stream_finish(struct layer_stream *s, struct layer_stream_result *result, berth_error *err)
{
        const void *buf;
        ssize_t n;

        while ((n = layer_stream_next(s, &buf, err)) > 0)
                ;
        if (n < 0)
                return (int) n;
        pthread_join(s->thread, NULL);
        s->thread_started = false;
        if (s->error_code != 0)
                return stream_error(s, err);
        *result = s->result;
        return 0;
}

void layer_stream_close(struct layer_stream *s)
{
        if (s == NULL)
                return;
        if (s->thread_started) {
                pthread_mutex_lock(&s->lock);
                s->cancelled = true;
                pthread_cond_broadcast(&s->changed);
                pthread_mutex_unlock(&s->lock);
                pthread_join(s->thread, NULL);
        }
        for (size_t i = 0; i < STREAM_SLOTS; i++)
                free(s->slots[i].data);
        free(s->in);
        digest_free(s->compressed);
        digest_free(s->uncompressed);
        free(s->error_message);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->changed);
        free(s);
}

int layer_blob_decompress(struct image_store *s, const char *digest, char out[DIGEST_STRING_LEN + 1], int64_t *size,
                          berth_error *err)
{
        cleanup_close int fd = store_blob_open(s, digest, err);
        char in[DIGEST_STRING_LEN + 1];
        struct layer_stream *st = NULL;
        struct blob_writer *w = NULL;
        struct layer_stream_result res;
        const void *buf;
        ssize_t n;
        int r;

        if (fd < 0)
                return fd;
        snprintf(in, sizeof(in), "%s", digest); /* out may be digest's buffer */
        if ((r = layer_stream_open(fd, &st, err)) < 0)
                return r;
        if ((r = blob_writer_open(s, NULL, -1, &w, err)) < 0)
                goto out;
        while ((n = layer_stream_next(st, &buf, err)) > 0)
                if ((r = blob_writer_write(w, buf, (size_t) n, err)) < 0)
                        goto out;
        if (n < 0) {
                r = (int) n;
                goto out;
        }
        if ((r = layer_stream_finish(st, &res, err)) < 0)
                goto out;
        *size = (int64_t) blob_writer_size(w);
        r = blob_writer_commit(w, out, err);
        w = NULL;
        if (r == 0 && strcmp(out, res.uncompressed_digest) != 0)
                r = berth_failf(err, EIO, "layer %s: uncompressed blob %s is not its diff id %s", in, out,
                                res.uncompressed_digest);
out:
        if (w != NULL)
                blob_writer_abort(w);
        layer_stream_close(st);
        return r;
}
