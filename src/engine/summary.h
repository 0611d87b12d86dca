/* A container as docker's lists show it (summary.c): the API's /containers/json entry (types.Container) and
 * the words of ps's STATUS column, shared by both front ends. */
#pragma once

#include <jansson.h>

#include "engine/engine.h"

/* "Up 3 seconds", "Up 2 minutes (healthy)", "Exited (0) 5 seconds ago", "Created", ... (docker's State.String). */
char *engine_container_status_text(struct engine *e, const struct engine_container *c);
/* The Entrypoint and Cmd joined with spaces (docker's Command). */
char *engine_container_command_line(const struct engine_container *c);
/* docker's types.Container: Id, Names, Image, ImageID, Command, Created, Ports, Labels, State, Status,
 * HostConfig, NetworkSettings, Mounts. */
json_t *engine_container_summary(struct engine *e, const struct engine_container *c);
