/* User namespaces: writing a process's uid_map/gid_map from linux.uidMappings/gidMappings, directly when
 * we are privileged over the parent namespace, else through newuidmap/newgidmap (shadow's setuid helpers,
 * which check /etc/subuid), or for an unprivileged single self-mapping by writing it with setgroups
 * denied, as the kernel requires (user_namespaces(7)). */
#pragma once

#include <sys/types.h>

#include "lib/error.h"
#include "runtime/spec.h"

int userns_write_mappings(pid_t pid, const struct spec_id_mapping *uids, size_t n_uids,
                          const struct spec_id_mapping *gids, size_t n_gids, berth_error *err);

/* "0 100000 65536\n..." */
char *userns_format_map(const struct spec_id_mapping *map, size_t n);

/* Translates a container id to a host id through the mapping; -1 when unmapped. */
int64_t userns_host_id(const struct spec_id_mapping *map, size_t n, uint32_t container_id);
