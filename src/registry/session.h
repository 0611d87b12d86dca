/* A connection to one registry: where it is (scheme chosen by a ping of /v2/), how to trust it (TLS), who we
 * are (credentials from the auth file or --creds) and how it wants to be asked (anonymous, Basic, or Bearer
 * tokens per scope, cached until they expire). registry_call sends a request with the right Authorization
 * header, answers a 401 once by authenticating again, and retries transient failures with backoff. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "registry/authfile.h"
#include "registry/challenge.h"
#include "registry/http.h"
#include "registry/regconf.h"
#include "registry/registry.h"

struct registry_token {
        char *scope;
        char *token;
        struct timespec expires; /* CLOCK_MONOTONIC */
};

struct registry_session {
        const struct registry_options *opts;
        char *domain;     /* as in references: "docker.io", "127.0.0.1:5000" */
        char *host;       /* where to connect: "registry-1.docker.io" for docker.io */
        char *base_url;   /* "https://HOST" or "http://HOST", set by registry_ping */
        bool insecure;    /* unverified TLS and plain HTTP allowed */
        struct http_client *http;
        struct registry_credentials creds;
        enum auth_scheme auth;
        char *realm;
        char *service;
        struct registry_token *tokens;
        size_t n_tokens;
        unsigned attempts;
        unsigned backoff_ms;
};

/* repository: "127.0.0.1:5000/app" (to find credentials scoped to it); conf may be NULL. */
int registry_session_open(const char *domain, const char *repository, const struct registry_options *o,
                          const struct registries_conf *conf, struct registry_session **out, berth_error *err);
void registry_session_free(struct registry_session *s);
static inline void registry_session_free_ptr(struct registry_session **s)
{
        if (*s != NULL)
                registry_session_free(*s);
}
#define cleanup_session __attribute__((cleanup(registry_session_free_ptr)))

/* GET /v2/: picks the scheme (HTTPS; unverified HTTPS then HTTP for insecure registries) and learns the
 * authentication challenge. */
int registry_ping(struct registry_session *s, berth_error *err);

/* "https://HOST/v2/PATH/..." */
char *registry_url(struct registry_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct registry_request {
        const char *method;
        const char *url;
        const char *scope;       /* "repository:app:pull" (several separated by spaces) */
        char *const *headers;
        const void *body;
        size_t body_len;
        const struct http_file_body *file_body;
        size_t max_body;
        bool retry;              /* idempotent: retried on resets, timeouts and 5xx */
        http_progress_fn progress;
        void *progress_data;
};

/* 0 with the final response (whatever its status), or < 0 for transport and authentication failures. */
int registry_call(struct registry_session *s, const struct registry_request *rq, struct http_response *resp,
                  berth_error *err);

/* The Authorization header value for a scope (NULL when anonymous), fetching a token when needed. */
int registry_authorization(struct registry_session *s, const char *scope, char **out, berth_error *err);
/* After a 401: learns the challenge again and drops the cached token for scope. Returns 1 when a retry with
 * new credentials makes sense, 0 when not (no credentials for Basic, token already fresh). */
int registry_reauthenticate(struct registry_session *s, const char *scope, const struct http_response *resp,
                            berth_error *err);

/* Delay before retry number attempt (1-based), doubling from the configured base, at most 8 s. */
unsigned registry_backoff(const struct registry_session *s, unsigned attempt);
/* Sleeps ms, interrupted (-ECANCELED) by the cancel flag. */
int registry_sleep(struct registry_session *s, unsigned ms, berth_error *err);
bool registry_cancelled(const struct registry_session *s);

/* Token server requests (token.c). offline: ask for a refresh token (login). */
int registry_token_fetch(struct registry_session *s, const char *scope, bool offline, char **token,
                         int64_t *expires_in, char **refresh_token, berth_error *err);
/* A token server's 200 answer ({"token" or "access_token", "expires_in", "refresh_token"}); realm names the
 * server in messages. Wipes the body (it holds secrets). */
int registry_token_parse(const char *realm, const struct http_response *resp, char **token, int64_t *expires_in,
                         char **refresh_token, berth_error *err);
