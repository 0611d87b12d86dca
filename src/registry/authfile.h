/* Registry credentials in docker's config.json format, which podman's auth.json shares:
 *   {"auths": {"127.0.0.1:5000": {"auth": base64("user:password")},
 *              "https://index.docker.io/v1/": {"auth": base64("user:"), "identitytoken": "..."}}}
 * The file is chosen as podman and docker do: --authfile, else $REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json. It is written atomically with mode 0600; other keys
 * in it (credsStore, proxies, ...) are kept as they are; with a credential helper named there (credhelper.h) the
 * secrets are the helper's. Passwords and tokens never appear in a message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

struct registry_credentials {
        char *username;
        char *password;
        char *identity_token; /* an OAuth2 refresh token from a token server (docker's "identitytoken") */
};
/* Wipes the secrets before freeing them. */
void registry_credentials_clear(struct registry_credentials *c);
#define cleanup_credentials __attribute__((cleanup(registry_credentials_clear)))
bool registry_credentials_present(const struct registry_credentials *c);

char *authfile_path(const char *override);
/* The key docker writes for a registry: "https://index.docker.io/v1/" for Docker Hub, else the domain. */
char *authfile_key(const char *domain);

/* Credentials for a repository ("127.0.0.1:5000/app", "docker.io/library/busybox"): an entry for the
 * repository or one of its namespaces (podman), else for its registry; keys may carry a scheme or a path
 * ("https://127.0.0.1:5000/v2/") as docker's older files do. *found is false when there is none. */
int authfile_lookup(const char *path, const char *repository, struct registry_credentials *out, bool *found,
                    berth_error *err);
int authfile_store(const char *path, const char *domain, const struct registry_credentials *c, berth_error *err);
/* Removes the entry (every spelling of the registry's key); *found tells whether there was one. */
int authfile_erase(const char *path, const char *domain, bool *found, berth_error *err);
/* Removes every entry. */
int authfile_erase_all(const char *path, berth_error *err);

/* RFC 4648 base64 (standard alphabet, padded). decode returns -EINVAL on malformed input. */
char *base64_encode(const void *data, size_t len);
int base64_decode(const char *s, char **out, size_t *len);
