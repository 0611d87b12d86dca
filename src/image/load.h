/* `berth load`: docker-archive (docker save) and oci-archive (an OCI layout in a tar), plain or compressed
 * (gzip, zstd, xz: whatever libarchive's filters read), from a file or a pipe. */
#pragma once

#include "image/store.h"

struct loaded_image {
        char *id;
        char **names; /* normalised names it was given (may be empty) */
};

struct load_result {
        struct loaded_image *images;
        size_t n;
};

void load_result_clear(struct load_result *res);

/* Reads the archive from fd (a file or a pipe; read once, front to back). what: its name for messages.
 * Nothing becomes visible unless the whole image verifies: blobs by digest, layers by diff id. */
int image_load(struct image_store *s, int fd, const char *what, struct load_result *res, berth_error *err);
