/* Removing images (rmi, prune), reclaiming what no image uses, and checking the whole store. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"

struct removal_report {
        char **untagged; /* display names removed ("busybox:latest") */
        char **deleted;  /* image IDs deleted */
        uint64_t reclaimed;
};
void removal_report_clear(struct removal_report *r);

/* docker rmi semantics: a name untags (and deletes the image when it was its last name); an ID deletes the
 * image, refusing when it has several names unless force. An image a container or a snapshot uses is
 * refused (EBUSY). The caller holds the exclusive lock. */
int image_remove(struct image_store *s, const char *ref, bool force, struct removal_report *rep, berth_error *err);

/* Dangling images (all unused images with all), then garbage collection. Exclusive lock. */
int image_prune(struct image_store *s, bool all, struct removal_report *rep, berth_error *err);

/* Removes layers and blobs no image references, orphaned layer directories and stale short links.
 * Exclusive lock. */
int store_collect_garbage(struct image_store *s, uint64_t *reclaimed, berth_error *err);

/* Verifies every blob's digest, every record's references (config, manifest, layer blobs, layer
 * directories and links), and SQLite's own integrity and foreign keys. Problems are printed by the callback
 * one per line; returns their count in *problems. */
typedef void (*check_report_fn)(void *data, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int store_check(struct image_store *s, check_report_fn report, void *data, uint64_t *blobs, uint64_t *problems,
                berth_error *err);

/* Disk usage for `system df`. */
struct store_usage {
        uint64_t images, active_images;
        uint64_t images_size;      /* unpacked layers, each counted once */
        uint64_t reclaimable;      /* layers only unused images hold */
        uint64_t blobs, blobs_size;
        uint64_t snapshots, snapshots_size;
};
int store_usage(struct image_store *s, struct store_usage *u, berth_error *err);

/* After a failed load or import: takes the exclusive lock (a shared one is given up first) and removes
 * whatever no image references, so that the failure leaves the store as it was. Errors are ignored: what
 * is left is garbage that the next removal or prune collects. */
void store_discard_unreferenced(struct image_store *s);
