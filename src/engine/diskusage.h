/* docker system df (diskusage.c): what the store's images, containers and volumes take on disk, measured
 * there (the writable layers and the volumes' directories walked), for both front ends: `berth system df
 * [-v]` and the API's /system/df. The build cache is the builder's (build/cache.h: build_cache_usage). */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "engine/engine.h"

struct engine_usage_totals {
        uint64_t total, active; /* active: an image a container uses; a running or paused container; a volume a container mounts */
        uint64_t size, reclaimable;
};

struct engine_disk_usage {
        uint64_t layers_size;  /* every unpacked layer once (docker's LayersSize) */
        json_t *images;        /* types.ImageSummary; Containers: how many containers use each; SharedSize: the
                                * bytes of its layers another image has too */
        json_t *containers;    /* types.Container with SizeRw (the writable layer) and SizeRootFs */
        json_t *volumes;       /* docker's volume object with UsageData: Size (bytes in _data), RefCount */
        struct engine_usage_totals image_totals, container_totals, volume_totals;
};

int engine_disk_usage(struct engine *e, struct engine_disk_usage *out, berth_error *err);
void engine_disk_usage_clear(struct engine_disk_usage *u);
