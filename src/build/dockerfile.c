/* The Dockerfile parser (dockerfile.h). It follows BuildKit's frontend/dockerfile/parser: lines are read
 * one by one; comment lines go (also between continuation lines); a line ending in the escape character
 * continues on the next; the first word is the instruction, then leading --flags, then the arguments in
 * the instruction's own form; heredocs (RUN/COPY/ADD) take the lines after the instruction up to their
 * terminator. Instruction-level syntax (argument counts, the flags each instruction takes) is checked here
 * too, so that every syntax error names its file:line:column before anything runs. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build/words.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

struct reader {
        const char *p, *end;
        unsigned line; /* of the line last read */
};

/* The next line, without its "\n" or "\r\n". */
static bool next_line(struct reader *r, const char **s, size_t *n)
{
        const char *nl;

        if (r->p >= r->end)
                return false;
        nl = memchr(r->p, '\n', (size_t) (r->end - r->p));
        *s = r->p;
        *n = (size_t) ((nl ? nl : r->end) - r->p);
        r->p = nl ? nl + 1 : r->end;
        if (*n > 0 && (*s)[*n - 1] == '\r')
                (*n)--;
        r->line++;
        return true;
}

static size_t skip_blanks(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && isspace((unsigned char) s[i]))
                i++;
        return i;
}

static int fail_at(berth_error *err, const char *file, unsigned line, unsigned column, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static int fail_at(berth_error *err, const char *file, unsigned line, unsigned column, const char *fmt, ...)
{
        cleanup_free char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        what = xvasprintf(fmt, ap);
        va_end(ap);
        return berth_failf(err, EINVAL, "%s:%u:%u: %s", file, line, column, what);
}

/* ---- parser directives ---- */

/* "# escape=`": a directive's key (lower-cased) and value, or false for any other line. */
static bool directive_of(const char *s, size_t n, char *key, size_t key_size, char **value)
{
        size_t i = skip_blanks(s, n), k = 0, v, e;

        if (i >= n || s[i] != '#')
                return false;
        i += 1;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (i >= n || !isalpha((unsigned char) s[i]))
                return false;
        while (i < n && isalnum((unsigned char) s[i]) && k + 1 < key_size)
                key[k++] = (char) tolower((unsigned char) s[i++]);
        key[k] = '\0';
        if (i < n && isalnum((unsigned char) s[i]))
                return false; /* a key too long for any directive */
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (i >= n || s[i] != '=')
                return false;
        i++;
        v = i + skip_blanks(s + i, n - i);
        e = n;
        while (e > v && isspace((unsigned char) s[e - 1]))
                e--;
        if (e == v)
                return false;
        *value = xstrndup(s + v, e - v);
        return true;
}

/* Returns 1 when the line was a directive, 0 when directives are over, or an error. */
static int parse_directive(struct dockerfile *df, const char *s, size_t n, const char *file, unsigned line,
                           berth_error *err)
{
        cleanup_free char *value = NULL;
        char key[16];
        char **slot;

        if (!directive_of(s, n, key, sizeof(key), &value))
                return 0;
        if (strcmp(key, "escape") == 0) {
                if (strcmp(value, "\\") != 0 && strcmp(value, "`") != 0)
                        return fail_at(err, file, line, 1, "invalid escape token '%s' does not match ` or \\", value);
                if (df->escape != 0)
                        return fail_at(err, file, line, 1, "only one escape parser directive can be used");
                df->escape = value[0];
                return 1;
        }
        if (strcmp(key, "syntax") == 0)
                slot = &df->syntax;
        else if (strcmp(key, "check") == 0)
                slot = &df->check;
        else
                return 0; /* an unknown directive is a comment, and ends the directives */
        if (*slot != NULL)
                return fail_at(err, file, line, 1, "only one %s parser directive can be used", key);
        *slot = steal_pointer(&value);
        return 1;
}

/* ---- lines ---- */

/* Strips a trailing escape character (and the blanks after it): true when the line goes on. */
static bool strip_continuation(char *line, char escape)
{
        size_t n = strlen(line);

        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
                n--;
        if (n == 0 || line[n - 1] != escape)
                return false;
        line[n - 1] = '\0';
        return true;
}

static void append(char **buf, size_t *len, const char *s, size_t n)
{
        *buf = xrealloc(*buf, *len + n + 1);
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
}

/* ---- instruction forms ---- */

static void push_arg(struct dockerfile_instruction *ins, const char *s, size_t n)
{
        ins->args = xrealloc(ins->args, (ins->n_args + 2) * sizeof(char *));
        ins->args[ins->n_args++] = xstrndup(s, n);
        ins->args[ins->n_args] = NULL;
}

/* A JSON array of strings: the exec form. False (and nothing taken) for anything else, which is then the
 * shell form, as BuildKit falls back. */
static bool take_json_array(struct dockerfile_instruction *ins, const char *rest)
{
        cleanup_json json_t *a = NULL;
        json_t *v;
        size_t i;

        if (rest[0] != '[')
                return false;
        a = json_loads(rest, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_array(a))
                return false;
        json_array_foreach(a, i, v)
                if (!json_is_string(v))
                        return false;
        json_array_foreach(a, i, v)
                push_arg(ins, json_string_value(v), json_string_length(v));
        ins->json_form = true;
        return true;
}

static void take_whitespace_words(struct dockerfile_instruction *ins, const char *rest)
{
        const char *p = rest;

        while (*p) {
                const char *start;
                while (isspace((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        break;
                start = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                push_arg(ins, start, (size_t) (p - start));
        }
}

static void take_quoted_words(struct dockerfile_instruction *ins, const char *rest, char escape)
{
        cleanup_strv char **words = dockerfile_split_words(rest, escape);

        for (char **w = words; *w; w++)
                push_arg(ins, *w, strlen(*w));
}

/* ENV and LABEL: "KEY=VALUE ..." or the legacy "KEY VALUE" (the first word without "=" decides). */
static int take_name_values(struct dockerfile_instruction *ins, const char *rest, char escape, const char *file,
                            berth_error *err)
{
        cleanup_strv char **words = dockerfile_split_words(rest, escape);

        if (words[0] == NULL)
                return fail_at(err, file, ins->line, ins->column, "%s must have two arguments", ins->keyword);
        if (strchr(words[0], '=') == NULL) {
                const char *p = rest;
                size_t key_len;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                key_len = (size_t) (p - rest);
                while (isspace((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        return fail_at(err, file, ins->line, ins->column, "%s must have two arguments", ins->keyword);
                push_arg(ins, rest, key_len);
                push_arg(ins, p, strlen(p));
                return 0;
        }
        for (char **w = words; *w; w++) {
                char *eq = strchr(*w, '=');
                if (eq == NULL)
                        return fail_at(err, file, ins->line, ins->column,
                                       "Syntax error - can't find = in \"%s\". Must be of the form: name=value", *w);
                if (eq == *w)
                        return fail_at(err, file, ins->line, ins->column, "%s names must not be empty", ins->keyword);
                push_arg(ins, *w, (size_t) (eq - *w));
                push_arg(ins, eq + 1, strlen(eq + 1));
        }
        return 0;
}

/* ---- flags ---- */

struct known_flags {
        const char *keyword;
        const char *const *names;    /* flags taking a value */
        const char *const *booleans; /* flags that may stand alone (--link) */
        const char *const *repeat;   /* flags that may be given more than once */
};

static const char *const from_flags[] = {"platform", NULL};
static const char *const run_flags[] = {"mount", "network", "security", NULL};
static const char *const run_repeat[] = {"mount", NULL};
static const char *const copy_flags[] = {"from", "chown", "chmod", "exclude", NULL};
static const char *const add_flags[] = {"chown", "chmod", "checksum", "exclude", NULL};
static const char *const copy_bools[] = {"link", "parents", NULL};
static const char *const add_bools[] = {"link", "keep-git-dir", NULL};
static const char *const exclude_repeat[] = {"exclude", NULL};
static const char *const healthcheck_flags[] = {"interval", "timeout", "start-period", "start-interval", "retries", NULL};
static const char *const none[] = {NULL};

static const struct known_flags instruction_flags[] = {
        {"FROM", from_flags, none, none},
        {"RUN", run_flags, none, run_repeat},
        {"COPY", copy_flags, copy_bools, exclude_repeat},
        {"ADD", add_flags, add_bools, exclude_repeat},
        {"HEALTHCHECK", healthcheck_flags, none, none},
};

static bool listed(const char *const *names, const char *name)
{
        for (; *names; names++)
                if (strcmp(*names, name) == 0)
                        return true;
        return false;
}

static int check_flags(const struct dockerfile_instruction *ins, const char *file, berth_error *err)
{
        const struct known_flags *known = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(instruction_flags); i++)
                if (strcmp(instruction_flags[i].keyword, ins->keyword) == 0)
                        known = &instruction_flags[i];
        for (size_t i = 0; i < ins->n_flags; i++) {
                const struct dockerfile_flag *f = &ins->flags[i];
                bool takes_value = known && listed(known->names, f->name);
                bool boolean = known && listed(known->booleans, f->name);

                if (!takes_value && !boolean)
                        return fail_at(err, file, ins->line, ins->column, "unknown flag: %s", f->name);
                if (takes_value && f->value == NULL)
                        return fail_at(err, file, ins->line, ins->column, "missing a value on flag: %s", f->name);
                if (boolean && f->value != NULL && strcmp(f->value, "true") != 0 && strcmp(f->value, "false") != 0)
                        return fail_at(err, file, ins->line, ins->column, "expecting boolean value for flag %s, not: %s",
                                       f->name, f->value);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(ins->flags[j].name, f->name) == 0 && !listed(known->repeat, f->name))
                                return fail_at(err, file, ins->line, ins->column, "Duplicate flag specified: %s", f->name);
        }
        return 0;
}

/* Leading "--name[=value]" words (quotes removed, BuildKit's extractBuilderFlags); returns where the
 * arguments start. A lone "--" ends the flags. */
static const char *take_flags(struct dockerfile_instruction *ins, const char *rest)
{
        const char *p = rest;

        for (;;) {
                cleanup_free char *word = xmalloc(strlen(p) + 1);
                size_t n = 0;
                char quote = 0;
                char *eq;

                while (isspace((unsigned char) *p))
                        p++;
                if (p[0] != '-' || p[1] != '-')
                        return p;
                for (; *p && (quote || !isspace((unsigned char) *p)); p++) {
                        if (quote == 0 && (*p == '"' || *p == '\'')) {
                                quote = *p;
                                continue;
                        }
                        if (quote != 0 && *p == quote) {
                                quote = 0;
                                continue;
                        }
                        if (*p == '\\' && p[1] != '\0')
                                p++;
                        word[n++] = *p;
                }
                word[n] = '\0';
                if (strcmp(word, "--") == 0)
                        return p;
                ins->flags = xrealloc(ins->flags, (ins->n_flags + 1) * sizeof(*ins->flags));
                eq = strchr(word + 2, '=');
                ins->flags[ins->n_flags].name = eq ? xstrndup(word + 2, (size_t) (eq - word - 2)) : xstrdup(word + 2);
                ins->flags[ins->n_flags].value = eq ? xstrdup(eq + 1) : NULL;
                ins->n_flags++;
        }
}

/* ---- instructions ---- */

static const char *const keywords[] = {"ADD",     "ARG",   "CMD",        "COPY",   "ENTRYPOINT", "ENV",
                                       "EXPOSE",  "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
                                       "RUN",     "SHELL", "STOPSIGNAL", "USER",   "VOLUME",     "WORKDIR"};

static int parse_instruction(const char *text, char escape, const char *file, unsigned line, unsigned column,
                             struct dockerfile_instruction *ins, berth_error *err);

static int parse_arguments(struct dockerfile_instruction *ins, const char *rest, char escape, const char *file,
                           berth_error *err)
{
        const char *k = ins->keyword;
        unsigned line = ins->line, column = ins->column;

        if (strcmp(k, "RUN") == 0 || strcmp(k, "CMD") == 0 || strcmp(k, "ENTRYPOINT") == 0 || strcmp(k, "SHELL") == 0) {
                if (take_json_array(ins, rest))
                        return 0;
                if (strcmp(k, "SHELL") == 0)
                        return fail_at(err, file, line, column, "SHELL requires the arguments to be in JSON form");
                if (*rest == '\0' && strcmp(k, "RUN") == 0)
                        return fail_at(err, file, line, column, "RUN requires at least one argument");
                if (*rest != '\0')
                        push_arg(ins, rest, strlen(rest));
                return 0;
        }
        if (strcmp(k, "COPY") == 0 || strcmp(k, "ADD") == 0 || strcmp(k, "VOLUME") == 0) {
                if (!take_json_array(ins, rest))
                        take_whitespace_words(ins, rest);
                if (strcmp(k, "VOLUME") == 0 && ins->n_args == 0)
                        return fail_at(err, file, line, column, "VOLUME requires at least one argument");
                if (strcmp(k, "VOLUME") != 0 && ins->n_args < 2)
                        return fail_at(err, file, line, column,
                                       "%s requires at least two arguments, but only %s provided. Destination could "
                                       "not be determined",
                                       k, ins->n_args == 0 ? "none was" : "one was");
                return 0;
        }
        if (strcmp(k, "ENV") == 0 || strcmp(k, "LABEL") == 0)
                return take_name_values(ins, rest, escape, file, err);
        if (strcmp(k, "ARG") == 0) {
                take_quoted_words(ins, rest, escape);
                if (ins->n_args == 0)
                        return fail_at(err, file, line, column, "ARG requires at least one argument");
                return 0;
        }
        if (strcmp(k, "FROM") == 0) {
                take_whitespace_words(ins, rest);
                if (!(ins->n_args == 1 || (ins->n_args == 3 && strcasecmp(ins->args[1], "AS") == 0)))
                        return fail_at(err, file, line, column, "FROM requires either one argument, or three: FROM "
                                                                "<source> [AS <name>]");
                return 0;
        }
        if (strcmp(k, "EXPOSE") == 0) {
                take_whitespace_words(ins, rest);
                if (ins->n_args == 0)
                        return fail_at(err, file, line, column, "EXPOSE requires at least one argument");
                return 0;
        }
        if (strcmp(k, "HEALTHCHECK") == 0) {
                const char *p = rest;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                if ((size_t) (p - rest) == 4 && strncasecmp(rest, "NONE", 4) == 0) {
                        push_arg(ins, "NONE", 4);
                        while (isspace((unsigned char) *p))
                                p++;
                        if (*p != '\0' || ins->n_flags > 0)
                                return fail_at(err, file, line, column, "HEALTHCHECK NONE takes no arguments");
                        return 0;
                }
                if ((size_t) (p - rest) != 3 || strncasecmp(rest, "CMD", 3) != 0)
                        return fail_at(err, file, line, column, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)",
                                       (int) (p - rest), rest);
                push_arg(ins, "CMD", 3);
                while (isspace((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        return fail_at(err, file, line, column, "Missing command after HEALTHCHECK CMD");
                if (!take_json_array(ins, p))
                        push_arg(ins, p, strlen(p));
                return 0;
        }
        if (strcmp(k, "ONBUILD") == 0) {
                const char *p = rest;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                if (*rest == '\0')
                        return fail_at(err, file, line, column, "ONBUILD requires at least one argument");
                if ((size_t) (p - rest) == 7 && strncasecmp(rest, "ONBUILD", 7) == 0)
                        return fail_at(err, file, line, column, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                if (((size_t) (p - rest) == 4 && strncasecmp(rest, "FROM", 4) == 0) ||
                    ((size_t) (p - rest) == 10 && strncasecmp(rest, "MAINTAINER", 10) == 0))
                        return fail_at(err, file, line, column, "%.*s isn't allowed as an ONBUILD trigger",
                                       (int) (p - rest), rest);
                ins->sub = xzalloc(sizeof(*ins->sub));
                return parse_instruction(rest, escape, file, line, column, ins->sub, err);
        }
        /* MAINTAINER, STOPSIGNAL, USER, WORKDIR: the rest of the line is the one argument. */
        if (*rest == '\0')
                return fail_at(err, file, line, column, "%s requires exactly one argument", k);
        push_arg(ins, rest, strlen(rest));
        return 0;
}

/* TEXT: one instruction, continuation lines joined. */
static int parse_instruction(const char *text, char escape, const char *file, unsigned line, unsigned column,
                             struct dockerfile_instruction *ins, berth_error *err)
{
        const char *p = text, *rest;
        cleanup_free char *trimmed = NULL;
        size_t n;
        int r;

        while (isspace((unsigned char) *p))
                p++;
        n = strlen(p);
        while (n > 0 && isspace((unsigned char) p[n - 1]))
                n--;
        trimmed = xstrndup(p, n);
        ins->line = line;
        ins->column = column;
        ins->original = xstrdup(trimmed);
        for (n = 0; trimmed[n] && !isspace((unsigned char) trimmed[n]); n++)
                ;
        ins->keyword = xstrndup(trimmed, n);
        for (char *c = ins->keyword; *c; c++)
                *c = (char) toupper((unsigned char) *c);
        {
                bool known = false;
                for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
                        known = known || strcmp(keywords[i], ins->keyword) == 0;
                if (!known)
                        return fail_at(err, file, line, column, "unknown instruction: %.*s", (int) n, trimmed);
        }
        rest = take_flags(ins, trimmed + n);
        if ((r = check_flags(ins, file, err)) < 0)
                return r;
        return parse_arguments(ins, rest, escape, file, err);
}

/* ---- heredocs ---- */

/* "<<EOF", "<<-EOF", "<<'EOF'", "2<<EOF" among the line's words: the heredocs, in order. */
static void find_heredocs(struct dockerfile_instruction *ins, char escape)
{
        cleanup_strv char **words = dockerfile_split_words(ins->original, escape);

        for (char **w = words; *w; w++) {
                const char *p = *w;
                struct dockerfile_heredoc h = {.expand = true};
                size_t n;

                while (isdigit((unsigned char) *p))
                        p++;
                if (strncmp(p, "<<", 2) != 0)
                        continue;
                p += 2;
                if (*p == '-') {
                        h.chomp = true;
                        p++;
                }
                n = strlen(p);
                if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
                        h.expand = false;
                        p++;
                        n -= 2;
                }
                if (n == 0 || memchr(p, '<', n) != NULL || memchr(p, '"', n) != NULL || memchr(p, '\'', n) != NULL)
                        continue;
                h.name = xstrndup(p, n);
                ins->heredocs = xrealloc(ins->heredocs, (ins->n_heredocs + 1) * sizeof(h));
                ins->heredocs[ins->n_heredocs++] = h;
        }
}

static int read_heredocs(struct dockerfile_instruction *ins, struct reader *r, const char *file, berth_error *err)
{
        for (size_t i = 0; i < ins->n_heredocs; i++) {
                struct dockerfile_heredoc *h = &ins->heredocs[i];
                size_t len = 0;
                bool terminated = false;
                const char *s;
                size_t n;

                h->content = xstrdup("");
                while (next_line(r, &s, &n)) {
                        if (h->chomp)
                                while (n > 0 && *s == '\t') {
                                        s++;
                                        n--;
                                }
                        if (n == strlen(h->name) && memcmp(s, h->name, n) == 0) {
                                terminated = true;
                                break;
                        }
                        append(&h->content, &len, s, n);
                        append(&h->content, &len, "\n", 1);
                }
                if (!terminated)
                        return fail_at(err, file, ins->line, ins->column, "unterminated heredoc %s", h->name);
        }
        ins->end_line = r->line;
        return 0;
}

/* ---- the file ---- */

static void instruction_clear(struct dockerfile_instruction *ins)
{
        free(ins->keyword);
        free(ins->original);
        for (size_t i = 0; i < ins->n_flags; i++) {
                free(ins->flags[i].name);
                free(ins->flags[i].value);
        }
        free(ins->flags);
        strv_free(ins->args);
        if (ins->sub != NULL) {
                instruction_clear(ins->sub);
                free(ins->sub);
        }
        for (size_t i = 0; i < ins->n_heredocs; i++) {
                free(ins->heredocs[i].name);
                free(ins->heredocs[i].content);
        }
        free(ins->heredocs);
}

void dockerfile_free(struct dockerfile *df)
{
        if (df == NULL)
                return;
        for (size_t i = 0; i < df->n_instructions; i++)
                instruction_clear(&df->instructions[i]);
        free(df->instructions);
        free(df->syntax);
        free(df->check);
        free(df);
}

const struct dockerfile_flag *dockerfile_flag(const struct dockerfile_instruction *ins, const char *name)
{
        for (size_t i = ins->n_flags; i > 0; i--)
                if (strcmp(ins->flags[i - 1].name, name) == 0)
                        return &ins->flags[i - 1];
        return NULL;
}

static bool is_comment(const char *s, size_t n)
{
        size_t i = skip_blanks(s, n);
        return i < n && s[i] == '#';
}

int dockerfile_parse(const char *text, size_t len, const char *filename, struct dockerfile **out, berth_error *err)
{
        struct dockerfile *df = xzalloc(sizeof(*df));
        struct reader r = {.p = text, .end = text + len};
        bool directives = true;
        const char *s;
        size_t n;
        int rc;

        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                r.p += 3;
        if (memchr(text, '\0', len) != NULL) {
                rc = berth_failf(err, EINVAL, "%s: not a text file (it holds a NUL byte)", filename);
                goto fail;
        }
        while (next_line(&r, &s, &n)) {
                cleanup_free char *joined = NULL;
                struct dockerfile_instruction ins = {0};
                size_t joined_len = 0, lead = skip_blanks(s, n);
                unsigned start = r.line;
                bool more;

                if (directives) {
                        if ((rc = parse_directive(df, s, n, filename, r.line, err)) < 0)
                                goto fail;
                        if (rc == 1)
                                continue;
                        directives = false;
                        if (df->escape == 0)
                                df->escape = '\\';
                }
                if (lead == n || s[lead] == '#')
                        continue;
                append(&joined, &joined_len, s + lead, n - lead);
                more = strip_continuation(joined, df->escape);
                joined_len = strlen(joined);
                while (more && next_line(&r, &s, &n)) {
                        cleanup_free char *piece = NULL;
                        if (is_comment(s, n) || skip_blanks(s, n) == n)
                                continue;
                        piece = xstrndup(s, n);
                        more = strip_continuation(piece, df->escape);
                        append(&joined, &joined_len, piece, strlen(piece));
                }
                if (skip_blanks(joined, joined_len) == joined_len)
                        continue; /* a lone escape character */
                ins.end_line = r.line;
                if ((rc = parse_instruction(joined, df->escape, filename, start, (unsigned) lead + 1, &ins, err)) < 0) {
                        instruction_clear(&ins);
                        goto fail;
                }
                if ((strcmp(ins.keyword, "RUN") == 0 || strcmp(ins.keyword, "COPY") == 0 ||
                     strcmp(ins.keyword, "ADD") == 0) &&
                    !ins.json_form && strstr(ins.original, "<<") != NULL) {
                        find_heredocs(&ins, df->escape);
                        if ((rc = read_heredocs(&ins, &r, filename, err)) < 0) {
                                instruction_clear(&ins);
                                goto fail;
                        }
                }
                df->instructions = xrealloc(df->instructions, (df->n_instructions + 1) * sizeof(ins));
                df->instructions[df->n_instructions++] = ins;
        }
        if (df->escape == 0)
                df->escape = '\\';
        if (df->n_instructions == 0) {
                rc = berth_failf(err, EINVAL, "%s: the Dockerfile cannot be empty", filename);
                goto fail;
        }
        *out = df;
        return 0;
fail:
        dockerfile_free(df);
        return rc;
}
