/* Dockerfile instructions applied to an image config (`import --change`): CMD, ENTRYPOINT, ENV, WORKDIR,
 * USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL, with docker's exec (JSON array) and shell forms. */
#pragma once

#include <jansson.h>

#include "lib/error.h"

/* Applies one instruction ("ENV A=b C=d") to a config object ("config" member of the image config). */
int image_change_apply(json_t *config, const char *change, berth_error *err);
