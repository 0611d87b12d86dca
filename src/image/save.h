/* `berth save`: images to a docker-archive (docker save's manifest.json + repositories, with the blobs in
 * an OCI layout beside them, as docker 25 writes: readable as both formats) or an oci-archive. */
#pragma once

#include "image/store.h"

enum save_format { SAVE_DOCKER_ARCHIVE, SAVE_OCI_ARCHIVE };

struct save_item {
        char *id;   /* image ID */
        char *name; /* normalised name to record, or NULL (saved by ID) */
};

/* Writes the archive to fd. Every blob is verified as it is copied. */
int image_save(struct image_store *s, const struct save_item *items, size_t n, enum save_format format, int fd,
               berth_error *err);
