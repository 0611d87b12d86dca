/* tcp:// with TLS client certificates (tls.c). */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

#include "lib/error.h"

/* --tlscacert, --tlscert, --tlskey as read (PEM text). */
struct api_tls {
        char *ca, *cert, *key;
};
/* EINVAL naming the option when one is missing; the file's error when it cannot be read. */
int api_tls_load(const char *ca, const char *cert, const char *key, struct api_tls *out, berth_error *err);
void api_tls_clear(struct api_tls *t);

/* A listening TCP socket on HOST:PORT ("127.0.0.1:2376", "[::1]:2376", ":2376" for every address). */
int api_listen_tcp(const char *hostport, int *out, berth_error *err);

/* Whether the request's connection presented a client certificate that verifies against the CA. */
bool api_tls_client_verified(struct MHD_Connection *conn);
