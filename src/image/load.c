#include "image/load.h"
#include "image/stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/gc.h"
#include "lib/json.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "image/reference.h"
#include "image/unpack.h"
#include "lib/util.h"

/* Members up to this size are kept in memory (manifests, configs, index.json); larger ones are streamed
 * into the blob store as they are read. */
#define MEMBER_IN_MEMORY_MAX (1u << 20)
#define ARCHIVE_BLOCK (1u << 20)

struct member {
        char *name; /* cleaned path inside the archive */
        char digest[DIGEST_STRING_LEN + 1];
        int64_t size;
        char *data; /* small members only */
        bool stored; /* in the blob store */
        char *link;  /* a symlink member (podman's <id>/layer.tar -> ../<hash>.tar): its cleaned target */
};

struct loader {
        struct image_store *store;
        const char *what;
        const struct platform *want; /* load --platform; NULL: the host's from an index, any single image */
        struct archive *archive;
        struct member *members;
        size_t n, cap;
};

static void loader_free(struct loader *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->members[i].name);
                free(l->members[i].data);
                free(l->members[i].link);
        }
        free(l->members);
        if (l->archive != NULL)
                archive_read_free(l->archive);
}

void load_result_clear(struct load_result *res)
{
        for (size_t i = 0; i < res->n; i++) {
                free(res->images[i].id);
                strv_free(res->images[i].names);
        }
        free(res->images);
        memset(res, 0, sizeof(*res));
}

static struct member *find_member(struct loader *l, const char *name)
{
        cleanup_free char *clean = NULL;

        if (unpack_clean_name(name, &clean, NULL) < 0)
                return NULL;
        /* Symlink members are followed inside the archive, a few levels at most. */
        for (int depth = 0; depth < 8; depth++) {
                struct member *m = NULL;
                /* The last member of a name wins, as in tar. */
                for (size_t i = l->n; i-- > 0 && m == NULL;)
                        if (strcmp(l->members[i].name, clean) == 0)
                                m = &l->members[i];
                if (m == NULL || m->link == NULL)
                        return m;
                free(clean);
                clean = xstrdup(m->link);
        }
        return NULL;
}

/* The target of a symlink member, relative to the archive root; NULL if it leaves the archive. */
static char *member_link_target(const char *name, const char *target)
{
        const char *slash = strrchr(name, '/');
        cleanup_free char *joined = NULL;
        char *clean = NULL;

        if (target[0] == '/')
                return NULL;
        joined = slash ? xasprintf("%.*s/%s", (int) (slash - name), name, target) : xstrdup(target);
        if (unpack_clean_name(joined, &clean, NULL) < 0)
                return NULL;
        return clean;
}

static int archive_fail(struct loader *l, berth_error *err)
{
        const char *msg = archive_error_string(l->archive);
        return berth_failf(err, EIO, "%s: %s", l->what, msg ? msg : "cannot read the archive");
}

static int read_small(struct loader *l, struct member *m, berth_error *err)
{
        size_t cap = (size_t) m->size, len = 0;
        char *buf = xmalloc(cap + 1);

        while (len < cap) {
                la_ssize_t n = archive_read_data(l->archive, buf + len, cap - len);
                if (n < 0) {
                        free(buf);
                        return archive_fail(l, err);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len != cap) {
                free(buf);
                return berth_failf(err, EPIPE, "%s: %s: truncated archive", l->what, m->name);
        }
        buf[len] = '\0';
        m->data = buf;
        digest_buffer(buf, len, m->digest);
        return 0;
}

/* OCI layouts name blobs blobs/sha256/HEX: such a member must have that digest (checked by the writer). */
static const char *expected_digest(const char *name, char buf[DIGEST_STRING_LEN + 1])
{
        const char *p = strstr(name, "blobs/sha256/");

        if (p == NULL || (p != name && p[-1] != '/'))
                return NULL;
        snprintf(buf, DIGEST_STRING_LEN + 1, "sha256:%s", p + strlen("blobs/sha256/"));
        return digest_is_valid(buf) ? buf : NULL;
}

static int stream_large(struct loader *l, struct member *m, berth_error *err)
{
        struct blob_writer *w = NULL;
        char expect[DIGEST_STRING_LEN + 1];
        const char *want = expected_digest(m->name, expect);
        int r;

        if ((r = blob_writer_open(l->store, want, -1, &w, err)) < 0)
                return r;
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int ar = archive_read_data_block(l->archive, &buf, &len, &off);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
                        blob_writer_abort(w);
                        return archive_fail(l, err);
                }
                if ((r = blob_writer_write(w, buf, len, err)) < 0) {
                        blob_writer_abort(w);
                        return r;
                }
        }
        if (blob_writer_size(w) != (uint64_t) m->size) {
                blob_writer_abort(w);
                return berth_failf(err, EPIPE, "%s: %s: truncated archive", l->what, m->name);
        }
        if ((r = blob_writer_commit(w, m->digest, err)) < 0)
                return berth_error_prefix(err, "%s: %s: ", l->what, m->name);
        m->stored = true;
        return 0;
}

/* A blobs/sha256/HEX member whose blob the store already holds (verified when it was written) is not
 * read again: a second load of the same image costs a seek past each layer. */
static bool skip_present_blob(struct loader *l, struct member *m)
{
        char expect[DIGEST_STRING_LEN + 1];
        const char *want = expected_digest(m->name, expect);

        if (want == NULL || store_blob_size(l->store, want) != m->size)
                return false;
        memcpy(m->digest, want, sizeof(m->digest));
        m->stored = true;
        return true;
}

static int read_members(struct loader *l, int fd, berth_error *err)
{
        struct archive_entry *e;
        int r;

        l->archive = archive_read_new();
        if (l->archive == NULL)
                abort();
        archive_read_support_filter_all(l->archive);
        archive_read_support_format_tar(l->archive);
        if (archive_read_open_fd(l->archive, fd, ARCHIVE_BLOCK) != ARCHIVE_OK)
                return archive_fail(l, err);
        for (;;) {
                struct member *m;
                const char *name;
                int ar = archive_read_next_header(l->archive, &e);

                if (ar == ARCHIVE_EOF)
                        break;
                if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
                        return archive_fail(l, err);
                name = archive_entry_pathname(e);
                if (archive_entry_filetype(e) == AE_IFLNK && name != NULL && archive_entry_symlink(e) != NULL) {
                        char *target = member_link_target(name, archive_entry_symlink(e));
                        cleanup_free char *clean = NULL;
                        if (target == NULL || unpack_clean_name(name, &clean, NULL) < 0) {
                                free(target);
                                continue;
                        }
                        if (l->n == l->cap) {
                                l->cap = l->cap ? 2 * l->cap : 32;
                                l->members = xrealloc(l->members, l->cap * sizeof(*l->members));
                        }
                        memset(&l->members[l->n], 0, sizeof(l->members[l->n]));
                        l->members[l->n].name = steal_pointer(&clean);
                        l->members[l->n].link = target;
                        l->n++;
                        continue;
                }
                if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
                        continue; /* directories, and hardlinks that no format here uses */
                if (l->n == l->cap) {
                        l->cap = l->cap ? 2 * l->cap : 32;
                        l->members = xrealloc(l->members, l->cap * sizeof(*l->members));
                }
                m = &l->members[l->n];
                memset(m, 0, sizeof(*m));
                if (name == NULL || unpack_clean_name(name, &m->name, NULL) < 0)
                        return berth_failf(err, EINVAL, "%s: invalid member name %.200s", l->what, name ? name : "");
                l->n++;
                m->size = archive_entry_size(e);
                if (m->size > (int64_t) MEMBER_IN_MEMORY_MAX && skip_present_blob(l, m)) {
                        if (archive_read_data_skip(l->archive) != ARCHIVE_OK)
                                return archive_fail(l, err);
                        continue;
                }
                if (m->size <= (int64_t) MEMBER_IN_MEMORY_MAX)
                        r = read_small(l, m, err);
                else
                        r = stream_large(l, m, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A member that an image uses as a blob: put into the store (small members were kept in memory) after
 * checking the digest and size the referrer gave. */
static int member_to_blob(struct loader *l, const char *name, const char *want_digest, int64_t want_size,
                          char digest[DIGEST_STRING_LEN + 1], int64_t *size, berth_error *err)
{
        struct member *m = find_member(l, name);
        int r;

        if (m == NULL)
                return berth_failf(err, ENOENT, "%s: missing blob %s", l->what, name);
        if (want_digest != NULL && strcmp(m->digest, want_digest) != 0)
                return berth_failf(err, EBADMSG, "%s: blob %s: digest mismatch: content has %s", l->what, want_digest,
                                   m->digest);
        if (want_size >= 0 && m->size != want_size)
                return berth_failf(err, EBADMSG, "%s: blob %s: size mismatch: %lld bytes, the descriptor says %lld",
                                   l->what, m->digest, (long long) m->size, (long long) want_size);
        if (!m->stored) {
                char put[DIGEST_STRING_LEN + 1];
                if ((r = store_blob_put(l->store, m->data, (size_t) m->size, put, err)) < 0)
                        return r;
                m->stored = true;
        }
        memcpy(digest, m->digest, DIGEST_STRING_LEN + 1);
        if (size != NULL)
                *size = m->size;
        return 0;
}

static int add_result(struct load_result *res, const char *id, char **names)
{
        res->images = xrealloc(res->images, (res->n + 1) * sizeof(*res->images));
        res->images[res->n].id = xstrdup(id);
        res->images[res->n].names = names ? strv_dup(names) : xzalloc(sizeof(char *));
        res->n++;
        return 0;
}

static int normalise_names(const char *what, char **in, char ***out, berth_error *err)
{
        char **names = xzalloc(sizeof(char *));

        for (char **p = in; p != NULL && *p != NULL; p++) {
                cleanup_image_ref struct image_ref ref = {0};
                cleanup_free char *s = NULL;
                int r = image_ref_parse(*p, true, &ref, err);
                if (r < 0) {
                        strv_free(names);
                        return berth_error_prefix(err, "%s: ", what);
                }
                if (ref.digest != NULL) /* a digest is not a name one can give; skip as docker does */
                        continue;
                s = image_ref_string(&ref);
                names = strv_append(names, s);
        }
        *out = names;
        return 0;
}

/* docker-archive layers have no descriptor: the blob's magic bytes say what they are. One compressed with xz
 * or bzip2 (docker load takes them; no OCI media type names them) is written again as its plain tar, and
 * digest becomes that blob's. */
static int layer_media_type(struct image_store *s, char digest[DIGEST_STRING_LEN + 1], int64_t *size,
                            const char **media_type, berth_error *err)
{
        unsigned char magic[8] = {0};
        ssize_t n = 0;
        int fd = store_blob_open(s, digest, NULL);

        if (fd >= 0) {
                n = read(fd, magic, sizeof(magic));
                close(fd);
        }
        switch (layer_compression_sniff(magic, n > 0 ? (size_t) n : 0)) {
        case LAYER_COMPRESSION_GZIP: *media_type = MEDIA_OCI_LAYER_GZIP; return 0;
        case LAYER_COMPRESSION_ZSTD: *media_type = MEDIA_OCI_LAYER_ZSTD; return 0;
        case LAYER_COMPRESSION_XZ:
        case LAYER_COMPRESSION_BZIP2: *media_type = MEDIA_OCI_LAYER; return layer_blob_decompress(s, digest, digest, size, err);
        case LAYER_COMPRESSION_NONE: break;
        }
        *media_type = MEDIA_OCI_LAYER;
        return 0;
}

/* load --platform: an image (not picked from an index by its platform) must say that platform in its config. */
static int check_platform(struct loader *l, const char *config_digest, berth_error *err)
{
        cleanup_config struct image_config cfg = {0};
        int r;

        if (l->want == NULL)
                return 0;
        if ((r = image_config_read(l->store, config_digest, &cfg, err)) < 0)
                return berth_error_prefix(err, "%s: ", l->what);
        if (!platform_matches(l->want, cfg.os, cfg.architecture, cfg.variant)) {
                cleanup_free char *want = platform_string(l->want);
                return berth_failf(err, ENOENT, "%s: image %s is %s/%s%s%s, not the requested platform %s", l->what,
                                   config_digest, cfg.os ? cfg.os : "", cfg.architecture ? cfg.architecture : "",
                                   cfg.variant ? "/" : "", cfg.variant ? cfg.variant : "", want);
        }
        return 0;
}

/* docker-archive: manifest.json = [{"Config": PATH, "RepoTags": [...], "Layers": [PATH...]}]. */
static int load_docker_image(struct loader *l, json_t *entry, size_t idx, struct load_result *res, berth_error *err)
{
        char where[40];
        const char *config_path = NULL;
        json_t *layers = NULL;
        cleanup_strv char **tags = NULL, **names = NULL;
        cleanup_free struct descriptor *descs = NULL;
        struct descriptor config = {0};
        char config_digest[DIGEST_STRING_LEN + 1], manifest_digest[DIGEST_STRING_LEN + 1];
        cleanup_free char *manifest = NULL, *id = NULL;
        int64_t size = 0;
        int r;

        snprintf(where, sizeof(where), "manifest.json[%zu]", idx);
        if ((r = json_expect_object(entry, where, err)) < 0 ||
            (r = json_field_string(entry, where, "Config", true, &config_path, err)) < 0 ||
            (r = json_field_strv(entry, where, "RepoTags", false, &tags, err)) < 0 ||
            (r = json_field_array(entry, where, "Layers", true, &layers, err)) < 0)
                return berth_error_prefix(err, "%s: ", l->what);
        if ((r = normalise_names(l->what, tags, &names, err)) < 0)
                return r;
        if ((r = member_to_blob(l, config_path, NULL, -1, config_digest, &size, err)) < 0 ||
            (r = check_platform(l, config_digest, err)) < 0)
                return r;
        config = (struct descriptor){.media_type = MEDIA_OCI_CONFIG, .digest = config_digest, .size = size};
        descs = xzalloc((json_array_size(layers) + 1) * sizeof(*descs));
        char (*digests)[DIGEST_STRING_LEN + 1] = xzalloc((json_array_size(layers) + 1) * sizeof(*digests));
        for (size_t i = 0; i < json_array_size(layers); i++) {
                json_t *p = json_array_get(layers, i);
                const char *mt;
                if (!json_is_string(p)) {
                        free(digests);
                        return berth_failf(err, EINVAL, "%s: %s.Layers[%zu]: expected a string", l->what, where, i);
                }
                if ((r = member_to_blob(l, json_string_value(p), NULL, -1, digests[i], &size, err)) < 0) {
                        free(digests);
                        return r;
                }
                if ((r = layer_media_type(l->store, digests[i], &size, &mt, err)) < 0) {
                        free(digests);
                        return berth_error_prefix(err, "%s: %s: ", l->what, json_string_value(p));
                }
                descs[i] = (struct descriptor){.media_type = (char *) mt, .digest = digests[i], .size = size};
        }
        /* A docker archive has no manifest: write the OCI one it implies (save gives it back). */
        manifest = image_manifest_build_oci(&config, descs, json_array_size(layers));
        r = store_blob_put(l->store, manifest, strlen(manifest), manifest_digest, err);
        if (r == 0) {
                struct image_commit c = {
                        .manifest_digest = manifest_digest, .manifest_media_type = MEDIA_OCI_MANIFEST,
                        .config_digest = config_digest, .layers = descs, .n_layers = json_array_size(layers),
                        .names = names,
                };
                r = image_commit(l->store, &c, &id, err);
        }
        if (r == 0)
                add_result(res, id, names);
        free(digests);
        return r;
}

static int load_docker_archive(struct loader *l, struct member *mj, struct load_result *res, berth_error *err)
{
        cleanup_json json_t *j = json_load_text("manifest.json", mj->data, (size_t) mj->size, err);

        if (j == NULL)
                return berth_error_prefix(err, "%s: ", l->what);
        if (!json_is_array(j) || json_array_size(j) == 0)
                return berth_failf(err, EINVAL, "%s: manifest.json: expected a non-empty array", l->what);
        for (size_t i = 0; i < json_array_size(j); i++) {
                int r = load_docker_image(l, json_array_get(j, i), i, res, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *blob_path(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

/* The small blob at a descriptor, verified against it. */
static int descriptor_text(struct loader *l, const struct descriptor *d, const char **text, size_t *len, berth_error *err)
{
        cleanup_free char *path = blob_path(d->digest);
        struct member *m = find_member(l, path);
        char digest[DIGEST_STRING_LEN + 1];
        int r;

        if ((r = member_to_blob(l, path, d->digest, d->size, digest, NULL, err)) < 0)
                return r;
        if (m->data == NULL)
                return berth_failf(err, EFBIG, "%s: blob %s is too large for a manifest", l->what, d->digest);
        *text = m->data;
        *len = (size_t) m->size;
        return 0;
}

/* The manifest of an index to load: the host's platform (platform_select: an exact variant first,
 * attestations skipped), else the first manifest that names no platform at all. */
static const struct descriptor *host_manifest(const struct image_index *ix, const struct platform *host)
{
        const struct descriptor *d = platform_select(host, ix);

        for (size_t i = 0; i < ix->n && d == NULL; i++)
                if (ix->manifests[i].platform_os == NULL && media_type_is_manifest(ix->manifests[i].media_type))
                        d = &ix->manifests[i];
        return d;
}

static int image_name_of(const struct descriptor *d, json_t *annotations, char ***names, const char *what,
                         berth_error *err)
{
        const char *name = NULL;
        char *list[2] = {NULL, NULL};

        /* containerd and docker name images in an OCI archive with io.containerd.image.name; a ref.name that is
         * a whole reference ("localhost/busybox:latest") names it too. A bare tag ("latest") names nothing. */
        if (annotations != NULL && json_is_string(json_object_get(annotations, "io.containerd.image.name")))
                name = json_string_value(json_object_get(annotations, "io.containerd.image.name"));
        else if (d->ref_name != NULL && (strchr(d->ref_name, '/') != NULL || strchr(d->ref_name, ':') != NULL))
                name = d->ref_name;
        list[0] = (char *) name;
        return normalise_names(what, name ? list : NULL, names, err);
}

static int load_oci_manifest(struct loader *l, const struct descriptor *d, char **names, struct load_result *res,
                             berth_error *err)
{
        cleanup_manifest struct image_manifest m = {0};
        cleanup_free char *what = xasprintf("%s: manifest %s", l->what, d->digest);
        cleanup_free char *id = NULL;
        char digest[DIGEST_STRING_LEN + 1];
        const char *text;
        size_t len;
        int r;

        if ((r = descriptor_text(l, d, &text, &len, err)) < 0 || (r = image_manifest_parse(what, text, len, &m, err)) < 0)
                return r;
        cleanup_free char *config_path = blob_path(m.config.digest);
        if ((r = member_to_blob(l, config_path, m.config.digest, m.config.size, digest, NULL, err)) < 0 ||
            (r = check_platform(l, m.config.digest, err)) < 0)
                return r;
        for (size_t i = 0; i < m.n_layers; i++) {
                cleanup_free char *p = blob_path(m.layers[i].digest);
                if ((r = member_to_blob(l, p, m.layers[i].digest, m.layers[i].size, digest, NULL, err)) < 0)
                        return r;
        }
        struct image_commit c = {
                .manifest_digest = d->digest, .manifest_media_type = m.media_type, .config_digest = m.config.digest,
                .layers = m.layers, .n_layers = m.n_layers, .names = names,
        };
        if ((r = image_commit(l->store, &c, &id, err)) < 0)
                return r;
        return add_result(res, id, names);
}

static int load_oci_descriptor(struct loader *l, const struct descriptor *d, json_t *ann, int depth,
                               struct load_result *res, berth_error *err)
{
        cleanup_strv char **names = NULL;
        int r;

        if (depth > 4)
                return berth_failf(err, ELOOP, "%s: indexes nested too deep", l->what);
        if (media_type_is_index(d->media_type)) {
                cleanup_index struct image_index ix = {0};
                cleanup_free char *what = xasprintf("%s: index %s", l->what, d->digest);
                cleanup_platform struct platform host = {0};
                const struct descriptor *m;
                const char *text;
                size_t len;
                if ((r = descriptor_text(l, d, &text, &len, err)) < 0 || (r = image_index_parse(what, text, len, &ix, err)) < 0)
                        return r;
                /* An index inside: the host's platform, or load --platform's (attestations say unknown/unknown and
                 * are skipped). */
                platform_host(&host);
                if ((m = host_manifest(&ix, l->want ? l->want : &host)) == NULL) {
                        cleanup_free char *want = platform_string(l->want ? l->want : &host);
                        return berth_failf(err, ENOENT, "%s: index %s has no manifest for %s", l->what, d->digest, want);
                }
                if ((r = image_name_of(d, ann, &names, l->what, err)) < 0 || (r = load_oci_manifest(l, m, names, res, err)) < 0)
                        return r;
                return 0;
        }
        if (!media_type_is_manifest(d->media_type))
                return berth_failf(err, ENOTSUP, "%s: %s: unknown media type %s", l->what, d->digest,
                                   d->media_type ? d->media_type : "(none)");
        if ((r = image_name_of(d, ann, &names, l->what, err)) < 0)
                return r;
        return load_oci_manifest(l, d, names, res, err);
}

static int load_oci_archive(struct loader *l, struct member *mi, struct load_result *res, berth_error *err)
{
        cleanup_json json_t *j = json_load_text("index.json", mi->data, (size_t) mi->size, err);
        cleanup_index struct image_index ix = {0};
        json_t *manifests;
        int r;

        if (j == NULL)
                return berth_error_prefix(err, "%s: ", l->what);
        if ((r = image_index_parse("index.json", mi->data, (size_t) mi->size, &ix, err)) < 0)
                return berth_error_prefix(err, "%s: ", l->what);
        if (ix.n == 0)
                return berth_failf(err, EINVAL, "%s: index.json lists no image", l->what);
        manifests = json_object_get(j, "manifests");
        for (size_t i = 0; i < ix.n; i++) {
                json_t *ann = json_object_get(json_array_get(manifests, i), "annotations");
                if ((r = load_oci_descriptor(l, &ix.manifests[i], ann, 0, res, err)) < 0)
                        return r;
        }
        return 0;
}

int image_load(struct image_store *s, int fd, const char *what, const char *platform, struct load_result *res,
               berth_error *err)
{
        cleanup_platform struct platform want = {0};
        struct loader l = {.store = s, .what = what};
        struct member *mj, *mi;
        int r;

        memset(res, 0, sizeof(*res));
        if (platform != NULL) {
                if ((r = platform_parse(platform, &want, err)) < 0)
                        return r;
                l.want = &want;
        }
        if ((r = read_members(&l, fd, err)) < 0)
                goto out;
        mj = find_member(&l, "manifest.json");
        mi = find_member(&l, "index.json");
        if (mj != NULL && mj->data != NULL)
                r = load_docker_archive(&l, mj, res, err);
        else if (mi != NULL && mi->data != NULL)
                r = load_oci_archive(&l, mi, res, err);
        else if (l.n == 0)
                r = berth_failf(err, EINVAL, "%s: empty archive", what);
        else
                r = berth_failf(err, EINVAL,
                                "%s: not an image archive: neither manifest.json (docker-archive) nor index.json (oci-archive)",
                                what);
out:
        loader_free(&l);
        if (r < 0) {
                load_result_clear(res);
                store_discard_unreferenced(s);
        }
        return r;
}
