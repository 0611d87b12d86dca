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
/* platform: NULL: every image of the archive (of a multi-platform index, the host's); "os/arch[/variant]"
 * (load --platform): that platform's manifest of an index, and every image loaded must be of it (refused,
 * naming both, otherwise; nothing is stored). */
int image_load(struct image_store *s, int fd, const char *what, const char *platform, struct load_result *res,
               berth_error *err);
