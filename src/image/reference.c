#include "image/reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "image/digest.h"
#include "lib/util.h"

void image_ref_clear(struct image_ref *ref)
{
        free(ref->domain);
        free(ref->path);
        free(ref->tag);
        free(ref->digest);
        ref->domain = ref->path = ref->tag = ref->digest = NULL;
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | "__" | [-]+ */
static bool path_component_is_valid(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        while (i < n) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                if (s[i] == '.' || (s[i] == '_' && (i + 1 >= n || s[i + 1] != '_'))) {
                        i++;
                } else if (s[i] == '_') {
                        i += 2;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
                if (i >= n || !is_lower_alnum(s[i]))
                        return false;
        }
        return true;
}

/* domain := host [":" port]; host := DNS labels [a-zA-Z0-9-] joined by "." or an IPv6 literal in []. */
static bool domain_is_valid(const char *s)
{
        const char *colon, *end;
        size_t len = strlen(s);

        if (len == 0)
                return false;
        if (s[0] == '[') {
                end = strchr(s, ']');
                if (end == NULL || end == s + 1)
                        return false;
                for (const char *p = s + 1; p < end; p++)
                        if (!isxdigit((unsigned char) *p) && *p != ':' && *p != '.')
                                return false;
                colon = end[1] == ':' ? end + 1 : NULL;
                if (end[1] != '\0' && colon == NULL)
                        return false;
        } else {
                colon = strrchr(s, ':');
                end = colon ? colon : s + len;
                const char *label = s;
                for (const char *p = s; p <= end; p++) {
                        if (p == end || *p == '.') {
                                if (p == label || label[0] == '-' || p[-1] == '-')
                                        return false;
                                label = p + 1;
                        } else if (!isalnum((unsigned char) *p) && *p != '-') {
                                return false;
                        }
                }
        }
        if (colon != NULL) {
                if (colon[1] == '\0')
                        return false;
                for (const char *p = colon + 1; *p != '\0'; p++)
                        if (!isdigit((unsigned char) *p))
                                return false;
        }
        return true;
}

bool reference_tag_is_valid(const char *tag)
{
        size_t n = strlen(tag);

        if (n == 0 || n > 128)
                return false;
        if (!isalnum((unsigned char) tag[0]) && tag[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
                        return false;
        return true;
}

static bool has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (isupper((unsigned char) s[i]))
                        return true;
        return false;
}

static bool is_64_hex(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char) *s) || isupper((unsigned char) *s))
                        return false;
        return true;
}

/* docker's splitDockerDomain: the first component is a domain when it has a "." or ":", is "localhost",
 * or has an uppercase letter (which a path never may). */
static void split_domain(const char *name, char **domain, char **path)
{
        const char *slash = strchr(name, '/');

        if (slash != NULL) {
                size_t n = (size_t) (slash - name);
                if (memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && strncmp(name, "localhost", 9) == 0) ||
                    has_upper(name, n)) {
                        *domain = xstrndup(name, n);
                        *path = xstrdup(slash + 1);
                        goto normalise;
                }
        }
        *domain = xstrdup(REFERENCE_DEFAULT_DOMAIN);
        *path = xstrdup(name);
normalise:
        if (strcmp(*domain, "index.docker.io") == 0) {
                free(*domain);
                *domain = xstrdup(REFERENCE_DEFAULT_DOMAIN);
        }
        if (strcmp(*domain, REFERENCE_DEFAULT_DOMAIN) == 0 && strchr(*path, '/') == NULL) {
                char *p = xasprintf("library/%s", *path);
                free(*path);
                *path = p;
        }
}

static int check_path(const char *s, const char *path, berth_error *err)
{
        const char *p = path;

        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t) (slash - p) : strlen(p);
                if (has_upper(p, n))
                        return berth_failf(err, EINVAL,
                                           "invalid reference format: repository name (%s) must be lowercase", path);
                if (!path_component_is_valid(p, n))
                        return berth_failf(err, EINVAL, "invalid reference format: %s", s);
                if (slash == NULL)
                        return 0;
                p = slash + 1;
        }
}

int image_ref_parse(const char *s, bool default_tag, struct image_ref *ref, berth_error *err)
{
        cleanup_free char *copy = xstrdup(s);
        cleanup_free char *repository = NULL;
        char *at, *colon, *slash, *name = copy;
        int r;

        memset(ref, 0, sizeof(*ref));
        if (*s == '\0')
                return berth_failf(err, EINVAL, "invalid reference format: empty reference");
        at = strchr(copy, '@');
        if (at != NULL) {
                *at = '\0';
                if (!digest_is_valid(at + 1))
                        return berth_failf(err, EINVAL, "invalid reference format: %s", s);
                ref->digest = xstrdup(at + 1);
        }
        /* A tag is after the last ":" that follows the last "/" (a ":" before it is a port). */
        slash = strrchr(copy, '/');
        colon = strrchr(slash ? slash : copy, ':');
        if (colon != NULL) {
                *colon = '\0';
                if (!reference_tag_is_valid(colon + 1)) {
                        r = berth_failf(err, EINVAL, "invalid reference format: %s", s);
                        goto fail;
                }
                ref->tag = xstrdup(colon + 1);
        }
        if (is_64_hex(name)) {
                r = berth_failf(err, EINVAL,
                                "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", name);
                goto fail;
        }
        if (*name == '\0') {
                r = berth_failf(err, EINVAL, "invalid reference format: %s", s);
                goto fail;
        }
        split_domain(name, &ref->domain, &ref->path);
        if (!domain_is_valid(ref->domain)) {
                r = berth_failf(err, EINVAL, "invalid reference format: %s", s);
                goto fail;
        }
        if ((r = check_path(s, ref->path, err)) < 0)
                goto fail;
        repository = image_ref_repository(ref);
        if (strlen(repository) > REFERENCE_NAME_MAX) {
                r = berth_failf(err, EINVAL, "invalid reference format: repository name must not be more than %d characters",
                                REFERENCE_NAME_MAX);
                goto fail;
        }
        if (default_tag && ref->tag == NULL && ref->digest == NULL)
                ref->tag = xstrdup(REFERENCE_DEFAULT_TAG);
        return 0;
fail:
        image_ref_clear(ref);
        return r;
}

char *image_ref_repository(const struct image_ref *ref)
{
        return xasprintf("%s/%s", ref->domain, ref->path);
}

char *image_ref_string(const struct image_ref *ref)
{
        return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                         ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

char *reference_familiar_name(const char *repository)
{
        const char *p = repository;

        if (str_has_prefix(p, REFERENCE_DEFAULT_DOMAIN "/")) {
                p += strlen(REFERENCE_DEFAULT_DOMAIN "/");
                /* "library/busybox" -> "busybox", but "library/a/b" keeps its prefix, as docker does. */
                if (str_has_prefix(p, "library/") && strchr(p + 8, '/') == NULL)
                        p += 8;
        }
        return xstrdup(p);
}

char *image_ref_familiar_repository(const struct image_ref *ref)
{
        cleanup_free char *repository = image_ref_repository(ref);
        return reference_familiar_name(repository);
}
