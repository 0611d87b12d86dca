/* The pull half of pull on run (engine/pull.h): the registry client behind engine_image_decide. Only in
 * libberth-engine-registry, which links libcurl. */
#include "engine/pull.h"
#include "engine/images.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/platform.h"
#include "registry/progress.h"
#include "registry/registry.h"
#include "lib/util.h"

/* docker's name for the notice: "busybox:latest", "127.0.0.1:5000/app@sha256:...". */
static char *notice_name(const struct image_ref *ref)
{
        cleanup_free char *repo = image_ref_familiar_repository(ref);

        if (ref->digest != NULL)
                return xasprintf("%s@%s", repo, ref->digest);
        return xasprintf("%s:%s", repo, ref->tag ? ref->tag : REFERENCE_DEFAULT_TAG);
}

/* A present image asked for with --platform: does its config say that platform? *actual: "os/arch[/variant]". */
static int present_matches(struct engine *e, const char *image_id, const struct platform *want, bool *matches,
                           char **actual, berth_error *err)
{
        cleanup_config struct image_config cfg = {0};
        int r;

        if ((r = image_config_read(e->store, image_id, &cfg, err)) < 0)
                return r;
        *matches = platform_matches(want, cfg.os, cfg.architecture, cfg.variant);
        *actual = xasprintf("%s/%s%s%s", cfg.os ? cfg.os : "", cfg.architecture ? cfg.architecture : "",
                            cfg.variant ? "/" : "", cfg.variant ? cfg.variant : "");
        return 0;
}

static int pull(struct engine *e, const char *name, const char *platform, const struct registry_options *ro,
                char **image_id, berth_error *err)
{
        struct registry_options o = *ro;
        struct registry_pull_result *res = NULL;
        size_t n = 0;
        int r;

        o.platform = platform;
        o.all_tags = false;
        r = engine_image_pull(e, name, &o, &res, &n, err);
        if (r == 0 && n == 1)
                *image_id = steal_pointer(&res[0].image_id);
        else if (r == 0)
                r = berth_failf(err, EIO, "pull %s: no image", name);
        for (size_t i = 0; i < n; i++)
                registry_pull_result_clear(&res[i]);
        free(res);
        return r;
}

int engine_image_ensure(struct engine *e, const struct engine_image_request *req, const struct registry_options *ro,
                        char **image_id, berth_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_platform struct platform want = {0};
        cleanup_free char *id = NULL, *actual = NULL, *name = NULL;
        enum engine_image_decision d;
        bool matches = false;
        int r;

        if ((r = engine_image_decide(e, req, &d, &id, err)) < 0)
                return r;
        if (d == ENGINE_IMAGE_PRESENT) {
                *image_id = steal_pointer(&id);
                return 0;
        }
        if (req->platform != NULL && (r = platform_parse(req->platform, &want, err)) < 0)
                return r;
        if (d == ENGINE_IMAGE_CHECK_PLATFORM) {
                if ((r = present_matches(e, id, &want, &matches, &actual, err)) < 0)
                        return r;
                if (matches) {
                        *image_id = steal_pointer(&id);
                        return 0;
                }
                /* docker: a present image of another platform is pulled again for the one asked for; with
                 * --pull never that is an error. */
                if (req->pull == ENGINE_PULL_NEVER) {
                        cleanup_free char *w = platform_string(&want);
                        return berth_failf(err, EINVAL,
                                           "image with reference %s was found but does not match the specified platform: wanted %s, actual: %s",
                                           req->ref, w, actual);
                }
        }
        /* A reference that cannot be pulled fails here with docker's message, before any notice. */
        if ((r = image_ref_parse(req->ref, true, &ref, err)) < 0)
                return r;
        name = notice_name(&ref);
        if (d == ENGINE_IMAGE_PULL && req->pull == ENGINE_PULL_MISSING)
                registry_emit_line(ro, "Unable to find image '%s' locally", name);
        /* The name with its tag, as docker's run pulls it (no "Using default tag" line). */
        return pull(e, name, req->platform, ro, image_id, err);
}
