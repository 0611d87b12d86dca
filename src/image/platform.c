#include "image/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "lib/cleanup.h"
#include "lib/util.h"

void platform_clear(struct platform *p)
{
        free(p->os);
        free(p->arch);
        free(p->variant);
        memset(p, 0, sizeof(*p));
}

static const char *normal_arch(const char *arch, const char **variant)
{
        static const char *const map[][3] = {
                /* name, normalised, implied variant */
                {"x86_64", "amd64", NULL}, {"x86-64", "amd64", NULL}, {"aarch64", "arm64", NULL},
                {"armhf", "arm", "v7"},    {"armel", "arm", "v6"},    {"i386", "386", NULL},
                {"i686", "386", NULL},     {"armv7l", "arm", "v7"},   {"armv6l", "arm", "v6"},
                {"armv5tel", "arm", "v5"}, {"loongarch64", "loong64", NULL},
        };
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (strcmp(arch, map[i][0]) == 0) {
                        if (map[i][2] != NULL && (*variant == NULL || **variant == '\0'))
                                *variant = map[i][2];
                        return map[i][1];
                }
        return arch;
}

/* Variants that mean the same as none: arm64's v8, amd64's v1. */
static const char *normal_variant(const char *arch, const char *variant)
{
        if (variant == NULL || *variant == '\0')
                return strcmp(arch, "arm") == 0 ? "v7" : "";
        if ((strcmp(arch, "arm64") == 0 && strcmp(variant, "v8") == 0) || (strcmp(arch, "amd64") == 0 && strcmp(variant, "v1") == 0))
                return "";
        return variant;
}

static bool known_os(const char *s)
{
        static const char *const oses[] = {"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9", "android", "ios", "js", "wasip1"};
        for (size_t i = 0; i < ARRAY_SIZE(oses); i++)
                if (strcmp(s, oses[i]) == 0)
                        return true;
        return false;
}

void platform_host(struct platform *p)
{
        struct utsname u;
        const char *variant = NULL;
        const char *arch = uname(&u) == 0 ? normal_arch(u.machine, &variant) : "amd64";

        p->os = xstrdup("linux");
        p->arch = xstrdup(arch);
        p->variant = variant ? xstrdup(variant) : NULL;
}

int platform_parse(const char *s, struct platform *p, berth_error *err)
{
        cleanup_strv char **parts = NULL;
        cleanup_free char *copy = NULL;
        const char *variant = NULL;
        char *save = NULL;
        size_t n = 0;

        memset(p, 0, sizeof(*p));
        if (s == NULL || *s == '\0') {
                platform_host(p);
                return 0;
        }
        copy = xstrdup(s);
        parts = xzalloc(4 * sizeof(char *));
        for (char *tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
                if (n == 3)
                        return berth_failf(err, EINVAL, "\"%s\": unknown operating system or architecture: invalid argument", s);
                parts[n++] = xstrdup(tok);
        }
        for (size_t i = 0; i < n; i++)
                for (char *c = parts[i]; *c; c++)
                        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                                return berth_failf(err, EINVAL, "\"%s\": unknown operating system or architecture: invalid argument", s);
        if (n == 0)
                return berth_failf(err, EINVAL, "\"%s\": unknown operating system or architecture: invalid argument", s);
        if (n == 1) {
                /* containerd: one component is an OS when it is a known one, else an architecture on linux. */
                if (known_os(parts[0])) {
                        struct platform host = {0};
                        platform_host(&host);
                        p->os = xstrdup(parts[0]);
                        p->arch = steal_pointer(&host.arch);
                        p->variant = steal_pointer(&host.variant);
                        platform_clear(&host);
                        return 0;
                }
                p->os = xstrdup("linux");
                variant = NULL;
                p->arch = xstrdup(normal_arch(parts[0], &variant));
                p->variant = variant ? xstrdup(variant) : NULL;
                return 0;
        }
        variant = n == 3 ? parts[2] : NULL;
        p->os = xstrdup(parts[0]);
        p->arch = xstrdup(normal_arch(parts[1], &variant));
        p->variant = variant ? xstrdup(variant) : NULL;
        return 0;
}

char *platform_string(const struct platform *p)
{
        return p->variant && *p->variant ? xasprintf("%s/%s/%s", p->os, p->arch, p->variant) : xasprintf("%s/%s", p->os, p->arch);
}

static bool matches(const struct platform *p, const char *os, const char *arch, const char *variant, bool exact_variant)
{
        const char *v = variant;
        const char *a;

        if (os == NULL || arch == NULL || strcmp(os, p->os) != 0)
                return false;
        a = normal_arch(arch, &v);
        if (strcmp(a, p->arch) != 0)
                return false;
        if (p->variant == NULL || *p->variant == '\0')
                return !exact_variant || strcmp(normal_variant(a, v), normal_variant(a, NULL)) == 0;
        return strcmp(normal_variant(a, v), normal_variant(a, p->variant)) == 0;
}

bool platform_matches(const struct platform *p, const char *os, const char *arch, const char *variant)
{
        return matches(p, os, arch, variant, false);
}

bool platform_is_attestation(const struct descriptor *d)
{
        return d->platform_os != NULL && d->platform_arch != NULL && strcmp(d->platform_os, "unknown") == 0 &&
               strcmp(d->platform_arch, "unknown") == 0;
}

const struct descriptor *platform_select(const struct platform *p, const struct image_index *ix)
{
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < ix->n; i++) {
                        const struct descriptor *d = &ix->manifests[i];
                        if (platform_is_attestation(d) || !media_type_is_manifest(d->media_type))
                                continue;
                        if (matches(p, d->platform_os, d->platform_arch, d->platform_variant, pass == 0))
                                return d;
                }
        return NULL;
}
