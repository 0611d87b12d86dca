/* Words and variable expansion of the Dockerfile language (words.h), after BuildKit's parseWords and its
 * shell lexer (frontend/dockerfile/shell/lex.go). */
#include "build/words.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

/* ---- splitting (quotes kept) ---- */

char **dockerfile_split_words(const char *text, char escape)
{
        char **words = xzalloc(sizeof(char *));
        size_t cap = strlen(text) + 1;
        cleanup_free char *word = xmalloc(cap);
        size_t n = 0;
        bool in_word = false, blank_ok = false;
        char quote = 0;

        for (const char *p = text;; p++) {
                char c = *p;
                if (!in_word) {
                        if (c == '\0')
                                break;
                        if (isspace((unsigned char) c))
                                continue;
                        in_word = true;
                }
                if (c == '\0') {
                        if (blank_ok || n > 0) {
                                word[n] = '\0';
                                words = strv_append(words, word);
                        }
                        break;
                }
                if (quote == 0) {
                        if (isspace((unsigned char) c)) {
                                word[n] = '\0';
                                if (blank_ok || n > 0)
                                        words = strv_append(words, word);
                                n = 0;
                                in_word = blank_ok = false;
                                continue;
                        }
                        if (c == '\'' || c == '"') {
                                quote = c;
                                blank_ok = true;
                        } else if (c == escape) {
                                if (p[1] == '\0')
                                        continue; /* an escape at the end goes */
                                word[n++] = c;
                                c = *++p;
                        }
                        word[n++] = c;
                        continue;
                }
                if (c == quote)
                        quote = 0;
                else if (c == escape && quote != '\'') {
                        if (p[1] == '\0')
                                continue;
                        word[n++] = c;
                        c = *++p;
                }
                word[n++] = c;
        }
        return words;
}

/* ---- expansion ---- */

struct sink {
        char *buf;
        size_t len, cap;
        bool started; /* a word has begun (an empty "" counts) */
        bool split;
        char **words;
};

static void sink_char(struct sink *k, char c)
{
        if (k->len + 2 > k->cap) {
                k->cap = k->cap ? k->cap * 2 : 64;
                k->buf = xrealloc(k->buf, k->cap);
        }
        k->buf[k->len++] = c;
        k->buf[k->len] = '\0';
        k->started = true;
}

static void sink_string(struct sink *k, const char *s)
{
        for (; *s; s++)
                sink_char(k, *s);
}

static void sink_end_word(struct sink *k)
{
        if (!k->started)
                return;
        k->words = strv_append(k->words, k->buf ? k->buf : "");
        k->len = 0;
        if (k->buf != NULL)
                k->buf[0] = '\0';
        k->started = false;
}

/* An unquoted variable's value: split on blanks when splitting. */
static void sink_unquoted(struct sink *k, const char *s)
{
        if (!k->split) {
                sink_string(k, s);
                return;
        }
        for (; *s; s++) {
                if (isspace((unsigned char) *s))
                        sink_end_word(k);
                else
                        sink_char(k, *s);
        }
}

struct lexer {
        const char *p;
        char escape;
        char *const *env;
        berth_error *err;
};

static const char *lookup(char *const *env, const char *name, size_t n)
{
        const char *found = NULL;

        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        found = *e + n + 1;
        return found;
}

static int process(struct lexer *lx, struct sink *k, char stop);

/* After "$": a name (letters, digits, _), a run of digits, or one special parameter. */
static size_t name_length(const char *p)
{
        size_t n = 0;

        if (isdigit((unsigned char) p[0])) {
                while (isdigit((unsigned char) p[n]))
                        n++;
                return n;
        }
        if (p[0] != '\0' && strchr("@*#?-$!0", p[0]) != NULL)
                return 1;
        while (isalnum((unsigned char) p[n]) || p[n] == '_')
                n++;
        return n;
}

/* ${VAR#glob} and friends: the value without its shortest/longest matching prefix or suffix. */
static char *trim_match(const char *value, const char *pattern, bool suffix, bool longest)
{
        size_t len = strlen(value);
        cleanup_free char *copy = xstrdup(value);

        for (size_t i = 0; i <= len; i++) {
                size_t cut = longest ? len - i : i;
                bool match;
                if (suffix) {
                        match = fnmatch(pattern, value + (len - cut), 0) == 0;
                        if (match)
                                return xstrndup(value, len - cut);
                } else {
                        char saved = copy[cut];
                        copy[cut] = '\0';
                        match = fnmatch(pattern, copy, 0) == 0;
                        copy[cut] = saved;
                        if (match)
                                return xstrdup(value + cut);
                }
        }
        return xstrdup(value);
}

/* The longest match of PATTERN (a glob) starting at VALUE + I: its length, or -1. */
static long match_at(const char *value, size_t i, const char *pattern)
{
        size_t len = strlen(value);
        cleanup_free char *copy = xstrdup(value);

        for (size_t j = len; j > i; j--) {
                char saved = copy[j];
                copy[j] = '\0';
                if (fnmatch(pattern, copy + i, 0) == 0)
                        return (long) (j - i);
                copy[j] = saved;
        }
        return -1;
}

/* ${VAR/pattern/replacement} (the first match, longest) and ${VAR//pattern/replacement} (every match), at
 * the first "/". */
static int substitute(struct lexer *lx, const char *value, const char *name, size_t n, char **out)
{
        struct sink pattern = {0}, replacement = {0};
        bool all = false;
        const char *v = value ? value : "";
        size_t len = strlen(v);
        char *result = xstrdup("");
        int r;

        lx->p++;
        if (*lx->p == '/') {
                all = true;
                lx->p++;
        }
        if ((r = process(lx, &pattern, '/')) < 0)
                goto fail;
        if (*lx->p == '/') {
                lx->p++;
                if ((r = process(lx, &replacement, '}')) < 0)
                        goto fail;
        }
        if (*lx->p != '}') {
                r = berth_failf(lx->err, EINVAL, "missing '}' in the substitution of %.*s", (int) n, name);
                goto fail;
        }
        lx->p++;
        for (size_t i = 0; i < len;) {
                long m = pattern.buf && *pattern.buf ? match_at(v, i, pattern.buf) : -1;
                char *next;
                if (m > 0) {
                        next = xasprintf("%s%s", result, replacement.buf ? replacement.buf : "");
                        i += (size_t) m;
                        free(result);
                        result = next;
                        if (!all) {
                                next = xasprintf("%s%s", result, v + i);
                                free(result);
                                result = next;
                                break;
                        }
                        continue;
                }
                next = xasprintf("%s%c", result, v[i]);
                free(result);
                result = next;
                i++;
        }
        free(pattern.buf);
        free(replacement.buf);
        *out = result;
        return 0;
fail:
        free(pattern.buf);
        free(replacement.buf);
        free(result);
        return r;
}

/* At "$". Returns the expansion in *out (NULL: a literal "$"). */
static int process_dollar(struct lexer *lx, char **out)
{
        const char *name, *value;
        size_t n;
        char op;
        bool colon = false;
        struct sink word = {0};
        int r;

        lx->p++;
        *out = NULL;
        if (*lx->p != '{') {
                n = name_length(lx->p);
                if (n == 0)
                        return 0;
                value = lookup(lx->env, lx->p, n);
                lx->p += n;
                *out = xstrdup(value ? value : "");
                return 0;
        }
        lx->p++;
        name = lx->p;
        n = name_length(lx->p);
        if (n == 0)
                return berth_failf(lx->err, EINVAL, "bad substitution: a ${} without a variable name");
        lx->p += n;
        value = lookup(lx->env, name, n);
        if (*lx->p == '}') {
                lx->p++;
                *out = xstrdup(value ? value : "");
                return 0;
        }
        if (*lx->p == ':') {
                colon = true;
                lx->p++;
        }
        op = *lx->p;
        if (op == '/' && !colon)
                return substitute(lx, value, name, n, out);
        if (op == '\0' || strchr(colon ? "-+?" : "-+?#%", op) == NULL)
                return berth_failf(lx->err, EINVAL, "unsupported modifier (%s%c) in substitution of %.*s",
                                   colon ? ":" : "", op ? op : ' ', (int) n, name);
        lx->p++;
        {
                bool longest = false;
                if ((op == '#' || op == '%') && *lx->p == op) {
                        longest = true;
                        lx->p++;
                }
                if ((r = process(lx, &word, '}')) < 0) {
                        free(word.buf);
                        return r;
                }
                if (*lx->p != '}') {
                        free(word.buf);
                        return berth_failf(lx->err, EINVAL, "missing '}' in the substitution of %.*s", (int) n, name);
                }
                lx->p++;
                {
                        cleanup_free char *w = word.buf ? word.buf : xstrdup("");
                        bool set = value != NULL && (!colon || value[0] != '\0');
                        switch (op) {
                        case '-':
                                *out = xstrdup(set ? value : w);
                                return 0;
                        case '+':
                                *out = xstrdup(set ? w : "");
                                return 0;
                        case '?':
                                if (set) {
                                        *out = xstrdup(value);
                                        return 0;
                                }
                                if (w[0] == '\0')
                                        return berth_failf(lx->err, EINVAL, "%.*s: is not allowed to be unset",
                                                           (int) n, name);
                                return berth_failf(lx->err, EINVAL, "%.*s: %s", (int) n, name, w);
                        default:
                                *out = trim_match(value ? value : "", w, op == '%', longest);
                                return 0;
                        }
                }
        }
}

static int process_single_quote(struct lexer *lx, struct sink *k)
{
        lx->p++;
        k->started = true;
        while (*lx->p != '\'') {
                if (*lx->p == '\0')
                        return berth_failf(lx->err, EINVAL, "unexpected end of statement while looking for matching "
                                                            "single-quote");
                sink_char(k, *lx->p++);
        }
        lx->p++;
        return 0;
}

static int process_double_quote(struct lexer *lx, struct sink *k)
{
        int r;

        lx->p++;
        k->started = true;
        for (;;) {
                char c = *lx->p;
                if (c == '\0')
                        return berth_failf(lx->err, EINVAL, "unexpected end of statement while looking for matching "
                                                            "double-quote");
                if (c == '"') {
                        lx->p++;
                        return 0;
                }
                if (c == '$') {
                        cleanup_free char *value = NULL;
                        if ((r = process_dollar(lx, &value)) < 0)
                                return r;
                        sink_string(k, value ? value : "$");
                        continue;
                }
                lx->p++;
                if (c == lx->escape && (*lx->p == '"' || *lx->p == '$' || *lx->p == lx->escape))
                        c = *lx->p++;
                sink_char(k, c);
        }
}

/* Up to STOP (or the end): quotes, escapes and variables into K. */
static int process(struct lexer *lx, struct sink *k, char stop)
{
        int r;

        /* A substitution's pattern ends at "/" or at its "}". */
        while (*lx->p != '\0' && *lx->p != stop && !(stop == '/' && *lx->p == '}')) {
                char c = *lx->p;
                if (c == lx->escape) {
                        lx->p++;
                        if (*lx->p == '\0')
                                break;
                        sink_char(k, *lx->p++);
                } else if (c == '\'') {
                        if ((r = process_single_quote(lx, k)) < 0)
                                return r;
                } else if (c == '"') {
                        if ((r = process_double_quote(lx, k)) < 0)
                                return r;
                } else if (c == '$') {
                        cleanup_free char *value = NULL;
                        if ((r = process_dollar(lx, &value)) < 0)
                                return r;
                        if (value == NULL)
                                sink_char(k, '$');
                        else
                                sink_unquoted(k, value);
                } else if (k->split && isspace((unsigned char) c)) {
                        sink_end_word(k);
                        lx->p++;
                } else {
                        sink_char(k, c);
                        lx->p++;
                }
        }
        return 0;
}

int dockerfile_expand_word(const char *word, char escape, char *const *env, char **out, berth_error *err)
{
        struct lexer lx = {.p = word, .escape = escape, .env = env, .err = err};
        struct sink k = {0};
        int r;

        if ((r = process(&lx, &k, '\0')) < 0) {
                free(k.buf);
                return r;
        }
        *out = k.buf ? k.buf : xstrdup("");
        return 0;
}

int dockerfile_expand_words(const char *text, char escape, char *const *env, char ***out, berth_error *err)
{
        struct lexer lx = {.p = text, .escape = escape, .env = env, .err = err};
        struct sink k = {.split = true, .words = xzalloc(sizeof(char *))};
        int r;

        r = process(&lx, &k, '\0');
        if (r == 0)
                sink_end_word(&k);
        free(k.buf);
        if (r < 0) {
                strv_free(k.words);
                return r;
        }
        *out = k.words;
        return 0;
}
