/* berth build: a Dockerfile's stages built through the engine library (docs/build.md). Every RUN runs in a
 * real berth container (the engine's create/start/wait, the default seccomp profile, the image's USER and
 * WORKDIR, the build's network); every RUN, COPY and ADD becomes one layer through the engine's commit;
 * the other instructions change the image config and add docker's empty_layer history entries. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"
#include "engine/pull.h"
#include "lib/error.h"

struct registry_options;

struct build_options {
        const char *context;    /* a directory */
        const char *dockerfile; /* NULL: CONTEXT/Dockerfile */
        char **tags;            /* -t, NULL-terminated (may be NULL) */
        char **build_args;      /* --build-arg "K=V", or "K" (its value from our environment) */
        char **labels;          /* --label "K=V" on the final image */
        const char *target;     /* --target STAGE, or NULL: the last stage */
        const char *network;    /* --network: "default" (NULL), "none", "host" */
        enum engine_pull_policy pull; /* ENGINE_PULL_ALWAYS with --pull */
        const char *platform;   /* --platform, or NULL */
        bool no_cache;          /* --no-cache: accepted; no step is ever taken from a cache yet */
        FILE *progress;         /* STEP lines and the steps' output; NULL: quiet (-q) */
        const struct registry_options *registry; /* for FROM images that must be pulled */
        char **secrets;         /* --secret "id=ID,src=PATH" (RUN --mount=type=secret) */
};

/* Builds, tags the result with every -t and sets *image_id. On failure (a syntax error, with its
 * file:line:column; a step's non-zero exit, with its code in *step_exit) no container, mount or
 * intermediate image of this build is left. */
int build_run(struct engine *e, const struct build_options *o, char **image_id, int *step_exit, berth_error *err);
