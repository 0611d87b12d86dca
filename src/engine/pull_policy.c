/* The decision half of pull on run (engine/pull.h): needs only the image store. */
#include "engine/pull.h"

#include <errno.h>
#include <string.h>

#include "image/imagedb.h"

int engine_pull_policy_parse(const char *s, enum engine_pull_policy *out, berth_error *err)
{
        static const char *const words[] = {[ENGINE_PULL_MISSING] = "missing", [ENGINE_PULL_ALWAYS] = "always",
                                            [ENGINE_PULL_NEVER] = "never"};

        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strcmp(s, words[i]) == 0) {
                        *out = (enum engine_pull_policy) i;
                        return 0;
                }
        return berth_failf(err, EINVAL, "invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", s);
}

int engine_image_decide(struct engine *e, const struct engine_image_request *req, enum engine_image_decision *out,
                        char **image_id, berth_error *err)
{
        int r;

        *image_id = NULL;
        if (req->pull == ENGINE_PULL_ALWAYS) {
                *out = ENGINE_IMAGE_PULL;
                return 0;
        }
        r = imagedb_resolve(e->store, req->ref, image_id, NULL, err);
        if (r == -ENOENT && req->pull == ENGINE_PULL_MISSING) {
                berth_error_clear(err);
                *out = ENGINE_IMAGE_PULL;
                return 0;
        }
        if (r < 0)
                return r;
        *out = req->platform != NULL ? ENGINE_IMAGE_CHECK_PLATFORM : ENGINE_IMAGE_PRESENT;
        return 0;
}
