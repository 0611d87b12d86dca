/* Image references as users, Dockerfiles and registries give them ("busybox", "host:5000/a/b:tag@sha256:..."):
 * image_ref_parse with and without a default tag, and everything derived from a parsed reference; also
 * the platform strings ("linux/arm64/v8") that come with them. */
#include <stdlib.h>

#include "lib/error.h"
#include "image/reference.h"
#include "image/platform.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_strndup(data, size);
        berth_error err = {0};
        struct image_ref ref = {0};
        struct platform p = {0};

        for (int default_tag = 0; default_tag <= 1; default_tag++) {
                if (image_ref_parse(s, default_tag, &ref, &err) == 0) {
                        char *repo = image_ref_repository(&ref);
                        free(image_ref_string(&ref));
                        free(image_ref_familiar_repository(&ref));
                        free(reference_familiar_name(repo));
                        free(repo);
                        image_ref_clear(&ref);
                }
                berth_error_clear(&err);
        }
        (void) reference_tag_is_valid(s);
        if (platform_parse(s, &p, &err) == 0) {
                free(platform_string(&p));
                platform_clear(&p);
        }
        berth_error_clear(&err);
        free(s);
        return 0;
}
