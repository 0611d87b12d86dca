/* Decoding a request (api/request.h): what the server reads from the URL, the query and the body before any
 * engine operation, with no libmicrohttpd in sight. */
#include "api/request.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"

/* A version number's part: 1 to 9 digits (no sign, no overflow: "1.4294967346" is not 1.50). */
static bool parse_version_number(const char **p, unsigned *out)
{
        unsigned value = 0;
        size_t digits = 0;

        while (**p >= '0' && **p <= '9') {
                if (++digits > 9)
                        return false;
                value = value * 10 + (unsigned) (**p - '0');
                (*p)++;
        }
        *out = value;
        return digits > 0;
}

int api_parse_version(const char *url, unsigned *minor, const char **rest, berth_error *err)
{
        const char *p = url, *q;
        unsigned major, asked;

        *minor = API_VERSION_MAX_MINOR;
        while (*p == '/')
                p++;
        q = p + 1;
        if (p[0] == 'v' && parse_version_number(&q, &major) && *q++ == '.' && parse_version_number(&q, &asked) &&
            (*q == '/' || *q == '\0')) {
                if (major != 1 || asked > API_VERSION_MAX_MINOR)
                        return berth_failf(err, EINVAL,
                                           "client version %u.%u is too new. Maximum supported API version is " API_VERSION_MAX,
                                           major, asked);
                if (asked < API_VERSION_MIN_MINOR)
                        return berth_failf(err, EINVAL,
                                           "client version %u.%u is too old. Minimum supported API version is " API_VERSION_MIN
                                           ", please upgrade your client to a newer version",
                                           major, asked);
                *minor = asked;
                p = q;
        }
        *rest = p;
        return 0;
}

char **api_split_path(const char *path, size_t *n_parts)
{
        cleanup_free char *copy = xstrdup(path);
        char **parts = xzalloc(sizeof(char *));
        char *save = NULL;
        size_t n = 0;

        for (char *t = strtok_r(copy, "/", &save); t != NULL; t = strtok_r(NULL, "/", &save)) {
                parts = xrealloc(parts, (n + 2) * sizeof(char *));
                parts[n++] = xstrdup(t);
                parts[n] = NULL;
        }
        *n_parts = n;
        return parts;
}

static bool part_matches(const char *pattern_part, const char *part)
{
        return strcmp(pattern_part, "*") == 0 || strcmp(pattern_part, part) == 0;
}

bool api_route_match(const char *pattern, char *const *parts, size_t n_parts, char **name)
{
        size_t n = 0, star = SIZE_MAX, tail;
        cleanup_strv char **pat = api_split_path(pattern, &n);
        char *joined;

        for (size_t i = 0; i < n; i++)
                if (strcmp(pat[i], "**") == 0)
                        star = i;
        if (star == SIZE_MAX) {
                if (n != n_parts)
                        return false;
                for (size_t i = 0; i < n; i++)
                        if (!part_matches(pat[i], parts[i]))
                                return false;
                return true;
        }
        tail = n - star - 1;
        if (n_parts < n)
                return false;
        for (size_t i = 0; i < star; i++)
                if (!part_matches(pat[i], parts[i]))
                        return false;
        for (size_t i = 0; i < tail; i++)
                if (strcmp(pat[star + 1 + i], parts[n_parts - tail + i]) != 0)
                        return false;
        joined = xstrdup(parts[star]);
        for (size_t i = star + 1; i < n_parts - tail; i++) {
                char *longer = xasprintf("%s/%s", joined, parts[i]);
                free(joined);
                joined = longer;
        }
        free(*name);
        *name = joined;
        return true;
}

int api_filters_decode(const char *text, char ***out, berth_error *err)
{
        cleanup_json json_t *f = NULL;
        cleanup_strv char **v = NULL;
        const char *key;
        json_t *vals;

        *out = NULL;
        if (text == NULL || *text == '\0')
                return 0;
        f = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!json_is_object(f))
                return berth_failf(err, EINVAL, "invalid filter: %s", text);
        v = xzalloc(sizeof(char *));
        json_object_foreach(f, key, vals) {
                size_t i;
                json_t *x;
                const char *val;
                if (json_is_array(vals)) {
                        json_array_foreach(vals, i, x) {
                                if (!json_is_string(x))
                                        return berth_failf(err, EINVAL, "invalid filter: %s", text);
                                cleanup_free char *kv = xasprintf("%s=%s", key, json_string_value(x));
                                v = strv_append(v, kv);
                        }
                } else if (json_is_object(vals)) {
                        json_object_foreach(vals, val, x) {
                                cleanup_free char *kv = xasprintf("%s=%s", key, val);
                                if (json_is_true(x))
                                        v = strv_append(v, kv);
                        }
                } else {
                        return berth_failf(err, EINVAL, "invalid filter: %s", text);
                }
        }
        *out = steal_pointer(&v);
        return 0;
}

int api_create_request_decode(json_t *body, const char *name, struct engine_create_request *cr, json_t **config,
                              berth_error *err)
{
        json_t *only_config;

        *config = NULL;
        if (!json_is_object(body))
                return berth_failf(err, EINVAL, "config cannot be empty in order to create a container");
        only_config = json_deep_copy(body);
        json_object_del(only_config, "HostConfig");
        json_object_del(only_config, "NetworkingConfig");
        *cr = (struct engine_create_request) {0};
        cr->image = json_string_value(json_object_get(only_config, "Image"));
        if (cr->image == NULL || *cr->image == '\0') {
                json_decref(only_config);
                return berth_failf(err, EINVAL, "no image was given (Config.Image)");
        }
        cr->name = name != NULL && *name != '\0' ? name : NULL;
        cr->config = only_config;
        cr->host_config = json_object_get(body, "HostConfig");
        if (cr->host_config != NULL && !json_is_object(cr->host_config))
                cr->host_config = NULL;
        cr->networking_config = json_object_get(body, "NetworkingConfig");
        *config = only_config;
        return 0;
}
