/* `create`: a container record, its root filesystem snapshot, volumes and directory, from an image and
 * docker's Config/HostConfig (what the command line parsed). Nothing runs yet: start does that. */
#pragma once

#include <jansson.h>

#include "engine/engine.h"

struct engine_create_request {
        const char *image; /* reference as typed */
        const char *image_id; /* the image, already resolved (engine_image_ensure); NULL: resolve image */
        const char *name;  /* NULL: generated */
        json_t *config;    /* docker's Config from the flags: only what was given (Entrypoint null = the image's) */
        json_t *host_config;
        /* docker's NetworkingConfig (the API's): EndpointsConfig[the network].Aliases and IPAMConfig.IPv4Address
         * become the HostConfig's BerthNetworkAliases and BerthIPv4Address, as the CLI's --network-alias and
         * --ip set them. NULL: none. */
        json_t *networking_config;
};

/* docker's checks of what was asked, before anything exists: the name, NetworkingConfig folded into the
 * HostConfig (*host_config: a new reference, NULL when none was given), Config and HostConfig validated.
 * Needs no store: the API's fuzz harness runs it on decoded request bodies. */
int engine_create_request_check(const struct engine_create_request *req, json_t **host_config, berth_error *err);

/* On failure nothing is left: no record, snapshot, volume it made or directory. */
int engine_container_create(struct engine *e, const struct engine_create_request *req, char **id_out,
                            berth_error *err);

/* Removes a container that is not running: its snapshot, directory, records and (with volumes) its
 * anonymous volumes. */
int engine_container_remove_files(struct engine *e, const char *id, bool volumes, berth_error *err);

/* names.c */
char *engine_new_id(void);
char *engine_new_name(unsigned attempt);
bool engine_name_is_valid(const char *name);
/* rename: REF (id, prefix or name) gets NEW_NAME (docker's name rule; a leading "/" is dropped). */
int engine_container_rename(struct engine *e, const char *ref, const char *new_name, berth_error *err);

/* etcfiles.c: ROOT/containers/ID/{hostname,hosts,resolv.conf} as docker writes them. */
int engine_write_etc_files(int dirfd, const json_t *config, const json_t *host_config, berth_error *err);
/* The hosts file again, with the container's address (ip, NULL: none) and --add-host's host-gateway as the
 * network's gateway (NULL: such entries are left out). */
/* The hosts file's text: as engine_write_hosts, then peers (lines for the other containers of a user network). */
char *engine_hosts_content(const json_t *config, const json_t *host_config, const char *ip, const char *gateway,
                           const char *peers);
int engine_write_hosts(int dirfd, const json_t *config, const json_t *host_config, const char *ip, const char *gateway,
                       berth_error *err);

#include "engine/volumes.h"
