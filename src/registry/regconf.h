/* Registries configuration: the subset of containers-registries.conf(5), version 2, that berth uses.
 *
 *   unqualified-search-registries = ["127.0.0.1:5000", "docker.io"]
 *   [[registry]]
 *   location = "127.0.0.1:5000"      # host[:port][/namespace], or "*.example.com"
 *   insecure = true                  # plain HTTP and unverified TLS allowed
 *   [[registry.mirror]]              # pulls try each mirror first, in order, then location
 *   location = "127.0.0.1:5001"      # host[:port][/namespace] standing in for the entry's location
 *   insecure = true
 *
 * Files: $BERTH_REGISTRIES_CONF alone when set (as podman's CONTAINERS_REGISTRIES_CONF); otherwise
 * /etc/containers/registries.conf and then STORE_ROOT/registries.conf, whose settings win. Other keys and
 * tables (blocked, mirror-by-digest-only, ...) are read and ignored.
 *   [aliases]
 *   "busybox" = "docker.io/library/busybox"   # a short name pulled as that name (podman's short-name aliases) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

#define REGCONF_SYSTEM_PATH "/etc/containers/registries.conf"

struct registry_mirror {
        char *location; /* host[:port][/namespace]: replaces the entry's location in a pulled name */
        bool insecure;
};

struct registry_entry {
        char *location;
        bool insecure;
        struct registry_mirror *mirrors; /* [[registry.mirror]]: tried in order by pull, before location */
        size_t n_mirrors;
};

struct registries_conf {
        char **search;    /* unqualified-search-registries (NULL-terminated), NULL when not set */
        char **alias_names, **alias_values; /* [aliases]: short name -> fully qualified name, side by side */
        struct registry_entry *entries;
        size_t n;
};

void registries_conf_clear(struct registries_conf *c);
#define cleanup_regconf __attribute__((cleanup(registries_conf_clear)))

/* Parses one file's text into c, on top of what c holds (a later file overrides). what: for messages. */
int registries_conf_parse(const char *what, const char *text, struct registries_conf *c, berth_error *err);
/* Reads the files above; a missing file is not an error. store_root may be NULL. */
int registries_conf_load(const char *store_root, struct registries_conf *c, berth_error *err);
/* [aliases]' name for a short name ("busybox" -> "docker.io/library/busybox"), or NULL. */
const char *registries_conf_alias(const struct registries_conf *c, const char *short_name);
/* The entry for a repository ("127.0.0.1:5000/app"): the longest matching location, or NULL. */
const struct registry_entry *registries_conf_find(const struct registries_conf *c, const char *repository);

/* True when a name given by the user names its registry ("127.0.0.1:5000/app", "localhost/x", "quay.io/y"),
 * by docker's rule: a first component with "." or ":", or "localhost". */
bool reference_is_qualified(const char *name);
