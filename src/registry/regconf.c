#include "registry/regconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

void registries_conf_clear(struct registries_conf *c)
{
        strv_free(c->search);
        strv_free(c->alias_names);
        strv_free(c->alias_values);
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i].location);
                for (size_t m = 0; m < c->entries[i].n_mirrors; m++)
                        free(c->entries[i].mirrors[m].location);
                free(c->entries[i].mirrors);
        }
        free(c->entries);
        memset(c, 0, sizeof(*c));
}

/* A small TOML reader: tables, arrays of tables, key = string | boolean | integer | array of those. Enough for
 * registries.conf; anything else is refused with file:line. */
struct toml_parser {
        const char *what;
        const char *p;
        int line;
        berth_error *err;
};

enum toml_type { TOML_STRING, TOML_BOOL, TOML_INT, TOML_ARRAY };

struct toml_value {
        enum toml_type type;
        char *str;
        bool b;
        char **array; /* strings only (registries.conf has no other arrays) */
};

static void toml_value_clear(struct toml_value *v)
{
        free(v->str);
        strv_free(v->array);
        memset(v, 0, sizeof(*v));
}

static int toml_fail(struct toml_parser *t, const char *msg)
{
        return berth_failf(t->err, EINVAL, "%s:%d: %s", t->what, t->line, msg);
}

/* Spaces, tabs, comments; newlines too when multiline. */
static void skip_blank(struct toml_parser *t, bool multiline)
{
        for (;;) {
                if (*t->p == ' ' || *t->p == '\t' || *t->p == '\r') {
                        t->p++;
                } else if (*t->p == '#') {
                        while (*t->p != '\0' && *t->p != '\n')
                                t->p++;
                } else if (multiline && *t->p == '\n') {
                        t->line++;
                        t->p++;
                } else {
                        return;
                }
        }
}

static bool is_bare_key_char(char ch)
{
        return isalnum((unsigned char) ch) || ch == '_' || ch == '-';
}

static int parse_string(struct toml_parser *t, char **out)
{
        char quote = *t->p;
        size_t cap = 16, n = 0;
        char *buf;

        if (strncmp(t->p, "\"\"\"", 3) == 0 || strncmp(t->p, "'''", 3) == 0)
                return toml_fail(t, "multi-line strings are not supported");
        buf = xmalloc(cap);
        for (t->p++; *t->p != quote; t->p++) {
                char ch = *t->p;
                if (ch == '\0' || ch == '\n') {
                        free(buf);
                        return toml_fail(t, "unterminated string");
                }
                if (ch == '\\' && quote == '"') {
                        t->p++;
                        switch (*t->p) {
                        case '"': ch = '"'; break;
                        case '\\': ch = '\\'; break;
                        case 'n': ch = '\n'; break;
                        case 't': ch = '\t'; break;
                        case 'r': ch = '\r'; break;
                        case 'b': ch = '\b'; break;
                        case 'f': ch = '\f'; break;
                        default: free(buf); return toml_fail(t, "unsupported escape in string");
                        }
                }
                if (n + 2 > cap)
                        buf = xrealloc(buf, cap *= 2);
                buf[n++] = ch;
        }
        t->p++;
        buf[n] = '\0';
        *out = buf;
        return 0;
}

/* key or dotted.key (each part bare or quoted), joined by "." */
static int parse_key(struct toml_parser *t, char **out)
{
        char *key = xstrdup("");
        int r;

        for (;;) {
                char *part = NULL, *joined;
                skip_blank(t, false);
                if (*t->p == '"' || *t->p == '\'') {
                        if ((r = parse_string(t, &part)) < 0) {
                                free(key);
                                return r;
                        }
                } else {
                        const char *start = t->p;
                        while (is_bare_key_char(*t->p))
                                t->p++;
                        if (t->p == start) {
                                free(key);
                                return toml_fail(t, "expected a key");
                        }
                        part = xstrndup(start, (size_t) (t->p - start));
                }
                joined = *key ? xasprintf("%s.%s", key, part) : xstrdup(part);
                free(key);
                free(part);
                key = joined;
                skip_blank(t, false);
                if (*t->p != '.')
                        break;
                t->p++;
        }
        *out = key;
        return 0;
}

static int parse_value(struct toml_parser *t, struct toml_value *v)
{
        int r;

        memset(v, 0, sizeof(*v));
        skip_blank(t, false);
        if (*t->p == '"' || *t->p == '\'') {
                v->type = TOML_STRING;
                return parse_string(t, &v->str);
        }
        if (strncmp(t->p, "true", 4) == 0 && !is_bare_key_char(t->p[4])) {
                v->type = TOML_BOOL;
                v->b = true;
                t->p += 4;
                return 0;
        }
        if (strncmp(t->p, "false", 5) == 0 && !is_bare_key_char(t->p[5])) {
                v->type = TOML_BOOL;
                t->p += 5;
                return 0;
        }
        if (isdigit((unsigned char) *t->p) || *t->p == '-' || *t->p == '+') {
                const char *start = t->p++;
                while (isdigit((unsigned char) *t->p) || *t->p == '_')
                        t->p++;
                v->type = TOML_INT;
                v->str = xstrndup(start, (size_t) (t->p - start));
                return 0;
        }
        if (*t->p == '[') {
                v->type = TOML_ARRAY;
                v->array = xzalloc(sizeof(char *));
                t->p++;
                for (;;) {
                        char *s = NULL;
                        skip_blank(t, true);
                        if (*t->p == ']') {
                                t->p++;
                                return 0;
                        }
                        if (*t->p != '"' && *t->p != '\'') {
                                toml_value_clear(v);
                                return toml_fail(t, "only arrays of strings are supported");
                        }
                        if ((r = parse_string(t, &s)) < 0) {
                                toml_value_clear(v);
                                return r;
                        }
                        v->array = strv_append(v->array, s);
                        free(s);
                        skip_blank(t, true);
                        if (*t->p == ',') {
                                t->p++;
                                continue;
                        }
                        if (*t->p != ']') {
                                toml_value_clear(v);
                                return toml_fail(t, "expected ',' or ']' in array");
                        }
                }
        }
        if (*t->p == '{')
                return toml_fail(t, "inline tables are not supported");
        return toml_fail(t, "expected a value");
}

static struct registry_entry *add_entry(struct registries_conf *c)
{
        c->entries = xrealloc(c->entries, (c->n + 1) * sizeof(*c->entries));
        memset(&c->entries[c->n], 0, sizeof(c->entries[0]));
        return &c->entries[c->n++];
}

static void add_insecure_v1(struct registries_conf *c, char **registries)
{
        for (char **r = registries; r && *r; r++) {
                struct registry_entry *e = add_entry(c);
                e->location = xstrdup(*r);
                e->insecure = true;
        }
}

static int type_fail(struct toml_parser *t, const char *key, const char *want)
{
        return berth_failf(t->err, EINVAL, "%s:%d: %s: expected %s", t->what, t->line, key, want);
}

/* Applies key = value inside table (""  for the top level). */
static int apply(struct toml_parser *t, struct registries_conf *c, const char *table, struct registry_entry *entry,
                 bool *entry_has_prefix, const char *key, struct toml_value *v)
{
        if (strcmp(table, "") == 0 && strcmp(key, "unqualified-search-registries") == 0) {
                if (v->type != TOML_ARRAY)
                        return type_fail(t, key, "an array of strings");
                strv_free(c->search);
                c->search = steal_pointer(&v->array);
                return 0;
        }
        if (strcmp(table, "aliases") == 0) {
                size_t i;
                if (v->type != TOML_STRING)
                        return type_fail(t, key, "a string (the fully qualified name)");
                if (!reference_is_qualified(v->str))
                        return berth_failf(t->err, EINVAL, "%s:%d: alias %s: %s is not a fully qualified name", t->what,
                                           t->line, key, v->str);
                /* A later file's alias for the same name replaces the earlier one. */
                for (i = 0; c->alias_names != NULL && c->alias_names[i] != NULL; i++)
                        if (strcmp(c->alias_names[i], key) == 0)
                                break;
                if (c->alias_names != NULL && c->alias_names[i] != NULL) {
                        free(c->alias_values[i]);
                        c->alias_values[i] = steal_pointer(&v->str);
                } else {
                        c->alias_names = strv_append(c->alias_names, key);
                        c->alias_values = strv_append(c->alias_values, v->str);
                }
                return 0;
        }
        if (strcmp(table, "registry.mirror") == 0 && entry != NULL && entry->n_mirrors > 0) {
                struct registry_mirror *m = &entry->mirrors[entry->n_mirrors - 1];
                if (strcmp(key, "insecure") == 0) {
                        if (v->type != TOML_BOOL)
                                return type_fail(t, key, "a boolean");
                        m->insecure = v->b;
                } else if (strcmp(key, "location") == 0) {
                        if (v->type != TOML_STRING)
                                return type_fail(t, key, "a string");
                        free(m->location);
                        m->location = steal_pointer(&v->str);
                }
                return 0;
        }
        if (strcmp(table, "registry") == 0 && entry != NULL) {
                if (strcmp(key, "insecure") == 0) {
                        if (v->type != TOML_BOOL)
                                return type_fail(t, key, "a boolean");
                        entry->insecure = v->b;
                } else if (strcmp(key, "location") == 0 || strcmp(key, "prefix") == 0) {
                        if (v->type != TOML_STRING)
                                return type_fail(t, key, "a string");
                        /* podman matches names against prefix (default: location); berth does not rewrite names
                         * to another location (mirrors), so the matching key is all it needs. */
                        if (strcmp(key, "prefix") == 0 || !*entry_has_prefix) {
                                free(entry->location);
                                entry->location = steal_pointer(&v->str);
                                if (strcmp(key, "prefix") == 0)
                                        *entry_has_prefix = true;
                        }
                }
                return 0;
        }
        /* Version 1 of the format: [registries.search] / [registries.insecure] registries = [...] */
        if (strcmp(key, "registries") == 0 && (strcmp(table, "registries.search") == 0 || strcmp(table, "registries.insecure") == 0)) {
                if (v->type != TOML_ARRAY)
                        return type_fail(t, key, "an array of strings");
                if (strcmp(table, "registries.search") == 0) {
                        strv_free(c->search);
                        c->search = steal_pointer(&v->array);
                } else {
                        add_insecure_v1(c, v->array);
                }
        }
        return 0;
}

int registries_conf_parse(const char *what, const char *text, struct registries_conf *c, berth_error *err)
{
        struct toml_parser t = {.what = what, .p = text, .line = 1, .err = err};
        cleanup_free char *table = xstrdup("");
        ssize_t entry = -1;
        bool entry_has_prefix = false;
        int r;

        for (;;) {
                skip_blank(&t, true);
                if (*t.p == '\0')
                        break;
                if (*t.p == '[') {
                        bool array = t.p[1] == '[';
                        char *name = NULL;
                        t.p += array ? 2 : 1;
                        if ((r = parse_key(&t, &name)) < 0)
                                return r;
                        if (*t.p != ']' || (array && t.p[1] != ']')) {
                                free(name);
                                return toml_fail(&t, "expected ']' after the table name");
                        }
                        t.p += array ? 2 : 1;
                        free(table);
                        table = name;
                        entry = -1;
                        if (array && strcmp(table, "registry") == 0) {
                                add_entry(c);
                                entry = (ssize_t) c->n - 1;
                                entry_has_prefix = false;
                        } else if (array && strcmp(table, "registry.mirror") == 0) {
                                struct registry_entry *owner;
                                if (c->n == 0)
                                        return toml_fail(&t, "[[registry.mirror]] before any [[registry]]");
                                owner = &c->entries[c->n - 1];
                                owner->mirrors = xrealloc(owner->mirrors, (owner->n_mirrors + 1) * sizeof(*owner->mirrors));
                                memset(&owner->mirrors[owner->n_mirrors++], 0, sizeof(owner->mirrors[0]));
                                entry = (ssize_t) c->n - 1;
                        }
                } else {
                        cleanup_free char *key = NULL;
                        struct toml_value v;
                        if ((r = parse_key(&t, &key)) < 0)
                                return r;
                        if (*t.p != '=')
                                return toml_fail(&t, "expected '=' after the key");
                        t.p++;
                        if ((r = parse_value(&t, &v)) < 0)
                                return r;
                        r = apply(&t, c, table, entry >= 0 ? &c->entries[entry] : NULL, &entry_has_prefix, key, &v);
                        toml_value_clear(&v);
                        if (r < 0)
                                return r;
                }
                skip_blank(&t, false);
                if (*t.p != '\0' && *t.p != '\n')
                        return toml_fail(&t, "unexpected text after the value");
        }
        /* A mirror without a location stands for nothing: refused (a pull would silently skip it). */
        for (size_t i = 0; i < c->n; i++)
                for (size_t m = 0; m < c->entries[i].n_mirrors; m++)
                        if (c->entries[i].mirrors[m].location == NULL || c->entries[i].mirrors[m].location[0] == '\0')
                                return berth_failf(err, EINVAL, "%s: a [[registry.mirror]] of %s has no location", what,
                                                   c->entries[i].location ? c->entries[i].location : "(no location)");
        /* A [[registry]] without a location matches nothing: drop it. */
        for (size_t i = 0; i < c->n;) {
                if (c->entries[i].location == NULL || c->entries[i].location[0] == '\0') {
                        for (size_t m = 0; m < c->entries[i].n_mirrors; m++)
                                free(c->entries[i].mirrors[m].location);
                        free(c->entries[i].mirrors);
                        free(c->entries[i].location);
                        memmove(&c->entries[i], &c->entries[i + 1], (c->n - i - 1) * sizeof(c->entries[0]));
                        c->n--;
                } else {
                        i++;
                }
        }
        return 0;
}

static int load_one(const char *path, struct registries_conf *c, berth_error *err)
{
        cleanup_free char *text = NULL;
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "open %s", path);
        r = read_fd(fd, path, &text, &len, err);
        close(fd);
        if (r < 0)
                return r;
        if (strlen(text) != len)
                return berth_failf(err, EINVAL, "%s: NUL byte in the file", path);
        return registries_conf_parse(path, text, c, err);
}

int registries_conf_load(const char *store_root, struct registries_conf *c, berth_error *err)
{
        const char *env = getenv("BERTH_REGISTRIES_CONF");
        int r;

        memset(c, 0, sizeof(*c));
        if (env != NULL && *env != '\0')
                return load_one(env, c, err);
        if ((r = load_one(REGCONF_SYSTEM_PATH, c, err)) < 0)
                return r;
        if (store_root != NULL) {
                cleanup_free char *path = xasprintf("%s/registries.conf", store_root);
                return load_one(path, c, err);
        }
        return 0;
}

static bool location_matches(const char *location, const char *repository, size_t *len)
{
        size_t n = strlen(location);

        while (n > 0 && location[n - 1] == '/')
                n--;
        if (str_has_prefix(location, "*.")) {
                /* "*.example.com" matches any subdomain of example.com (and repositories on it). */
                const char *slash = strchr(repository, '/');
                size_t host_len = slash ? (size_t) (slash - repository) : strlen(repository);
                size_t suffix = n - 1; /* ".example.com" */
                if (host_len > suffix && strncmp(repository + host_len - suffix, location + 1, suffix) == 0) {
                        *len = n;
                        return true;
                }
                return false;
        }
        if (strncmp(repository, location, n) == 0 && (repository[n] == '\0' || repository[n] == '/')) {
                *len = n;
                return true;
        }
        return false;
}

const struct registry_entry *registries_conf_find(const struct registries_conf *c, const char *repository)
{
        const struct registry_entry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < c->n; i++) {
                size_t len = 0;
                /* Equal lengths: the later entry (from the later file) wins. */
                if (location_matches(c->entries[i].location, repository, &len) && (best == NULL || len >= best_len)) {
                        best = &c->entries[i];
                        best_len = len;
                }
        }
        return best;
}

bool reference_is_qualified(const char *name)
{
        const char *slash = strchr(name, '/');
        size_t n;

        if (slash == NULL)
                return false;
        n = (size_t) (slash - name);
        if (memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && strncmp(name, "localhost", 9) == 0))
                return true;
        /* docker also takes a first component with an uppercase letter as a domain (a path never has one). */
        for (size_t i = 0; i < n; i++)
                if (isupper((unsigned char) name[i]))
                        return true;
        return false;
}

const char *registries_conf_alias(const struct registries_conf *c, const char *short_name)
{
        for (size_t i = 0; c->alias_names != NULL && c->alias_names[i] != NULL; i++)
                if (strcmp(c->alias_names[i], short_name) == 0)
                        return c->alias_values[i];
        return NULL;
}
