/* Image manifests, indexes and configs as a registry or an archive hands them over: the same bytes through
 * each parser (a registry may lie about the media type), then the platform selection and the media-type
 * sniffing that pull applies to an index; a config's run settings (Entrypoint, Env, ...) as run reads them. */
#include <stdlib.h>

#include "lib/error.h"
#include "image/manifest.h"
#include "image/runconfig.h"
#include "image/platform.h"
#include "registry/remote.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *) data;
        berth_error err = {0};
        struct image_manifest m = {0};
        struct image_index ix = {0};
        struct image_config c = {0};

        if (image_manifest_parse("manifest", text, size, &m, &err) == 0) {
                for (size_t i = 0; i < m.n_layers; i++)
                        (void) media_type_is_layer(m.layers[i].media_type);
                image_manifest_clear(&m);
        }
        berth_error_clear(&err);
        if (image_index_parse("index", text, size, &ix, &err) == 0) {
                struct platform p = {0};
                if (platform_parse("linux/amd64", &p, &err) == 0) {
                        (void) platform_select(&p, &ix);
                        platform_clear(&p);
                }
                image_index_clear(&ix);
        }
        berth_error_clear(&err);
        if (image_config_parse("config", text, size, &c, &err) == 0) {
                struct image_run_config rc = {0};
                if (image_run_config_parse(&c, "fuzz", &rc, &err) == 0)
                        image_run_config_clear(&rc);
                image_config_clear(&c);
        }
        berth_error_clear(&err);
        free(remote_sniff_media_type(text, size));
        return 0;
}
