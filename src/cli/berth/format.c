#include "cli/berth/format.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

void format_human_size_precision(double bytes, int digits, char *buf, size_t size)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        size_t i = 0;

        while (bytes >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
                bytes /= 1000.0;
                i++;
        }
        snprintf(buf, size, "%.*g%s", digits, bytes, units[i]);
}

void format_human_size(double bytes, char *buf, size_t size)
{
        format_human_size_precision(bytes, 3, buf, size);
}

void format_human_duration(int64_t seconds, char *buf, size_t size)
{
        human_duration(seconds, buf, size);
}

void format_go_time(int64_t t, char *buf, size_t size)
{
        time_t tt = (time_t) t;
        struct tm tm;

        gmtime_r(&tt, &tm);
        strftime(buf, size, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

void table_add_row(struct table *t, char **cells)
{
        t->rows = xrealloc(t->rows, (t->n_rows + 1) * sizeof(*t->rows));
        t->rows[t->n_rows++] = cells;
}

void table_add_line(struct table *t, const char *line)
{
        char **cells = xzalloc(sizeof(char *));
        const char *p = line;

        for (;;) {
                const char *tab = strchr(p, '\t');
                cleanup_free char *cell = tab ? xstrndup(p, (size_t) (tab - p)) : xstrdup(p);
                cells = strv_append(cells, cell);
                if (tab == NULL)
                        break;
                p = tab + 1;
        }
        table_add_row(t, cells);
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

void table_print(struct table *t, FILE *out)
{
        size_t cols = 0, *width;

        for (size_t r = 0; r < t->n_rows; r++)
                if (strv_length(t->rows[r]) > cols)
                        cols = strv_length(t->rows[r]);
        width = xzalloc((cols + 1) * sizeof(*width));
        /* tabwriter: a cell followed by a tab belongs to a column; the last cell of a row is free text. */
        for (size_t r = 0; r < t->n_rows; r++) {
                size_t n = strv_length(t->rows[r]);
                for (size_t c = 0; c + 1 < n; c++) {
                        size_t w = text_width(t->rows[r][c]) + 3;
                        if (w < 10)
                                w = 10;
                        if (w > width[c])
                                width[c] = w;
                }
        }
        for (size_t r = 0; r < t->n_rows; r++) {
                size_t n = strv_length(t->rows[r]);
                for (size_t c = 0; c < n; c++) {
                        fputs(t->rows[r][c], out);
                        if (c + 1 < n)
                                for (size_t pad = text_width(t->rows[r][c]); pad < width[c]; pad++)
                                        fputc(' ', out);
                }
                fputc('\n', out);
        }
        free(width);
}

void table_free(struct table *t)
{
        for (size_t r = 0; r < t->n_rows; r++)
                strv_free(t->rows[r]);
        free(t->rows);
        t->rows = NULL;
        t->n_rows = 0;
}

static char *expand_escapes(const char *s)
{
        char *out = xmalloc(strlen(s) + 1), *o = out;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] == 't') {
                        *o++ = '\t';
                        s++;
                } else if (s[0] == '\\' && s[1] == 'n') {
                        *o++ = '\n';
                        s++;
                } else {
                        *o++ = *s;
                }
        }
        *o = '\0';
        return out;
}

int output_format_parse(const char *arg, struct output_format *out, berth_error *err)
{
        memset(out, 0, sizeof(*out));
        if (arg == NULL || *arg == '\0' || strcmp(arg, "table") == 0) {
                out->kind = OUTPUT_TABLE_DEFAULT;
        } else if (strcmp(arg, "json") == 0) {
                out->kind = OUTPUT_JSON;
        } else if (str_has_prefix(arg, "table ")) {
                out->kind = OUTPUT_TABLE;
                out->template = expand_escapes(arg + 6);
        } else {
                out->kind = OUTPUT_TEMPLATE;
                out->template = expand_escapes(arg);
        }
        return 0;
}

void output_format_clear(struct output_format *f)
{
        free(f->template);
        f->template = NULL;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
        if (*len + n + 1 > *cap) {
                *cap = (*len + n + 1) * 2;
                *buf = xrealloc(*buf, *cap);
        }
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
}

static char *value_text(json_t *v)
{
        if (v == NULL || json_is_null(v))
                return xstrdup("<no value>");
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        if (json_is_integer(v))
                return xasprintf("%lld", (long long) json_integer_value(v));
        if (json_is_real(v))
                return xasprintf("%g", json_real_value(v));
        if (json_is_true(v))
                return xstrdup("true");
        if (json_is_false(v))
                return xstrdup("false");
        if (json_is_array(v)) {
                /* Go prints a slice as [a b c]. */
                char *out = xstrdup("[");
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        cleanup_free char *t = value_text(e);
                        char *n = xasprintf("%s%s%s", out, i ? " " : "", t);
                        free(out);
                        out = n;
                }
                char *n = xasprintf("%s]", out);
                free(out);
                return n;
        }
        return json_to_string(v);
}

static int lookup(json_t *obj, const char *path, const char *action, json_t **out, berth_error *err)
{
        cleanup_free char *copy = xstrdup(path);
        json_t *cur = obj;
        char *save = NULL;
        const char *prev = NULL;

        if (strcmp(path, ".") == 0) {
                *out = obj;
                return 0;
        }
        if (path[0] != '.')
                return berth_failf(err, EINVAL, "template: %s: function \"%s\" not defined", action, path);
        for (char *tok = strtok_r(copy + 1, ".", &save); tok != NULL; tok = strtok_r(NULL, ".", &save)) {
                json_t *parent = cur;
                /* Go maps (docker's Labels, an event's Actor.Attributes) give "" for a missing key; a missing
                 * struct field is an error. */
                if (json_is_object(parent) && json_object_get(parent, tok) == NULL && prev != NULL &&
                    (strcmp(prev, "Labels") == 0 || strcmp(prev, "Attributes") == 0)) {
                        static json_t *empty;
                        if (empty == NULL)
                                empty = json_string("");
                        *out = empty;
                        return 0;
                }
                prev = tok;
                if (!json_is_object(cur) || (cur = json_object_get(cur, tok)) == NULL)
                        return berth_failf(err, EINVAL,
                                           "template: executing \"\" at <%s>: can't evaluate field %s", path, tok);
        }
        *out = cur;
        return 0;
}

int template_render(const char *tmpl, json_t *obj, char **out, berth_error *err)
{
        size_t len = 0, cap = 0;
        char *buf = NULL;
        const char *p = tmpl;

        append(&buf, &len, &cap, "", 0);
        while (*p) {
                const char *open = strstr(p, "{{"), *close;
                cleanup_free char *action = NULL;
                char *a;
                json_t *v;
                int r;

                if (open == NULL) {
                        append(&buf, &len, &cap, p, strlen(p));
                        break;
                }
                append(&buf, &len, &cap, p, (size_t) (open - p));
                close = strstr(open + 2, "}}");
                if (close == NULL) {
                        free(buf);
                        return berth_failf(err, EINVAL, "template: unclosed action in %s", tmpl);
                }
                action = xstrndup(open + 2, (size_t) (close - open - 2));
                a = action;
                while (isspace((unsigned char) *a) || *a == '-')
                        a++;
                for (char *e = a + strlen(a); e > a && (isspace((unsigned char) e[-1]) || e[-1] == '-');)
                        *--e = '\0';
                if (str_has_prefix(a, "json ")) {
                        char *arg = a + 5;
                        while (*arg == ' ')
                                arg++;
                        if ((r = lookup(obj, arg, a, &v, err)) < 0) {
                                free(buf);
                                return r;
                        }
                        cleanup_free char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                        append(&buf, &len, &cap, j ? j : "null", strlen(j ? j : "null"));
                } else if (str_has_prefix(a, "index ")) {
                        /* Go's index: a map's value by a quoted key ({{index .Config.Labels "a.b"}}: keys with dots or
                         * slashes), a slice's element by its number. */
                        char *arg = a + 6, *key;
                        cleanup_free char *path = NULL, *k = NULL, *t = NULL;
                        json_t *item = NULL;
                        while (*arg == ' ')
                                arg++;
                        key = strchr(arg, ' ');
                        if (key == NULL) {
                                free(buf);
                                return berth_failf(err, EINVAL, "template: %s: wrong number of args for index", a);
                        }
                        path = xstrndup(arg, (size_t) (key - arg));
                        while (*key == ' ')
                                key++;
                        if ((r = lookup(obj, path, a, &v, err)) < 0) {
                                free(buf);
                                return r;
                        }
                        if (key[0] == '"' && strlen(key) >= 2 && key[strlen(key) - 1] == '"' && json_is_object(v)) {
                                k = xstrndup(key + 1, strlen(key) - 2);
                                item = json_object_get(v, k);
                        } else if (json_is_array(v) && isdigit((unsigned char) key[0])) {
                                item = json_array_get(v, (size_t) strtoul(key, NULL, 10));
                                if (item == NULL) {
                                        free(buf);
                                        return berth_failf(err, EINVAL, "template: %s: error calling index: index out of range: %s", a, key);
                                }
                        } else {
                                free(buf);
                                return berth_failf(err, EINVAL, "template: %s: error calling index: cannot index %s with %s", a,
                                                   path, key);
                        }
                        /* A missing key of a map of strings (Labels, Attributes) is Go's zero value: "". */
                        t = item != NULL ? value_text(item) : xstrdup("");
                        append(&buf, &len, &cap, t, strlen(t));
                } else if (str_has_prefix(a, "len ")) {
                        /* Go's len: of a map, a slice or a string; anything else is a template error. */
                        char *arg = a + 4;
                        cleanup_free char *n = NULL;
                        while (*arg == ' ')
                                arg++;
                        if ((r = lookup(obj, arg, a, &v, err)) < 0) {
                                free(buf);
                                return r;
                        }
                        if (json_is_object(v))
                                n = xasprintf("%zu", json_object_size(v));
                        else if (json_is_array(v))
                                n = xasprintf("%zu", json_array_size(v));
                        else if (json_is_string(v))
                                n = xasprintf("%zu", json_string_length(v));
                        else {
                                free(buf);
                                return berth_failf(err, EINVAL, "template: %s: error calling len: len of %s", a,
                                                   v == NULL || json_is_null(v) ? "nil pointer" : "type without a length");
                        }
                        append(&buf, &len, &cap, n, strlen(n));
                } else {
                        if ((r = lookup(obj, a, a, &v, err)) < 0) {
                                free(buf);
                                return r;
                        }
                        cleanup_free char *t = v == obj ? json_to_string(v) : value_text(v);
                        append(&buf, &len, &cap, t, strlen(t));
                }
                p = close + 2;
        }
        *out = buf;
        return 0;
}

char *template_header(const char *tmpl, json_t *headers)
{
        size_t len = 0, cap = 0;
        char *buf = NULL;
        const char *p = tmpl;

        append(&buf, &len, &cap, "", 0);
        while (*p) {
                const char *open = strstr(p, "{{"), *close;
                if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
                        append(&buf, &len, &cap, p, strlen(p));
                        break;
                }
                append(&buf, &len, &cap, p, (size_t) (open - p));
                cleanup_free char *action = xstrndup(open + 2, (size_t) (close - open - 2));
                char *a = action;
                while (isspace((unsigned char) *a))
                        a++;
                for (char *e = a + strlen(a); e > a && isspace((unsigned char) e[-1]);)
                        *--e = '\0';
                if (a[0] == '.' && json_is_string(json_object_get(headers, a + 1))) {
                        const char *h = json_string_value(json_object_get(headers, a + 1));
                        append(&buf, &len, &cap, h, strlen(h));
                } else {
                        const char *name = a[0] == '.' ? a + 1 : a;
                        for (const char *c = name; *c; c++) {
                                char u = (char) toupper((unsigned char) *c);
                                append(&buf, &len, &cap, &u, 1);
                        }
                }
                p = close + 2;
        }
        return buf;
}

/* --since/--until: RFC 3339, a unix time (with fraction), or a duration before now ("10m", "1h30m"). */
