#include "image/import.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/blob.h"
#include "image/changes.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/gc.h"
#include "lib/json.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "image/stream.h"
#include "lib/util.h"

#define IMPORT_BUFFER (1u << 20)

/* The tarball goes into the store as it is; one decompressing pass then gives its diff id. */
static int store_input(struct image_store *s, int fd, char digest[DIGEST_STRING_LEN + 1], int64_t *size,
                       berth_error *err)
{
        cleanup_free char *buf = xmalloc(IMPORT_BUFFER);
        struct blob_writer *w;
        int r;

        if ((r = blob_writer_open(s, NULL, -1, &w, err)) < 0)
                return r;
        for (;;) {
                ssize_t n = read(fd, buf, IMPORT_BUFFER);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        blob_writer_abort(w);
                        return berth_fail(err, errno, "read the tarball");
                }
                if (n == 0)
                        break;
                if ((r = blob_writer_write(w, buf, (size_t) n, err)) < 0) {
                        blob_writer_abort(w);
                        return r;
                }
        }
        *size = (int64_t) blob_writer_size(w);
        if (*size == 0) {
                blob_writer_abort(w);
                return berth_failf(err, EINVAL, "the tarball is empty");
        }
        return blob_writer_commit(w, digest, err);
}

static int diff_id_of(struct image_store *s, const char *digest, struct layer_stream_result *res, berth_error *err)
{
        cleanup_close int fd = store_blob_open(s, digest, err);
        struct layer_stream *st = NULL;
        int r;

        if (fd < 0)
                return fd;
        if ((r = layer_stream_open(fd, &st, err)) < 0)
                return r;
        r = layer_stream_finish(st, res, err);
        layer_stream_close(st);
        return r;
}

static const char *media_type_for(enum layer_compression c)
{
        return c == LAYER_COMPRESSION_GZIP ? MEDIA_OCI_LAYER_GZIP : c == LAYER_COMPRESSION_ZSTD ? MEDIA_OCI_LAYER_ZSTD
                                                                                               : MEDIA_OCI_LAYER;
}

static int import_blobs(struct image_store *s, int fd, const struct import_options *opts, char **id_out, berth_error *err);

int image_import(struct image_store *s, int fd, const struct import_options *opts, char **id_out, berth_error *err)
{
        int r = import_blobs(s, fd, opts, id_out, err);

        if (r < 0)
                store_discard_unreferenced(s);
        return r;
}

static int import_blobs(struct image_store *s, int fd, const struct import_options *opts, char **id_out, berth_error *err)
{
        char layer[DIGEST_STRING_LEN + 1], config_digest[DIGEST_STRING_LEN + 1], manifest_digest[DIGEST_STRING_LEN + 1];
        struct layer_stream_result res;
        cleanup_json json_t *cfg = NULL;
        cleanup_free char *cfgtext = NULL, *manifest = NULL;
        char created[64];
        struct timespec now;
        cleanup_platform struct platform platform = {0};
        json_t *config;
        int64_t size = 0;
        int r;

        if ((r = platform_parse(opts->platform, &platform, err)) < 0)
                return r;
        if ((r = store_input(s, fd, layer, &size, err)) < 0 || (r = diff_id_of(s, layer, &res, err)) < 0)
                return r;
        /* xz and bzip2 have no OCI media type: the layer is kept as the plain tar it holds. */
        if (!LAYER_COMPRESSION_HAS_MEDIA_TYPE(res.compression)) {
                if ((r = layer_blob_decompress(s, layer, layer, &size, err)) < 0)
                        return r;
                res.compression = LAYER_COMPRESSION_NONE;
        }
        clock_gettime(CLOCK_REALTIME, &now);
        format_rfc3339_nano(&now, created, sizeof(created));
        config = json_object();
        for (char **c = opts->changes; c && *c; c++)
                if ((r = image_change_apply(config, *c, err)) < 0) {
                        json_decref(config);
                        return r;
                }
        cfg = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s}]}", "architecture", platform.arch, "os", platform.os,
                        "created", created, "config", config, "rootfs", "type", "layers", "diff_ids",
                        res.uncompressed_digest, "history", "created", created, "created_by", "berth import",
                        "comment", opts->message ? opts->message : "");
        if (cfg == NULL)
                return berth_failf(err, EINVAL, "build the image config");
        if (platform.variant != NULL && *platform.variant != '\0')
                json_object_set_new(cfg, "variant", json_string(platform.variant));
        cfgtext = json_to_string(cfg);
        if ((r = store_blob_put(s, cfgtext, strlen(cfgtext), config_digest, err)) < 0)
                return r;
        struct descriptor cd = {.media_type = MEDIA_OCI_CONFIG, .digest = config_digest, .size = (int64_t) strlen(cfgtext)};
        struct descriptor ld = {.media_type = (char *) media_type_for(res.compression), .digest = layer, .size = size};
        manifest = image_manifest_build_oci(&cd, &ld, 1);
        if ((r = store_blob_put(s, manifest, strlen(manifest), manifest_digest, err)) < 0)
                return r;
        struct image_commit c = {
                .manifest_digest = manifest_digest, .manifest_media_type = MEDIA_OCI_MANIFEST,
                .config_digest = config_digest, .layers = &ld, .n_layers = 1, .names = opts->names,
        };
        return image_commit(s, &c, id_out, err);
}
