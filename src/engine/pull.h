/* Pull on run and create, as docker does: the image a container is made from is pulled first when it is
 * missing (--pull missing, the default), always (--pull always) or never (--pull never: a missing image is an
 * error), and --platform picks the image of that platform (from an index when pulling; a local image of
 * another platform is pulled again, or refused with --pull never).
 *
 * Two halves, along the line of what they link: the decision (pull_policy.c) needs only the image store and
 * is in every binary; the pull itself (pull.c) needs the registry client (libcurl) and is only in
 * libberth-engine-registry (berth-full, the API server). The lean `berth` asks engine_image_decide and, when
 * the answer is not ENGINE_IMAGE_PRESENT, hands the whole command to berth-full, which calls
 * engine_image_ensure. */
#pragma once

#include <stdbool.h>

#include "engine/engine.h"

enum engine_pull_policy {
        ENGINE_PULL_MISSING, /* the default */
        ENGINE_PULL_ALWAYS,
        ENGINE_PULL_NEVER,
};
/* "missing", "always", "never" (docker's words; the error is docker's message). */
int engine_pull_policy_parse(const char *s, enum engine_pull_policy *out, berth_error *err);

struct engine_image_request {
        const char *ref;          /* the image as typed: name, name:tag, name@digest, ID or ID prefix */
        enum engine_pull_policy pull;
        const char *platform;     /* --platform "os/arch[/variant]"; NULL: whatever image the name has */
};

enum engine_image_decision {
        ENGINE_IMAGE_PRESENT,        /* use *image_id */
        ENGINE_IMAGE_PULL,           /* missing (or --pull always): pull it */
        ENGINE_IMAGE_CHECK_PLATFORM, /* present, but --platform was given: its platform decides (pull.c) */
};

/* What creating a container from req->ref needs. *image_id is set for PRESENT and CHECK_PLATFORM. A missing
 * image with --pull never fails with docker's "No such image: X" (ENOENT). */
int engine_image_decide(struct engine *e, const struct engine_image_request *req, enum engine_image_decision *out,
                        char **image_id, berth_error *err);

struct registry_options;

/* engine_image_decide, then whatever it asks for: the pull (its progress and the line "Unable to find image
 * 'X' locally" go to ro->event as REGISTRY_EVENT_LINE/LAYER events), or the check of a present image's
 * platform. ro: authentication and TLS (its platform field is ignored: req->platform is used). On success
 * *image_id is the image to create the container from; on failure the store is as it was. Only in
 * libberth-engine-registry. */
int engine_image_ensure(struct engine *e, const struct engine_image_request *req, const struct registry_options *ro,
                        char **image_id, berth_error *err);
