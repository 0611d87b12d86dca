/* Dockerfile instructions as `import --change` and `commit --change` take them (image_change_apply: CMD,
 * ENTRYPOINT, ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL; exec and shell forms): the input is one
 * instruction per line, applied in order to one config; the resulting config then goes through the run
 * config reader as `run` reads an image (image_run_config_parse). The Dockerfile parser gets its own
 * harness when it lands; tests/fuzz/dockerfile.dict serves both. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "image/changes.h"
#include "image/manifest.h"
#include "image/runconfig.h"
#include "fuzz.h"

#define MAX_LINES 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_strndup(data, size);
        json_t *config = json_object();
        char *save = NULL;
        int lines = 0;

        for (char *line = strtok_r(text, "\n", &save); line != NULL && lines < MAX_LINES;
             line = strtok_r(NULL, "\n", &save), lines++) {
                berth_error err = {0};
                image_change_apply(config, line, &err);
                berth_error_clear(&err);
        }
        {
                struct image_config ic = {.json = json_pack("{s:O}", "config", config)};
                struct image_run_config rc = {0};
                berth_error err = {0};
                if (image_run_config_parse(&ic, "fuzz", &rc, &err) == 0)
                        image_run_config_clear(&rc);
                berth_error_clear(&err);
                json_decref(ic.json);
        }
        json_decref(config);
        free(text);
        return 0;
}
