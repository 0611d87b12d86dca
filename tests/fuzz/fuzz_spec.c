/* config.json: JSON -> spec_parse (every field of the OCI runtime spec) -> validate_for_create, as
 * `berth-runtime create` reads a bundle. The bundle is a throwaway directory with an empty rootfs. */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/json.h"
#include "runtime/cgroup.h"
#include "runtime/seccomp_profile.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/validate.h"
#include "fuzz.h"

static char bundle[] = "/tmp/berth-fuzz-spec-XXXXXX";

static void remove_bundle(void)
{
        char rootfs[sizeof(bundle) + 16];

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
        rmdir(rootfs);
        rmdir(bundle);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char rootfs[sizeof(bundle) + 16];

        fuzz_quiet_stdio();
        if (mkdtemp(bundle) == NULL)
                abort();
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
        if (mkdir(rootfs, 0755) < 0)
                abort();
        atexit(remove_bundle);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        berth_error err = {0};
        struct runtime_spec *spec = NULL;
        struct runtime_context ctx = {.state_root = "/nonexistent/berth-fuzz"};
        json_t *doc = json_load_text("config.json", (const char *) data, size, &err);

        if (doc != NULL) {
                if (spec_parse(doc, bundle, &spec, &err) == 0) {
                        berth_error verr = {0};
                        validate_for_create(spec, &ctx, &verr);
                        ctx.rootless = true;
                        validate_for_create(spec, &ctx, &verr);
                        berth_error_clear(&verr);
                        /* create parses these two parts later, from the same document. */
                        if (spec->linux_section.resources != NULL) {
                                struct cgroup_resources *res = NULL;
                                if (cgroup_resources_parse(spec->linux_section.resources, &res, &verr) == 0)
                                        cgroup_resources_free(res);
                                berth_error_clear(&verr);
                        }
                        if (spec->linux_section.seccomp != NULL) {
                                struct seccomp_profile *prof = NULL;
                                if (seccomp_profile_parse(spec->linux_section.seccomp, &prof, &verr) == 0)
                                        seccomp_profile_free(prof);
                                berth_error_clear(&verr);
                        }
                        spec_free(spec);
                }
                json_decref(doc);
        }
        berth_error_clear(&err);
        return 0;
}
