/* `berth import`: a root filesystem tarball (plain, gzip, zstd, xz or bzip2: the last two stored as the plain tar)
 * becomes a one-layer image. */
#pragma once

#include "image/store.h"

struct import_options {
        char **changes;      /* Dockerfile instructions (image_change_apply) */
        const char *message; /* history comment */
        char **names;        /* normalised names, may be NULL */
        const char *platform; /* "os/arch[/variant]" of the image config; NULL: the host's (platform_host) */
};

int image_import(struct image_store *s, int fd, const struct import_options *opts, char **id_out, berth_error *err);
