/* linux.seccomp: JSON -> seccomp_profile_parse -> seccomp_compile (libseccomp's BPF, in memory; nothing is
 * installed) and the cache key. */
#include <jansson.h>
#include <linux/filter.h>
#include <stdlib.h>

#include "lib/error.h"
#include "lib/json.h"
#include "runtime/seccomp_internal.h"
#include "runtime/seccomp_profile.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        berth_error err = {0};
        struct seccomp_profile *p = NULL;
        json_t *doc = json_load_text("seccomp", (const char *) data, size, &err);

        if (doc != NULL && seccomp_profile_parse(doc, &p, &err) == 0) {
                struct sock_filter *insns = NULL;
                size_t n = 0;
                uint8_t key[SECCOMP_CACHE_KEY_SIZE];

                seccomp_cache_key(p, key);
                if (seccomp_compile(p, &insns, &n, &err) == 0)
                        free(insns);
                seccomp_profile_free(p);
        }
        if (doc != NULL)
                json_decref(doc);
        berth_error_clear(&err);
        return 0;
}
