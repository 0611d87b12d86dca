/* Image references with docker's rules (github.com/distribution/reference): "busybox" is
 * docker.io/library/busybox:latest, "localhost/busybox" keeps its domain, "name@sha256:..." names a
 * manifest digest. Shared with the registry client, which needs the same split into domain and path. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

#define REFERENCE_DEFAULT_DOMAIN "docker.io"
#define REFERENCE_DEFAULT_TAG "latest"
#define REFERENCE_NAME_MAX 255

struct image_ref {
        char *domain; /* "docker.io", "localhost", "127.0.0.1:5000" */
        char *path;   /* "library/busybox" */
        char *tag;    /* NULL when absent (and no default was asked for) */
        char *digest; /* "sha256:<hex>" or NULL */
};

void image_ref_clear(struct image_ref *ref);
#define cleanup_image_ref __attribute__((cleanup(image_ref_clear)))

/* Parses and normalises a reference as `docker pull`/`docker tag` do. Errors are docker's own messages
 * ("invalid reference format: repository name (library/Busybox) must be lowercase"). With default_tag, a
 * reference with neither tag nor digest gets ":latest". */
int image_ref_parse(const char *s, bool default_tag, struct image_ref *ref, berth_error *err);

/* "docker.io/library/busybox" */
char *image_ref_repository(const struct image_ref *ref);
/* "docker.io/library/busybox:latest", "...@sha256:..." or both; the form stored in the image database. */
char *image_ref_string(const struct image_ref *ref);
/* docker's short form for display: "busybox", "user/app", "localhost/busybox" (repository only). */
char *image_ref_familiar_repository(const struct image_ref *ref);
/* Familiar form of a normalised repository string ("docker.io/library/busybox" -> "busybox"). */
char *reference_familiar_name(const char *repository);

/* True for a tag docker accepts: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool reference_tag_is_valid(const char *tag);
