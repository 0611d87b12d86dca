#include "image/save.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/imagedb.h"
#include "lib/json.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "lib/util.h"

#define COPY_BUFFER (1u << 20)

struct saver {
        struct image_store *store;
        struct archive *a;
        char **written; /* blob digests already in the archive */
        unsigned char *buf;
};

static int archive_fail(struct saver *w, const char *what, berth_error *err)
{
        const char *m = archive_error_string(w->a);
        return berth_failf(err, EIO, "write archive: %s: %s", what, m ? m : "error");
}

static int write_header(struct saver *w, const char *name, int64_t size, mode_t type, berth_error *err)
{
        struct archive_entry *e = archive_entry_new();
        int r = 0;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
        archive_entry_set_mtime(e, 0, 0);
        if (archive_write_header(w->a, e) != ARCHIVE_OK)
                r = archive_fail(w, name, err);
        archive_entry_free(e);
        return r;
}

static int write_memory(struct saver *w, const char *name, const char *data, size_t len, berth_error *err)
{
        int r;

        if ((r = write_header(w, name, (int64_t) len, AE_IFREG, err)) < 0)
                return r;
        if (len > 0 && archive_write_data(w->a, data, len) != (la_ssize_t) len)
                return archive_fail(w, name, err);
        return 0;
}

/* Copies a blob into the archive as blobs/sha256/HEX, hashing it on the way: a blob corrupted on disk
 * fails the save instead of producing an archive that lies. */
static int write_blob(struct saver *w, const char *digest, berth_error *err)
{
        cleanup_free char *name = store_blob_relpath(digest);
        cleanup_close int fd = -1;
        cleanup_digest struct digest_ctx *ctx = NULL;
        char actual[DIGEST_STRING_LEN + 1];
        struct stat st;
        int64_t left;
        int r;

        if (strv_contains(w->written, digest))
                return 0;
        fd = store_blob_open(w->store, digest, err);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return berth_fail(err, errno, "stat blob %s", digest);
        if ((r = write_header(w, name, st.st_size, AE_IFREG, err)) < 0)
                return r;
        ctx = digest_new();
        for (left = st.st_size; left > 0;) {
                ssize_t n = read(fd, w->buf, COPY_BUFFER);
                if (n < 0)
                        return berth_fail(err, errno, "read blob %s", digest);
                if (n == 0)
                        return berth_failf(err, EIO, "blob %s shrank while being saved", digest);
                digest_update(ctx, w->buf, (size_t) n);
                if (archive_write_data(w->a, w->buf, (size_t) n) != n)
                        return archive_fail(w, name, err);
                left -= n;
        }
        digest_final(ctx, actual);
        if (strcmp(actual, digest) != 0)
                return berth_failf(err, EBADMSG, "blob %s is corrupt: its content has digest %s", digest, actual);
        w->written = strv_append(w->written, digest);
        return 0;
}

static char *short_tag_of(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(slash ? slash : name, ':');
        return colon ? xstrdup(colon + 1) : NULL;
}

static char *familiar_full(const char *name)
{
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(slash ? slash : name, ':');
        cleanup_free char *repo = colon ? xstrndup(name, (size_t) (colon - name)) : xstrdup(name);
        cleanup_free char *fam = reference_familiar_name(repo);
        return colon ? xasprintf("%s%s", fam, colon) : xstrdup(fam);
}

static int save_all(struct saver *w, const struct save_item *items, size_t n, enum save_format format,
                    berth_error *err)
{
        cleanup_json json_t *index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MEDIA_OCI_INDEX,
                                               "manifests");
        cleanup_json json_t *dmanifest = json_array();
        cleanup_json json_t *repositories = json_object();
        int r;

        if ((r = write_header(w, "blobs", 0, AE_IFDIR, err)) < 0 || (r = write_header(w, "blobs/sha256", 0, AE_IFDIR, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                cleanup_image_record struct image_record rec = {0};
                json_t *desc, *ann, *layers, *entry;
                int64_t msize;

                if ((r = imagedb_get(w->store, items[i].id, &rec, err)) < 0)
                        return r;
                if ((r = write_blob(w, rec.manifest_digest, err)) < 0 || (r = write_blob(w, rec.id, err)) < 0)
                        return r;
                layers = json_array();
                for (size_t l = 0; l < rec.n_layers; l++) {
                        cleanup_free char *p = store_blob_relpath(rec.layers[l].blob_digest);
                        if ((r = write_blob(w, rec.layers[l].blob_digest, err)) < 0) {
                                json_decref(layers);
                                return r;
                        }
                        json_array_append_new(layers, json_string(p));
                }
                msize = store_blob_size(w->store, rec.manifest_digest);
                ann = json_object();
                if (items[i].name != NULL) {
                        cleanup_free char *tag = short_tag_of(items[i].name);
                        json_object_set_new(ann, "io.containerd.image.name", json_string(items[i].name));
                        if (tag != NULL)
                                json_object_set_new(ann, "org.opencontainers.image.ref.name", json_string(tag));
                }
                desc = json_pack("{s:s, s:s, s:I, s:o}", "mediaType", rec.manifest_media_type, "digest",
                                 rec.manifest_digest, "size", (json_int_t) msize, "annotations", ann);
                json_array_append_new(json_object_get(index, "manifests"), desc);

                /* docker-archive: one entry per image, all its names as RepoTags. */
                cleanup_free char *config = store_blob_relpath(rec.id);
                entry = NULL;
                for (size_t k = 0; k < json_array_size(dmanifest); k++)
                        if (strcmp(json_string_value(json_object_get(json_array_get(dmanifest, k), "Config")), config) == 0)
                                entry = json_array_get(dmanifest, k);
                if (entry == NULL) {
                        entry = json_pack("{s:s, s:[], s:o}", "Config", config, "RepoTags", "Layers", layers);
                        json_array_append_new(dmanifest, entry);
                } else {
                        json_decref(layers);
                }
                if (items[i].name != NULL) {
                        cleanup_free char *fam = familiar_full(items[i].name);
                        cleanup_free char *tag = short_tag_of(fam);
                        cleanup_free char *repo = tag ? xstrndup(fam, strlen(fam) - strlen(tag) - 1) : xstrdup(fam);
                        json_array_append_new(json_object_get(entry, "RepoTags"), json_string(fam));
                        if (json_object_get(repositories, repo) == NULL)
                                json_object_set_new(repositories, repo, json_object());
                        if (tag != NULL)
                                json_object_set_new(json_object_get(repositories, repo), tag, json_string(digest_hex(rec.id)));
                }
        }
        {
                cleanup_free char *ix = json_to_string(index);
                static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
                if ((r = write_memory(w, "oci-layout", layout, strlen(layout), err)) < 0 ||
                    (r = write_memory(w, "index.json", ix, strlen(ix), err)) < 0)
                        return r;
        }
        if (format == SAVE_DOCKER_ARCHIVE) {
                cleanup_free char *m = json_to_string(dmanifest);
                cleanup_free char *reps = json_to_string(repositories);
                if ((r = write_memory(w, "manifest.json", m, strlen(m), err)) < 0 ||
                    (r = write_memory(w, "repositories", reps, strlen(reps), err)) < 0)
                        return r;
        }
        return 0;
}

int image_save(struct image_store *s, const struct save_item *items, size_t n, enum save_format format, int fd,
               berth_error *err)
{
        struct saver w = {.store = s, .written = xzalloc(sizeof(char *)), .buf = xmalloc(COPY_BUFFER)};
        int r;

        w.a = archive_write_new();
        if (w.a == NULL)
                abort();
        archive_write_set_format_pax_restricted(w.a);
        archive_write_set_bytes_per_block(w.a, 10240);
        if (archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
                r = archive_fail(&w, "open", err);
                goto out;
        }
        r = save_all(&w, items, n, format, err);
        if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
                r = archive_fail(&w, "close", err);
out:
        archive_write_free(w.a);
        strv_free(w.written);
        free(w.buf);
        return r;
}
