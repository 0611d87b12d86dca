/* OCI and Docker schema 2 manifests, indexes and image configs: parsing with every field checked, so that
 * a malformed document is refused with a message naming the field. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_DOCKER_FOREIGN_LAYER "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        char *ref_name;    /* annotations["org.opencontainers.image.ref.name"] (index entries) */
        char *platform_os; /* index entries */
        char *platform_arch;
        char *platform_variant;
};

struct image_manifest {
        char *media_type;
        struct descriptor config;
        struct descriptor *layers;
        size_t n_layers;
};

struct image_index {
        struct descriptor *manifests;
        size_t n;
};

struct image_config {
        json_t *json;     /* the whole document (docker inspect shows parts of it as they are) */
        char *created;    /* "" when absent */
        char *architecture;
        char *os;
        char *variant;
        char *author;
        char **diff_ids;  /* rootfs.diff_ids */
        size_t n_diff_ids;
};

void descriptor_clear(struct descriptor *d);
void image_manifest_clear(struct image_manifest *m);
void image_index_clear(struct image_index *ix);
void image_config_clear(struct image_config *c);
#define cleanup_manifest __attribute__((cleanup(image_manifest_clear)))
#define cleanup_index __attribute__((cleanup(image_index_clear)))
#define cleanup_config __attribute__((cleanup(image_config_clear)))

bool media_type_is_manifest(const char *mt);
bool media_type_is_index(const char *mt);
bool media_type_is_layer(const char *mt);

/* what: for messages ("manifest sha256:..."). */
int image_manifest_parse(const char *what, const char *text, size_t len, struct image_manifest *m, berth_error *err);
int image_index_parse(const char *what, const char *text, size_t len, struct image_index *ix, berth_error *err);
int image_config_parse(const char *what, const char *text, size_t len, struct image_config *c, berth_error *err);
int descriptor_parse(json_t *obj, const char *where, struct descriptor *d, berth_error *err);

/* Serialises an OCI manifest for a config and layers (import, docker-archive load). */
char *image_manifest_build_oci(const struct descriptor *config, const struct descriptor *layers, size_t n);
