/* WWW-Authenticate challenges (RFC 7235) as registries send them:
 *   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"
 *   Basic realm="registry" */
#pragma once

#include <stdbool.h>

enum auth_scheme { AUTH_SCHEME_NONE, AUTH_SCHEME_BASIC, AUTH_SCHEME_BEARER, AUTH_SCHEME_OTHER };

struct auth_challenge {
        enum auth_scheme scheme;
        char *realm;
        char *service;
        char *scope;
        char *error; /* "insufficient_scope", "invalid_token" */
};

void auth_challenge_clear(struct auth_challenge *c);
#define cleanup_challenge __attribute__((cleanup(auth_challenge_clear)))

/* Parses one header value; -EINVAL when it is not a challenge. */
int auth_challenge_parse(const char *header, struct auth_challenge *out);
/* The challenge to answer among a response's headers: Bearer before Basic (as docker), others ignored.
 * Returns false when none is usable. */
bool auth_challenge_pick(char *const *headers, struct auth_challenge *out);
