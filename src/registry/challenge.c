#include "registry/challenge.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "lib/util.h"

void auth_challenge_clear(struct auth_challenge *c)
{
        free(c->realm);
        free(c->service);
        free(c->scope);
        free(c->error);
        memset(c, 0, sizeof(*c));
}

/* token chars of RFC 7230 (tchar) */
static bool is_tchar(char ch)
{
        return isalnum((unsigned char) ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static const char *skip_space(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* quoted-string with backslash escapes, or a token; *out is newly allocated. */
static const char *parse_value(const char *p, char **out)
{
        if (*p == '"') {
                char *buf = xmalloc(strlen(p) + 1), *q = buf;
                for (p++; *p != '\0' && *p != '"'; p++) {
                        if (*p == '\\' && p[1] != '\0')
                                p++;
                        *q++ = *p;
                }
                *q = '\0';
                if (*p != '"') {
                        free(buf);
                        return NULL;
                }
                *out = buf;
                return p + 1;
        }
        const char *start = p;
        /* token68 characters too ('/', '='): some servers send unquoted URLs. */
        while (is_tchar(*p) || *p == '/' || *p == '=' || *p == ':')
                p++;
        if (p == start)
                return NULL;
        *out = xstrndup(start, (size_t) (p - start));
        return p;
}

int auth_challenge_parse(const char *header, struct auth_challenge *out)
{
        const char *p = skip_space(header), *start = p;
        cleanup_free char *scheme = NULL;

        memset(out, 0, sizeof(*out));
        while (is_tchar(*p))
                p++;
        if (p == start)
                return -EINVAL;
        scheme = xstrndup(start, (size_t) (p - start));
        if (strcasecmp(scheme, "basic") == 0)
                out->scheme = AUTH_SCHEME_BASIC;
        else if (strcasecmp(scheme, "bearer") == 0)
                out->scheme = AUTH_SCHEME_BEARER;
        else
                out->scheme = AUTH_SCHEME_OTHER;
        for (;;) {
                cleanup_free char *name = NULL;
                char *value = NULL;

                p = skip_space(p);
                while (*p == ',' || *p == ' ' || *p == '\t')
                        p++;
                if (*p == '\0')
                        return 0;
                start = p;
                while (is_tchar(*p))
                        p++;
                if (p == start)
                        goto fail;
                name = xstrndup(start, (size_t) (p - start));
                p = skip_space(p);
                if (*p != '=')
                        goto fail;
                p = parse_value(skip_space(p + 1), &value);
                if (p == NULL)
                        goto fail;
                if (strcasecmp(name, "realm") == 0) {
                        free(out->realm);
                        out->realm = value;
                } else if (strcasecmp(name, "service") == 0) {
                        free(out->service);
                        out->service = value;
                } else if (strcasecmp(name, "scope") == 0) {
                        free(out->scope);
                        out->scope = value;
                } else if (strcasecmp(name, "error") == 0) {
                        free(out->error);
                        out->error = value;
                } else {
                        free(value);
                }
        }
fail:
        auth_challenge_clear(out);
        return -EINVAL;
}

bool auth_challenge_pick(char *const *headers, struct auth_challenge *out)
{
        struct auth_challenge basic = {0};
        bool have_basic = false;

        memset(out, 0, sizeof(*out));
        for (char *const *h = headers; h != NULL && *h != NULL; h++) {
                struct auth_challenge c;
                if (auth_challenge_parse(*h, &c) < 0)
                        continue;
                if (c.scheme == AUTH_SCHEME_BEARER && c.realm != NULL) {
                        auth_challenge_clear(&basic);
                        *out = c;
                        return true;
                }
                if (c.scheme == AUTH_SCHEME_BASIC && !have_basic) {
                        basic = c;
                        have_basic = true;
                        continue;
                }
                auth_challenge_clear(&c);
        }
        if (have_basic)
                *out = basic;
        return have_basic;
}
