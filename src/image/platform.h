/* Platforms ("linux/amd64", "linux/arm64/v8") for choosing a manifest out of an index, with containerd's
 * normalisation (aarch64 = arm64, x86_64 = amd64, arm64's default variant v8, arm's v7). The one place that
 * knows the host's platform: image load and import, and the registry's pull, all ask platform_host(). */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "image/manifest.h"

struct platform {
        char *os;
        char *arch;
        char *variant; /* NULL: any */
};
void platform_clear(struct platform *p);
#define cleanup_platform __attribute__((cleanup(platform_clear)))

/* The host's platform: linux, the machine's architecture in Go's names (uname's x86_64 is amd64, aarch64
 * arm64, armv7l arm/v7...), its variant where one is implied. */
void platform_host(struct platform *p);

/* "os/arch[/variant]", "arch" alone (linux implied) or NULL for the host's default. */
int platform_parse(const char *s, struct platform *p, berth_error *err);
char *platform_string(const struct platform *p);
/* Does (os, arch, variant) of an index entry or a config satisfy p? */
bool platform_matches(const struct platform *p, const char *os, const char *arch, const char *variant);
/* Index entries that are not images to run: buildx attestations (platform unknown/unknown). */
bool platform_is_attestation(const struct descriptor *d);
/* The index entry for p: an exact variant match first, then any entry that matches; NULL when none. */
const struct descriptor *platform_select(const struct platform *p, const struct image_index *ix);
