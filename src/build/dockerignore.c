/* .dockerignore matching (dockerignore.h): each pattern becomes a POSIX extended regular expression the way
 * moby/patternmatcher builds its Go regexp, matched against the path and each of its parent directories. */
#include "build/dockerignore.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

struct pattern {
        regex_t re;
        bool exclusion; /* a "!" pattern */
};

struct dockerignore {
        struct pattern *patterns;
        size_t n;
        bool exceptions;
};

char *dockerignore_clean_path(const char *path)
{
        size_t len = strlen(path);
        /* The kept elements, as offsets into PATH; ".." pops one unless there is none to pop. */
        const char **start = xmalloc((len / 2 + 2) * sizeof(char *));
        size_t *elen = xmalloc((len / 2 + 2) * sizeof(size_t));
        size_t depth = 0, n = 0;
        bool rooted = path[0] == '/';
        char *out = xmalloc(len + 2);

        for (const char *p = path; *p;) {
                const char *e;
                size_t l;
                while (*p == '/')
                        p++;
                if (*p == '\0')
                        break;
                e = strchr(p, '/');
                l = e ? (size_t) (e - p) : strlen(p);
                if (l == 1 && p[0] == '.') {
                        /* "." goes */
                } else if (l == 2 && p[0] == '.' && p[1] == '.') {
                        if (depth > 0 && !(elen[depth - 1] == 2 && memcmp(start[depth - 1], "..", 2) == 0))
                                depth--;
                        else if (!rooted) {
                                start[depth] = p;
                                elen[depth++] = 2;
                        }
                } else {
                        start[depth] = p;
                        elen[depth++] = l;
                }
                p += l;
        }
        if (rooted)
                out[n++] = '/';
        for (size_t i = 0; i < depth; i++) {
                if (i > 0)
                        out[n++] = '/';
                memcpy(out + n, start[i], elen[i]);
                n += elen[i];
        }
        if (n == 0)
                out[n++] = '.';
        out[n] = '\0';
        free(start);
        free(elen);
        return out;
}

/* moby/patternmatcher's regexp of a pattern, in POSIX ERE. */
static char *pattern_regex(const char *pattern)
{
        size_t len = strlen(pattern);
        char *re = xmalloc(len * 8 + 8);
        size_t n = 0;
        const char *p = pattern;

        re[n++] = '^';
        while (*p) {
                char c = *p++;
                if (c == '*') {
                        if (*p == '*') {
                                p++;
                                if (*p == '/')
                                        p++;
                                if (*p == '\0') {
                                        memcpy(re + n, ".*", 2);
                                        n += 2;
                                } else {
                                        memcpy(re + n, "(.*/)?", 6);
                                        n += 6;
                                }
                        } else {
                                memcpy(re + n, "[^/]*", 5);
                                n += 5;
                        }
                } else if (c == '?') {
                        memcpy(re + n, "[^/]", 4);
                        n += 4;
                } else if (c == '[') {
                        /* A class, copied as it is (Go's [^...] and ERE's agree), up to its ']'. */
                        re[n++] = '[';
                        if (*p == '^' || *p == '!') {
                                re[n++] = '^';
                                p++;
                        }
                        if (*p == ']')
                                re[n++] = *p++;
                        while (*p && *p != ']') {
                                if (*p == '\\' && p[1] != '\0')
                                        p++;
                                re[n++] = *p++;
                        }
                        if (*p == ']')
                                re[n++] = *p++;
                        else
                                re[n++] = ']'; /* unterminated: regcomp reports it */
                } else if (c == '\\') {
                        if (*p == '\0')
                                break;
                        c = *p++;
                        if (strchr(".[]()*+?{}|^$\\", c) != NULL)
                                re[n++] = '\\';
                        re[n++] = c;
                } else if (strchr(".+()|{}$^", c) != NULL) {
                        re[n++] = '\\';
                        re[n++] = c;
                } else {
                        re[n++] = c;
                }
        }
        re[n++] = '$';
        re[n] = '\0';
        return re;
}

void dockerignore_free(struct dockerignore *di)
{
        if (di == NULL)
                return;
        for (size_t i = 0; i < di->n; i++)
                regfree(&di->patterns[i].re);
        free(di->patterns);
        free(di);
}

int dockerignore_parse(const char *text, size_t len, const char *filename, struct dockerignore **out, berth_error *err)
{
        struct dockerignore *di = xzalloc(sizeof(*di));
        const char *p = text, *end = text + len;
        unsigned line = 0;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = (size_t) ((nl ? nl : end) - p);
                cleanup_free char *raw = xstrndup(p, n);
                cleanup_free char *cleaned = NULL, *regex = NULL;
                char *s = raw, *e;
                bool exclusion = false;
                int rc;

                p = nl ? nl + 1 : end;
                line++;
                if (s[0] == '#')
                        continue;
                while (*s == ' ' || *s == '\t' || *s == '\r')
                        s++;
                e = s + strlen(s);
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        *--e = '\0';
                if (*s == '\0')
                        continue;
                if (*s == '!') {
                        exclusion = true;
                        s++;
                        while (*s == ' ' || *s == '\t')
                                s++;
                }
                cleaned = dockerignore_clean_path(s);
                regex = pattern_regex(cleaned[0] == '/' && cleaned[1] != '\0' ? cleaned + 1 : cleaned);
                di->patterns = xrealloc(di->patterns, (di->n + 1) * sizeof(*di->patterns));
                if ((rc = regcomp(&di->patterns[di->n].re, regex, REG_EXTENDED | REG_NOSUB)) != 0) {
                        char why[128];
                        regerror(rc, &di->patterns[di->n].re, why, sizeof(why));
                        dockerignore_free(di);
                        return berth_failf(err, EINVAL, "%s:%u: bad pattern \"%s\": %s", filename, line, s, why);
                }
                di->patterns[di->n++].exclusion = exclusion;
                di->exceptions = di->exceptions || exclusion;
        }
        *out = di;
        return 0;
}

bool dockerignore_has_exceptions(const struct dockerignore *di)
{
        return di->exceptions;
}

static bool matches(const regex_t *re, const char *s)
{
        return regexec(re, s, 0, NULL, 0) == 0;
}

bool dockerignore_excluded(const struct dockerignore *di, const char *path)
{
        cleanup_free char *file = dockerignore_clean_path(path);
        bool matched = false;

        for (size_t i = 0; i < di->n; i++) {
                const struct pattern *pt = &di->patterns[i];
                bool match;

                /* An inclusion cannot change an excluded path, nor an exception a kept one. */
                if (pt->exclusion != matched)
                        continue;
                match = matches(&pt->re, file);
                /* Or one of its parent directories: "a/b" matches "a/b/c". */
                for (char *slash = strchr(file, '/'); !match && slash != NULL; slash = strchr(slash + 1, '/')) {
                        *slash = '\0';
                        match = matches(&pt->re, file);
                        *slash = '/';
                }
                if (match)
                        matched = !pt->exclusion;
        }
        return matched;
}
