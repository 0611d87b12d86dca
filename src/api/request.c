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

/* ---- /networks bodies ---- */

/* A field that is absent or null reads as its zero value; any other type than the one dockerd's struct has is
 * refused, as Go's decoder refuses it. */
int api_field_string(const json_t *obj, const char *where, const char *key, const char **out, berth_error *err)
{
        json_t *v = json_object_get(obj, key);

        *out = NULL;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return berth_failf(err, EINVAL, "%s.%s: expected a string", where, key);
        *out = json_string_value(v);
        return 0;
}

int api_field_bool(const json_t *obj, const char *where, const char *key, bool *out, berth_error *err)
{
        json_t *v = json_object_get(obj, key);

        *out = false;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return berth_failf(err, EINVAL, "%s.%s: expected a boolean", where, key);
        *out = json_is_true(v);
        return 0;
}

/* An object field, NULL when absent or null. */
static int field_object(const json_t *obj, const char *where, const char *key, json_t **out, berth_error *err)
{
        json_t *v = json_object_get(obj, key);

        *out = NULL;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return berth_failf(err, EINVAL, "%s.%s: expected an object", where, key);
        *out = v;
        return 0;
}

static int string_map_check(const json_t *map, const char *what, berth_error *err)
{
        const char *k;
        json_t *v;

        json_object_foreach((json_t *) map, k, v)
                if (!json_is_string(v))
                        return berth_failf(err, EINVAL, "%s[\"%s\"]: expected a string", what, k);
        return 0;
}

/* Whether a field holds something: a non-empty string, array or object, or true. */
static bool field_given(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        return (json_is_string(v) && *json_string_value(v) != '\0') || json_array_size(v) > 0 ||
               json_object_size(v) > 0 || json_is_true(v);
}

static int ipam_decode(const json_t *ipam, struct engine_network_create_options *o, berth_error *err)
{
        const char *driver;
        json_t *options, *configs = json_object_get(ipam, "Config"), *c;
        int r;

        if ((r = api_field_string(ipam, "IPAM", "Driver", &driver, err)) < 0 ||
            (r = field_object(ipam, "IPAM", "Options", &options, err)) < 0)
                return r;
        if (driver != NULL && *driver != '\0' && strcmp(driver, "default") != 0)
                return berth_failf(err, EINVAL, "IPAM driver %s is not supported (berth's is the default one)", driver);
        if (json_object_size(options) > 0)
                return berth_failf(err, EINVAL, "IPAM.Options are not supported by berth's default IPAM driver");
        if (configs == NULL || json_is_null(configs))
                return 0;
        if (!json_is_array(configs))
                return berth_failf(err, EINVAL, "IPAM.Config: expected an array");
        if (json_array_size(configs) > 1)
                return berth_failf(err, EINVAL, "IPAM.Config: berth networks have one IPv4 subnet, %zu were given",
                                   json_array_size(configs));
        if ((c = json_array_get(configs, 0)) == NULL)
                return 0;
        if (!json_is_object(c))
                return berth_failf(err, EINVAL, "IPAM.Config[0]: expected an object");
        if ((r = api_field_string(c, "IPAM.Config[0]", "Subnet", &o->subnet, err)) < 0 ||
            (r = api_field_string(c, "IPAM.Config[0]", "IPRange", &o->ip_range, err)) < 0 ||
            (r = api_field_string(c, "IPAM.Config[0]", "Gateway", &o->gateway, err)) < 0)
                return r;
        if (field_given(c, "AuxiliaryAddresses"))
                return berth_failf(err, EINVAL, "IPAM.Config[0].AuxiliaryAddresses are not supported by berth");
        /* Empty strings are docker's "not given". */
        if (o->subnet != NULL && *o->subnet == '\0')
                o->subnet = NULL;
        if (o->ip_range != NULL && *o->ip_range == '\0')
                o->ip_range = NULL;
        if (o->gateway != NULL && *o->gateway == '\0')
                o->gateway = NULL;
        if (o->subnet != NULL && strchr(o->subnet, ':') != NULL)
                return berth_failf(err, EINVAL, "IPv6 subnet %s: berth networks are IPv4 only", o->subnet);
        return 0;
}

int api_network_create_decode(const json_t *body, struct engine_network_create_options *o, berth_error *err)
{
        const char *scope, *key;
        bool internal, flag;
        json_t *ipam, *options, *labels, *v;
        int r;

        *o = (struct engine_network_create_options) {0};
        if (!json_is_object(body))
                return berth_failf(err, EINVAL, "the network's options must be a JSON object");
        if ((r = api_field_string(body, "NetworkCreateRequest", "Name", &o->name, err)) < 0)
                return r;
        if (o->name == NULL || *o->name == '\0')
                return berth_failf(err, EINVAL, "network name is required (Name)");
        if ((r = api_field_string(body, "NetworkCreateRequest", "Driver", &o->driver, err)) < 0 ||
            (r = api_field_string(body, "NetworkCreateRequest", "Scope", &scope, err)) < 0 ||
            (r = api_field_bool(body, "NetworkCreateRequest", "Internal", &internal, err)) < 0 ||
            (r = field_object(body, "NetworkCreateRequest", "IPAM", &ipam, err)) < 0 ||
            (r = field_object(body, "NetworkCreateRequest", "Options", &options, err)) < 0 ||
            (r = field_object(body, "NetworkCreateRequest", "Labels", &labels, err)) < 0)
                return r;
        if (o->driver != NULL && *o->driver == '\0')
                o->driver = NULL;
        o->internal = internal;
        if (scope != NULL && *scope != '\0' && strcmp(scope, "local") != 0)
                return berth_failf(err, EINVAL, "network scope %s is not supported (berth's networks are local)", scope);
        /* Swarm's and IPv6's fields: refused when they ask for something, never ignored. CheckDuplicate and
         * Attachable change nothing for a local network (a duplicate name is always refused; any container may
         * join a local network), as with dockerd. */
        for (const char *const *swarm = (const char *const[]) {"Ingress", "ConfigOnly", "EnableIPv6", NULL}; *swarm; swarm++) {
                if ((r = api_field_bool(body, "NetworkCreateRequest", *swarm, &flag, err)) < 0)
                        return r;
                if (flag)
                        return berth_failf(err, EINVAL, "%s networks are not supported by berth", *swarm);
        }
        if ((v = json_object_get(body, "EnableIPv4")) != NULL && json_is_false(v))
                return berth_failf(err, EINVAL, "EnableIPv4=false: berth networks are IPv4 networks");
        if (field_given(json_object_get(body, "ConfigFrom"), "Network"))
                return berth_failf(err, EINVAL, "ConfigFrom networks are not supported by berth");
        if (ipam != NULL && (r = ipam_decode(ipam, o, err)) < 0)
                return r;
        if (options != NULL) {
                if ((r = string_map_check(options, "Options", err)) < 0)
                        return r;
                json_object_foreach(options, key, v) {
                        if (strcmp(key, "com.docker.network.bridge.name") == 0)
                                o->bridge_name = json_string_value(v);
                        else
                                return berth_failf(err, EINVAL, "network option %s is not supported "
                                                   "(com.docker.network.bridge.name)", key);
                }
        }
        if (labels != NULL && (r = string_map_check(labels, "Labels", err)) < 0)
                return r;
        o->labels = labels;
        return 0;
}

int api_network_member_decode(const json_t *body, bool connect, const char **container, const char **ip, bool *force,
                              berth_error *err)
{
        const char *where = connect ? "NetworkConnectRequest" : "NetworkDisconnectRequest";
        json_t *endpoint, *ipam;
        int r;

        *ip = NULL;
        *force = false;
        if (!json_is_object(body))
                return berth_failf(err, EINVAL, "the request must be a JSON object with a Container");
        if ((r = api_field_string(body, where, "Container", container, err)) < 0)
                return r;
        if (*container == NULL || **container == '\0')
                return berth_failf(err, EINVAL, "%s: no Container was given", where);
        if (!connect)
                return api_field_bool(body, where, "Force", force, err);
        if ((r = field_object(body, where, "EndpointConfig", &endpoint, err)) < 0 || endpoint == NULL)
                return r;
        if ((r = field_object(endpoint, "EndpointConfig", "IPAMConfig", &ipam, err)) < 0 ||
            (ipam != NULL && (r = api_field_string(ipam, "EndpointConfig.IPAMConfig", "IPv4Address", ip, err)) < 0))
                return r;
        if (*ip != NULL && **ip == '\0')
                *ip = NULL;
        if (field_given(ipam, "IPv6Address") || field_given(ipam, "LinkLocalIPs"))
                return berth_failf(err, EINVAL, "EndpointConfig.IPAMConfig: berth networks are IPv4 only");
        /* What berth's connect cannot give yet is refused, not dropped. */
        for (const char *const *f = (const char *const[]) {"Aliases", "Links", "MacAddress", "DriverOpts", NULL}; *f; f++)
                if (field_given(endpoint, *f))
                        return berth_failf(err, EINVAL, "EndpointConfig.%s on connect is not supported by berth (give "
                                           "aliases and addresses at create)", *f);
        return 0;
}
