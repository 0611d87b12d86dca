/* A container's changes to its image: `diff` (A/C/D per path, as docker's overlay2 driver reports them)
 * and `commit` (the container's layer as a new image layer). Both read the overlay upper directory: the
 * container's own layer, where overlayfs keeps whiteouts (0:0 character devices) and opaque directories
 * (trusted.overlay.opaque=y). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "engine/engine.h"

struct engine_change {
        char kind; /* 'A', 'C', 'D' */
        char *path;
};

/* Shared by diff and commit (containercommit.c). */
int engine_container_upper_fd(struct engine *e, const char *id, berth_error *err);
bool engine_layer_is_mount_point(const json_t *mounts, const char *path, const struct stat *st);
bool engine_layer_is_whiteout(const struct stat *st);
bool engine_layer_is_opaque(int dirfd, const char *name);

int engine_container_changes(struct engine *e, const char *id, struct engine_change **out, size_t *n, berth_error *err);
void engine_changes_free(struct engine_change *c, size_t n);

struct engine_commit_request {
        const char *reference; /* "repo[:tag]" or NULL */
        const char *author;
        const char *message;
        char **changes;        /* Dockerfile instructions (-c) */
        bool pause;
        /* The builder's commit (src/build): the new image's whole "config" object and the history entries to
         * append (the last describes this layer; those before it are the empty_layer entries of the
         * instructions since the last layer), instead of the container's Config and "berth commit". */
        const json_t *image_config;
        const json_t *history;
};

/* Writes the container's layer as a tar blob (whiteouts as .wh. entries), then an image config (the
 * image's, with the container's Config and the new diff id) and manifest, and records the image. */
int engine_container_commit(struct engine *e, const char *id, const struct engine_commit_request *req, char **image_id,
                            berth_error *err);

/* The builder's image without a new layer (docker's empty_layer steps: ENV, CMD, LABEL, ...): the layers of
 * PARENT (an image ID; NULL: none, FROM scratch), IMAGE_CONFIG as its "config", HISTORY appended to the
 * parent's. AUTHOR: the image's author (MAINTAINER), or NULL. */
int engine_image_derive(struct engine *e, const char *parent, const json_t *image_config, const json_t *history,
                        const char *author, char **image_id, berth_error *err);
