/* inspect: docker's container inspect document (inspect.c). */
#pragma once

#include <jansson.h>

#include "engine/engine.h"

/* REF: an id, a unique id prefix or a name; the container's state refreshed first. */
int engine_container_inspect(struct engine *e, const char *ref, json_t **out, berth_error *err);
/* The document of a container already loaded. */
json_t *engine_container_inspect_json(struct engine *e, const struct engine_container *c);
