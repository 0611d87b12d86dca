/* Decoding a request, apart from libmicrohttpd (request.c): the version prefix, the path and its route,
 * docker's filters, and the body of POST /containers/create. Pure functions of their text, so that the fuzz
 * harness (tests/fuzz/fuzz_api.c) drives exactly what the server runs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "engine/create.h"
#include "engine/network.h"

/* "/v1.50/containers/json" -> minor 50 and *rest "containers/json"; no prefix: the newest version. EINVAL
 * with docker's words for a version too new or too old. */
int api_parse_version(const char *url, unsigned *minor, const char **rest, berth_error *err);

/* The path's parts, split on '/' (empty parts dropped), NULL-terminated. */
char **api_split_path(const char *path, size_t *n_parts);

/* Whether parts match a route's pattern: parts separated by '/', "*" matches one part, "**" one or more
 * (joined by '/' into *name, replacing what it held: an image name with its slashes). */
bool api_route_match(const char *pattern, char *const *parts, size_t n_parts, char **name);

/* docker's filters query parameter ({"key": ["v", ...]} or the old {"key": {"v": true}}) as "key=value"
 * strings (NULL-terminated, NULL when text is NULL or empty); EINVAL when malformed. */
int api_filters_decode(const char *text, char ***out, berth_error *err);

/* POST /containers/create's body (docker's Config with HostConfig and NetworkingConfig beside its fields)
 * as the engine's create request: *config is the Config alone (owned by the caller; cr->config points to
 * it), cr->host_config and cr->networking_config point into body. name: the query's, or NULL. EINVAL as
 * dockerd says it for an empty body or no image. */
int api_create_request_decode(json_t *body, const char *name, struct engine_create_request *cr, json_t **config,
                              berth_error *err);

/* POST /networks/create's body as the engine's options (strings and labels point into body). EINVAL for a
 * field of the wrong type and for what berth's networks cannot be (IPv6, swarm, other drivers and options). */
int api_network_create_decode(const json_t *body, struct engine_network_create_options *o, berth_error *err);

/* POST /networks/{id}/connect and /disconnect bodies: the container, the address asked for (connect's
 * EndpointConfig.IPAMConfig.IPv4Address, or NULL) and disconnect's Force. Strings point into body. */
int api_network_member_decode(const json_t *body, bool connect, const char **container, const char **ip, bool *force,
                              berth_error *err);

/* A field of a request body that is absent or null reads as its zero value (NULL, false); any other type than
 * dockerd's struct has is refused (EINVAL, "WHERE.KEY: expected ..."), as Go's decoder refuses it. Strings point
 * into obj. */
int api_field_string(const json_t *obj, const char *where, const char *key, const char **out, berth_error *err);
int api_field_bool(const json_t *obj, const char *where, const char *key, bool *out, berth_error *err);
