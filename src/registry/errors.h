/* The distribution API's error bodies ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}) turned
 * into docker's wording: "manifest unknown: manifest unknown", or "received unexpected HTTP status: 500
 * Internal Server Error" when the body says nothing. */
#pragma once

#include <stdbool.h>

#include "registry/http.h"

/* The first error code of the body ("MANIFEST_UNKNOWN"), or NULL. */
char *registry_error_code(const struct http_response *r);
/* Text for a failed response (never NULL). */
char *registry_error_text(const struct http_response *r);
/* 408, 429 and 5xx: worth another attempt. */
bool registry_status_is_transient(long status);
