#include "image/manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "image/digest.h"
#include "lib/json.h"
#include "lib/util.h"

void descriptor_clear(struct descriptor *d)
{
        free(d->media_type);
        free(d->digest);
        free(d->ref_name);
        free(d->platform_os);
        free(d->platform_arch);
        free(d->platform_variant);
        memset(d, 0, sizeof(*d));
}

void image_manifest_clear(struct image_manifest *m)
{
        free(m->media_type);
        descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_clear(&m->layers[i]);
        free(m->layers);
        memset(m, 0, sizeof(*m));
}

void image_index_clear(struct image_index *ix)
{
        for (size_t i = 0; i < ix->n; i++)
                descriptor_clear(&ix->manifests[i]);
        free(ix->manifests);
        memset(ix, 0, sizeof(*ix));
}

void image_config_clear(struct image_config *c)
{
        if (c->json != NULL)
                json_decref(c->json);
        free(c->created);
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->author);
        for (size_t i = 0; i < c->n_diff_ids; i++)
                free(c->diff_ids[i]);
        free(c->diff_ids);
        memset(c, 0, sizeof(*c));
}

bool media_type_is_manifest(const char *mt)
{
        return mt != NULL && (strcmp(mt, MEDIA_OCI_MANIFEST) == 0 || strcmp(mt, MEDIA_DOCKER_MANIFEST) == 0);
}

bool media_type_is_index(const char *mt)
{
        return mt != NULL && (strcmp(mt, MEDIA_OCI_INDEX) == 0 || strcmp(mt, MEDIA_DOCKER_LIST) == 0);
}

bool media_type_is_layer(const char *mt)
{
        static const char *const known[] = {
                MEDIA_OCI_LAYER, MEDIA_OCI_LAYER_GZIP, MEDIA_OCI_LAYER_ZSTD, MEDIA_DOCKER_LAYER, MEDIA_DOCKER_LAYER_GZIP,
                MEDIA_DOCKER_FOREIGN_LAYER,
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        };
        for (size_t i = 0; mt != NULL && i < ARRAY_SIZE(known); i++)
                if (strcmp(mt, known[i]) == 0)
                        return true;
        return false;
}

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

int descriptor_parse(json_t *obj, const char *where, struct descriptor *d, berth_error *err)
{
        const char *mt = NULL, *digest = NULL, *ref = NULL;
        json_t *ann = NULL, *plat = NULL;
        int64_t size = -1;
        int r;

        memset(d, 0, sizeof(*d));
        if ((r = json_expect_object(obj, where, err)) < 0 ||
            (r = json_field_string(obj, where, "mediaType", false, &mt, err)) < 0 ||
            (r = json_field_string(obj, where, "digest", true, &digest, err)) < 0 ||
            (r = json_field_i64(obj, where, "size", true, &size, err)) < 0 ||
            (r = json_field_object(obj, where, "annotations", false, &ann, err)) < 0 ||
            (r = json_field_object(obj, where, "platform", false, &plat, err)) < 0)
                return r;
        if (size < 0)
                return berth_failf(err, EINVAL, "%s.size: must not be negative", where);
        if ((r = digest_check(digest, where, err)) < 0)
                return r;
        if (ann != NULL) {
                json_t *v = json_object_get(ann, "org.opencontainers.image.ref.name");
                if (json_is_string(v))
                        ref = json_string_value(v);
        }
        d->media_type = dup_or_null(mt);
        d->digest = xstrdup(digest);
        d->size = size;
        d->ref_name = dup_or_null(ref);
        if (plat != NULL) {
                const char *os = NULL, *arch = NULL, *variant = NULL;
                json_field_string(plat, where, "os", false, &os, NULL);
                json_field_string(plat, where, "architecture", false, &arch, NULL);
                json_field_string(plat, where, "variant", false, &variant, NULL);
                d->platform_os = dup_or_null(os);
                d->platform_arch = dup_or_null(arch);
                d->platform_variant = dup_or_null(variant);
        }
        return 0;
}

int image_manifest_parse(const char *what, const char *text, size_t len, struct image_manifest *m, berth_error *err)
{
        cleanup_json json_t *j = json_load_text(what, text, len, err);
        json_t *config = NULL, *layers = NULL;
        const char *mt = NULL;
        int64_t version = 0;
        int r;

        memset(m, 0, sizeof(*m));
        if (j == NULL)
                return -err->code;
        if ((r = json_expect_object(j, what, err)) < 0 ||
            (r = json_field_i64(j, what, "schemaVersion", true, &version, err)) < 0 ||
            (r = json_field_string(j, what, "mediaType", false, &mt, err)) < 0 ||
            (r = json_field_object(j, what, "config", true, &config, err)) < 0 ||
            (r = json_field_array(j, what, "layers", true, &layers, err)) < 0)
                return r;
        if (version != 2)
                return berth_failf(err, ENOTSUP, "%s: unsupported schemaVersion %lld", what, (long long) version);
        if (mt != NULL && !media_type_is_manifest(mt))
                return berth_failf(err, ENOTSUP, "%s: unknown media type %s", what, mt);
        m->media_type = xstrdup(mt ? mt : MEDIA_OCI_MANIFEST);
        if ((r = descriptor_parse(config, "config", &m->config, err)) < 0)
                goto fail;
        m->layers = xzalloc((json_array_size(layers) + 1) * sizeof(*m->layers));
        for (size_t i = 0; i < json_array_size(layers); i++) {
                char where[32];
                snprintf(where, sizeof(where), "layers[%zu]", i);
                if ((r = descriptor_parse(json_array_get(layers, i), where, &m->layers[i], err)) < 0)
                        goto fail;
                m->n_layers++;
                if (!media_type_is_layer(m->layers[i].media_type)) {
                        r = berth_failf(err, ENOTSUP, "%s: %s: unknown media type %s", what, where,
                                        m->layers[i].media_type ? m->layers[i].media_type : "(none)");
                        goto fail;
                }
        }
        return 0;
fail:
        berth_error_prefix(err, "%s: ", what);
        image_manifest_clear(m);
        return r;
}

int image_index_parse(const char *what, const char *text, size_t len, struct image_index *ix, berth_error *err)
{
        cleanup_json json_t *j = json_load_text(what, text, len, err);
        json_t *manifests = NULL;
        int r;

        memset(ix, 0, sizeof(*ix));
        if (j == NULL)
                return -err->code;
        if ((r = json_expect_object(j, what, err)) < 0 ||
            (r = json_field_array(j, what, "manifests", true, &manifests, err)) < 0)
                return r;
        ix->manifests = xzalloc((json_array_size(manifests) + 1) * sizeof(*ix->manifests));
        for (size_t i = 0; i < json_array_size(manifests); i++) {
                char where[40];
                snprintf(where, sizeof(where), "%s: manifests[%zu]", what, i);
                if ((r = descriptor_parse(json_array_get(manifests, i), where, &ix->manifests[i], err)) < 0) {
                        image_index_clear(ix);
                        return r;
                }
                ix->n++;
        }
        return 0;
}

int image_config_parse(const char *what, const char *text, size_t len, struct image_config *c, berth_error *err)
{
        json_t *rootfs = NULL, *diff_ids = NULL, *cfg = NULL, *history = NULL;
        const char *created = NULL, *arch = NULL, *os = NULL, *variant = NULL, *author = NULL, *type = NULL;
        int r;

        memset(c, 0, sizeof(*c));
        c->json = json_load_text(what, text, len, err);
        if (c->json == NULL)
                return -err->code;
        if ((r = json_expect_object(c->json, what, err)) < 0 ||
            (r = json_field_string(c->json, what, "created", false, &created, err)) < 0 ||
            (r = json_field_string(c->json, what, "architecture", false, &arch, err)) < 0 ||
            (r = json_field_string(c->json, what, "os", false, &os, err)) < 0 ||
            (r = json_field_string(c->json, what, "variant", false, &variant, err)) < 0 ||
            (r = json_field_string(c->json, what, "author", false, &author, err)) < 0 ||
            (r = json_field_object(c->json, what, "config", false, &cfg, err)) < 0 ||
            (r = json_field_array(c->json, what, "history", false, &history, err)) < 0 ||
            (r = json_field_object(c->json, what, "rootfs", true, &rootfs, err)) < 0 ||
            (r = json_field_string(rootfs, "rootfs", "type", true, &type, err)) < 0 ||
            (r = json_field_array(rootfs, "rootfs", "diff_ids", true, &diff_ids, err)) < 0)
                goto fail;
        if (strcmp(type, "layers") != 0) {
                r = berth_failf(err, ENOTSUP, "%s: rootfs.type: unsupported value %s", what, type);
                goto fail;
        }
        c->created = xstrdup(created ? created : "");
        c->architecture = xstrdup(arch ? arch : "");
        c->os = xstrdup(os ? os : "");
        c->variant = dup_or_null(variant);
        c->author = xstrdup(author ? author : "");
        c->diff_ids = xzalloc((json_array_size(diff_ids) + 1) * sizeof(char *));
        for (size_t i = 0; i < json_array_size(diff_ids); i++) {
                json_t *v = json_array_get(diff_ids, i);
                char where[64];
                snprintf(where, sizeof(where), "%s: rootfs.diff_ids[%zu]", what, i);
                if (!json_is_string(v)) {
                        r = berth_failf(err, EINVAL, "%s: expected a string, got %s", where, json_type_name(v));
                        goto fail;
                }
                if ((r = digest_check(json_string_value(v), where, err)) < 0)
                        goto fail;
                c->diff_ids[c->n_diff_ids++] = xstrdup(json_string_value(v));
        }
        return 0;
fail:
        image_config_clear(c);
        return r;
}

static json_t *descriptor_json(const struct descriptor *d)
{
        return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest, "size", (json_int_t) d->size);
}

char *image_manifest_build_oci(const struct descriptor *config, const struct descriptor *layers, size_t n)
{
        cleanup_json json_t *m = json_object();
        json_t *arr = json_array();

        json_object_set_new(m, "schemaVersion", json_integer(2));
        json_object_set_new(m, "mediaType", json_string(MEDIA_OCI_MANIFEST));
        json_object_set_new(m, "config", descriptor_json(config));
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, descriptor_json(&layers[i]));
        json_object_set_new(m, "layers", arr);
        return json_to_string(m);
}
