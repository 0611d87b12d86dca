/* A container's OCI config.json, built from docker's Config and HostConfig as docker builds it (moby
 * daemon/oci_linux.go): Docker's default capabilities, masked and read-only paths, mounts, seccomp profile
 * and device rules, then the user's changes. The runtime library reads it from the container's directory
 * (the bundle). */
#pragma once

#include <jansson.h>

#include "engine/engine.h"

struct spec_build_input {
        const struct engine_container *c;
        const char *rootfs;        /* the mounted snapshot (root.path) */
        const char *container_dir; /* hosts, hostname, resolv.conf */
        bool procview;             /* bind ROOT/procview's files over /proc (procview_mount.h) */
};

int engine_spec_build(struct engine *e, const struct spec_build_input *in, json_t **out, berth_error *err);

/* The parts in spec_resources.c: linux.resources, linux.devices, process.rlimits. */
int engine_spec_resources(const json_t *host_config, json_t *linux_obj, berth_error *err);
int engine_spec_devices(const json_t *host_config, json_t *linux_obj, berth_error *err);
int engine_spec_rlimits(const json_t *host_config, json_t *process, berth_error *err);

/* "--uidmap"-style mappings: the HostConfig's BerthUidMaps/BerthGidMaps, or /etc/subuid's range for root (or
 * "berth"), else 100000:65536: root in the container is an unprivileged uid on the host. */
int engine_userns_mappings(const json_t *host_config, json_t **uid_maps, json_t **gid_maps, berth_error *err);
