/* The classic bad inputs, aimed at every parser of untrusted input (issue 15; the fuzz harnesses of
 * tests/fuzz find the others): nesting deeper than jansson allows, integers past INT64_MAX (Go writes
 * uint64 values up to UINT64_MAX: docker's "swappiness not set" is (uint64)-1), invalid UTF-8 and NUL bytes.
 * Each must give a one-line error naming the input, or be read as Go would read it: never a crash, a
 * truncated value or a silently different document. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/request.h"
#include "cli/berth/format.h"
#include "engine/create.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "registry/challenge.h"
#include "registry/errors.h"
#include "registry/remote.h"
#include "registry/session.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"
#include "runtime/seccomp_profile.h"
#include "runtime/spec.h"

#define UINT64_MAX_TEXT "18446744073709551615"

/* A document of depth levels: [[[...0...]]] */
static char *nested(size_t depth, size_t *len)
{
        char *s = xmalloc(2 * depth + 2);

        memset(s, '[', depth);
        s[depth] = '0';
        memset(s + depth + 1, ']', depth);
        s[2 * depth + 1] = '\0';
        *len = 2 * depth + 1;
        return s;
}

static void expect_json_error(const char *text, size_t len, const char *message_part)
{
        berth_error err = {0};
        json_t *j = json_load_text("input", text, len, &err);

        assert_null(j);
        if (strstr(berth_error_message(&err), message_part) == NULL)
                fail_msg("\"%s\" does not say \"%s\"", berth_error_message(&err), message_part);
        assert_null(strchr(berth_error_message(&err), '\n'));
        berth_error_clear(&err);
}

static void test_deep_nesting(void **state)
{
        size_t len;
        char *deep = nested(100000, &len);
        berth_error err = {0};
        json_t *j;

        /* jansson stops at JSON_PARSER_MAX_DEPTH (2048) instead of running out of stack. */
        expect_json_error(deep, len, "maximum parsing depth");
        free(deep);
        /* Just under the limit: parsed, and the parsers walking the document do not recurse over it. */
        deep = nested(2000, &len);
        j = json_load_text("input", deep, len, &err);
        assert_non_null(j);
        json_decref(j);
        free(deep);

        /* A deep value where a parser expects a scalar or an object is a type error naming the field. */
        {
                char *inner = nested(2000, &len);
                char *doc = xasprintf("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":%s}}", inner);
                struct runtime_spec *spec = NULL;
                j = json_load_text("config.json", doc, strlen(doc), &err);
                assert_non_null(j);
                assert_true(spec_parse(j, "/bundle", &spec, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "root.path: expected a string, got array"));
                berth_error_clear(&err);
                json_decref(j);
                free(doc);
                doc = xasprintf("{\"memory\":{\"limit\":%s}}", inner);
                struct cgroup_resources *r = NULL;
                j = json_load_text("resources", doc, strlen(doc), &err);
                assert_true(cgroup_resources_parse(j, &r, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "memory.limit: expected an integer"));
                berth_error_clear(&err);
                json_decref(j);
                free(doc);
                doc = xasprintf("{\"schemaVersion\":2,\"config\":%s,\"layers\":[]}", inner);
                struct image_manifest m = {0};
                assert_true(image_manifest_parse("manifest", doc, strlen(doc), &m, &err) < 0);
                berth_error_clear(&err);
                free(doc);
                free(inner);
        }
}

static void test_integers_past_int64(void **state)
{
        berth_error err = {0};
        json_t *j;
        uint64_t u = 0;
        int64_t i = 0;

        /* Go's uint64 max: read as UINT64_MAX, exactly. */
        j = json_load_text("input", "{\"v\":" UINT64_MAX_TEXT ",\"w\":9223372036854775808,\"s\":\"" UINT64_MAX_TEXT "\"}",
                           strlen("{\"v\":" UINT64_MAX_TEXT ",\"w\":9223372036854775808,\"s\":\"" UINT64_MAX_TEXT "\"}"),
                           &err);
        assert_non_null(j);
        assert_int_equal(json_field_u64(j, "", "v", true, &u, &err), 0);
        assert_true(u == UINT64_MAX);
        assert_int_equal(json_field_u64(j, "", "w", true, &u, &err), 0);
        assert_true(u == 9223372036854775808ull);
        /* Strings that look like numbers are left alone. */
        assert_string_equal(json_string_value(json_object_get(j, "s")), UINT64_MAX_TEXT);
        /* Past INT64_MAX is no int64. */
        assert_true(json_field_i64(j, "x", "v", true, &i, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "x.v: expected an integer, got number"));
        berth_error_clear(&err);
        json_decref(j);

        /* Past UINT64_MAX, or below INT64_MIN: refused, as Go refuses them, naming the value. */
        expect_json_error("{\"v\":18446744073709551616}", strlen("{\"v\":18446744073709551616}"), "too big integer");
        expect_json_error("{\"v\":-9223372036854775809}", strlen("{\"v\":-9223372036854775809}"),
                          "too big negative integer");
        expect_json_error("[" UINT64_MAX_TEXT ",99999999999999999999]", strlen("[" UINT64_MAX_TEXT ",99999999999999999999]"),
                          "too big integer");
        /* A real that rounds to 2^64 from above the range, a negative or a fraction: no uint64. */
        j = json_load_text("input", "{\"a\":1.9e19,\"b\":-1.0,\"c\":1.5}", strlen("{\"a\":1.9e19,\"b\":-1.0,\"c\":1.5}"), &err);
        assert_non_null(j);
        assert_true(json_field_u64(j, "", "a", true, &u, &err) < 0);
        berth_error_clear(&err);
        assert_true(json_field_u64(j, "", "b", true, &u, &err) < 0);
        berth_error_clear(&err);
        assert_true(json_field_u64(j, "", "c", true, &u, &err) < 0);
        berth_error_clear(&err);
        json_decref(j);
}

/* docker's swappiness -1 as runc-era tools write it, through config.json on disk as create reads it. */
static void test_swappiness_uint64_minus_one(void **state)
{
        char dir[] = "/tmp/berth-unit-badinput-XXXXXX";
        const char *config = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":"
                             "{\"memory\":{\"limit\":67108864,\"swappiness\":" UINT64_MAX_TEXT "}}}}";
        struct runtime_spec *spec = NULL;
        struct cgroup_resources *r = NULL;
        berth_error err = {0};
        int fd;

        assert_non_null(mkdtemp(dir));
        fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
        assert_true(fd >= 0);
        assert_int_equal(mkdirat(fd, "rootfs", 0755), 0);
        close(fd);
        {
                cleanup_free char *path = xasprintf("%s/config.json", dir);
                FILE *f = fopen(path, "w");
                assert_non_null(f);
                fputs(config, f);
                fclose(f);
                if (spec_load(dir, &spec, &err) < 0)
                        fail_msg("%s", berth_error_message(&err));
                assert_int_equal(cgroup_resources_parse(spec->linux_section.resources, &r, &err), 0);
                assert_true(r->memory.has_limit);
                assert_false(r->memory.has_swappiness); /* -1: not set, the kernel's default stays */
                cgroup_resources_free(r);
                spec_free(spec);
                /* The same through json_load_path (the engine's and the state's reader). */
                json_t *j = json_load_path(path, &err);
                assert_non_null(j);
                json_decref(j);
                unlink(path);
        }
        {
                cleanup_free char *rootfs = xasprintf("%s/rootfs", dir);
                rmdir(rootfs);
                rmdir(dir);
        }
        /* 60 is still 60, and 101 or 2^64 + 1 still fail. */
        {
                json_t *j = json_loads("{\"memory\":{\"swappiness\":60}}", 0, NULL);
                assert_int_equal(cgroup_resources_parse(j, &r, &err), 0);
                assert_true(r->memory.has_swappiness);
                assert_int_equal(r->memory.swappiness, 60);
                cgroup_resources_free(r);
                json_decref(j);
        }
}

static void test_invalid_utf8(void **state)
{
        static const char bad[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"root\xff\xfe\"}}";
        static const char overlong[] = "{\"k\":\"\xc0\xaf\"}"; /* "/" as an overlong sequence */
        static const char surrogate[] = "{\"k\":\"\xed\xa0\x80\"}"; /* U+D800, not a character */
        static const char lone_escape[] = "{\"k\":\"\\ud800\"}";
        berth_error err = {0};
        struct image_manifest m = {0};
        struct image_index ix = {0};
        struct image_config c = {0};
        struct image_ref ref = {0};
        struct auth_challenge ch = {0};

        expect_json_error(bad, strlen(bad), "unable to decode byte 0xff");
        expect_json_error(overlong, strlen(overlong), "unable to decode byte 0xc0");
        expect_json_error(surrogate, strlen(surrogate), "unable to decode byte 0xed");
        expect_json_error(lone_escape, strlen(lone_escape), "invalid Unicode");

        /* The image parsers and the registry's answers go through the same decoder. */
        assert_true(image_manifest_parse("manifest", bad, strlen(bad), &m, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "manifest:"));
        berth_error_clear(&err);
        assert_true(image_index_parse("index", bad, strlen(bad), &ix, &err) < 0);
        berth_error_clear(&err);
        assert_true(image_config_parse("config", bad, strlen(bad), &c, &err) < 0);
        berth_error_clear(&err);
        {
                char body[] = "{\"token\":\"t\xff\"}";
                struct http_response resp = {.status = 200, .body = body, .body_len = strlen(body)};
                char *token = NULL, *refresh = NULL;
                int64_t expires = 0;
                assert_true(registry_token_parse("https://auth/token", &resp, &token, &expires, &refresh, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "not a JSON object"));
                berth_error_clear(&err);
                assert_null(token);
        }
        {
                char body[] = "{\"errors\":[{\"code\":\"DENIED\xff\",\"message\":\"x\"}]}";
                struct http_response resp = {.status = 403, .body = body, .body_len = strlen(body)};
                char *code = registry_error_code(&resp);
                assert_null(code);
        }
        /* References are ASCII: a byte past it is docker's "invalid reference format". */
        assert_true(image_ref_parse("busybox\xff", true, &ref, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "invalid reference format"));
        berth_error_clear(&err);
        assert_true(image_ref_parse("busybox:\xc3\xa9t\xc3\xa9", true, &ref, &err) < 0);
        berth_error_clear(&err);
        assert_false(reference_tag_is_valid("v\xff"));
        /* A challenge's parameters are opaque bytes handed back to the token server: kept as they came. */
        assert_int_equal(auth_challenge_parse("Bearer realm=\"https://a/t\",service=\"s\xff\"", &ch), 0);
        assert_string_equal(ch.service, "s\xff");
        auth_challenge_clear(&ch);
        /* Templates pass bytes through. */
        {
                json_t *obj = json_pack("{s:s}", "ID", "abc");
                char *out = NULL;
                assert_int_equal(template_render("\xff{{.ID}}\xfe", obj, &out, &err), 0);
                assert_string_equal(out, "\xff" "abc\xfe");
                free(out);
                json_decref(obj);
        }
        /* index: a map by a quoted key (dots inside), a slice by number; a missing key "", bad uses refused. */
        {
                json_t *obj = json_pack("{s:{s:s},s:[s,s]}", "Labels", "a.b", "x", "Cmd", "sh", "-c");
                char *out = NULL;
                assert_int_equal(template_render("{{index .Labels \"a.b\"}}|{{index .Cmd 1}}|{{index .Labels \"no\"}}|", obj,
                                                 &out, &err), 0);
                assert_string_equal(out, "x|-c||");
                free(out);
                assert_true(template_render("{{index .Cmd 9}}", obj, &out, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "index out of range"));
                berth_error_clear(&err);
                assert_true(template_render("{{index .Labels}}", obj, &out, &err) < 0);
                berth_error_clear(&err);
                assert_true(template_render("{{index .Cmd \"x\"}}", obj, &out, &err) < 0);
                berth_error_clear(&err);
                json_decref(obj);
        }
}

static void test_nul_bytes(void **state)
{
        static const char raw[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"ro\0otfs\"}}";
        static const char escaped[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"ro\\u0000otfs\"}}";
        static const char after[] = "{\"a\":1}\0{\"b\":2}";
        berth_error err = {0};
        struct image_manifest m = {0};

        /* A NUL byte in the text, or \u0000 in a string (a C string would end there: "rootfs" would become
         * "ro"): refused. */
        expect_json_error(raw, sizeof(raw) - 1, "control character 0x0");
        expect_json_error(escaped, sizeof(escaped) - 1, "\\u0000 is not allowed");
        expect_json_error(after, sizeof(after) - 1, "end of file expected");
        assert_true(image_manifest_parse("manifest", escaped, sizeof(escaped) - 1, &m, &err) < 0);
        berth_error_clear(&err);
        {
                struct seccomp_profile *p = NULL;
                static const char prof[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\\u0000x\"],"
                                           "\"action\":\"SCMP_ACT_ERRNO\"}]}";
                json_t *j = json_load_text("seccomp", prof, sizeof(prof) - 1, &err);
                assert_null(j);
                assert_non_null(strstr(berth_error_message(&err), "\\u0000 is not allowed"));
                berth_error_clear(&err);
                (void) p;
        }
        {
                char body[] = "{\"token\":\"a\\u0000b\"}";
                struct http_response resp = {.status = 200, .body = body, .body_len = strlen(body)};
                char *token = NULL, *refresh = NULL;
                int64_t expires = 0;
                assert_true(registry_token_parse("https://auth/token", &resp, &token, &expires, &refresh, &err) < 0);
                berth_error_clear(&err);
        }
        /* A Link header cut at a NUL (curl hands header lines over as they came): no URL from half of it. */
        assert_null(remote_next_link("</v2/x/tags/list?n=1; rel=\"next\""));
        assert_null(remote_next_link("</v2/x/tags/list?n=1>; rel=\"nex"));
}

/* The Docker API's request decoding (src/api/request.c) and the engine's checks of a create body: each
 * classic case gives one line and no request half-decoded. */
static int decode_and_check(const char *body_text, berth_error *err)
{
        struct engine_create_request cr;
        json_t *config = NULL, *host_config = NULL;
        json_t *body = json_load_text("the request body", body_text, strlen(body_text), err);
        int r;

        if (body == NULL)
                return -EINVAL;
        r = api_create_request_decode(body, NULL, &cr, &config, err);
        if (r == 0)
                r = engine_create_request_check(&cr, &host_config, err);
        json_decref(host_config);
        json_decref(config);
        json_decref(body);
        return r;
}

static void expect_filters_refused(const char *text)
{
        berth_error err = {0};
        char **kv = NULL;

        assert_int_equal(api_filters_decode(text, &kv, &err), -EINVAL);
        assert_null(kv);
        assert_non_null(strstr(berth_error_message(&err), "invalid filter"));
        berth_error_clear(&err);
}

static void test_api_requests(void **state)
{
        berth_error err = {0};
        const char *rest = NULL;
        unsigned minor = 0;
        size_t len;
        char *deep = nested(3000, &len);
        char *doc;

        /* Nesting past jansson's depth: in the filters, in the body. */
        doc = xasprintf("{\"label\":%s}", deep);
        expect_filters_refused(doc);
        free(doc);
        doc = xasprintf("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":%s}}", deep);
        assert_true(decode_and_check(doc, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "maximum parsing depth"));
        berth_error_clear(&err);
        free(doc);
        free(deep);
        /* Just under it, where a number belongs: a type error. */
        deep = nested(2000, &len);
        doc = xasprintf("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":%s}}", deep);
        assert_true(decode_and_check(doc, &err) < 0);
        assert_null(strchr(berth_error_message(&err), '\n'));
        berth_error_clear(&err);
        free(doc);
        free(deep);

        /* Integers past INT64_MAX, and a version number past 32 bits (1.4294967346 is not 1.50). */
        assert_true(decode_and_check("{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":" UINT64_MAX_TEXT "0}}", &err) < 0);
        berth_error_clear(&err);
        assert_true(decode_and_check("{\"Image\":\"busybox\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"on-failure\","
                                     "\"MaximumRetryCount\":-" UINT64_MAX_TEXT "}}}", &err) < 0);
        berth_error_clear(&err);
        assert_int_equal(api_parse_version("/v1.4294967346/containers/json", &minor, &rest, &err), 0);
        assert_int_equal(minor, API_VERSION_MAX_MINOR);
        assert_string_equal(rest, "v1.4294967346/containers/json"); /* no version: a path no route has */
        assert_true(api_parse_version("/v1.51/info", &minor, &rest, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "too new"));
        berth_error_clear(&err);
        assert_true(api_parse_version("/v1.23/info", &minor, &rest, &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "too old"));
        berth_error_clear(&err);
        assert_int_equal(api_parse_version("/v1.24/info", &minor, &rest, &err), 0);
        assert_int_equal(minor, 24);
        assert_string_equal(rest, "/info");

        /* Invalid UTF-8 and NUL bytes. */
        expect_filters_refused("{\"label\":[\"a\xff\"]}");
        expect_filters_refused("{\"label\":[\"a\\u0000b\"]}");
        expect_filters_refused("{\"label\":[1]}");
        assert_true(decode_and_check("{\"Image\":\"busy\xff\"}", &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "unable to decode byte 0xff"));
        berth_error_clear(&err);
        assert_true(decode_and_check("{\"Image\":\"busybox\",\"WorkingDir\":\"/a\\u0000b\"}", &err) < 0);
        assert_non_null(strstr(berth_error_message(&err), "\\u0000 is not allowed"));
        berth_error_clear(&err);

        /* Not a create request at all: dockerd's words. */
        assert_true(decode_and_check("[]", &err) < 0);
        assert_string_equal(berth_error_message(&err), "config cannot be empty in order to create a container");
        berth_error_clear(&err);
        assert_true(decode_and_check("{\"Image\":7}", &err) < 0);
        assert_string_equal(berth_error_message(&err), "no image was given (Config.Image)");
        berth_error_clear(&err);
}

static int network_decode(const char *text, struct engine_network_create_options *o, json_t **body, berth_error *err)
{
        json_error_t jerr;

        *body = json_loads(text, 0, &jerr);
        assert_non_null(*body);
        return api_network_create_decode(*body, o, err);
}

/* POST /networks/create and connect bodies: wrong types and what berth's networks cannot be are refused with
 * one line; what they can be is decoded into the engine's options. */
static void test_api_network_bodies(void **state)
{
        static const char *const refused[] = {
                "[]", "{}", "{\"Name\":\"\"}", "{\"Name\":7}", "{\"Name\":\"n\",\"Internal\":\"yes\"}",
                "{\"Name\":\"n\",\"EnableIPv6\":true}", "{\"Name\":\"n\",\"EnableIPv4\":false}",
                "{\"Name\":\"n\",\"Ingress\":true}", "{\"Name\":\"n\",\"ConfigFrom\":{\"Network\":\"x\"}}",
                "{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"Subnet\":\"fd00::/64\"}]}}",
                "{\"Name\":\"n\",\"IPAM\":{\"Config\":[{},{}]}}", "{\"Name\":\"n\",\"IPAM\":{\"Config\":{}}}",
                "{\"Name\":\"n\",\"IPAM\":{\"Driver\":\"dhcp\"}}", "{\"Name\":\"n\",\"IPAM\":{\"Options\":{\"a\":\"b\"}}}",
                "{\"Name\":\"n\",\"IPAM\":{\"Config\":[{\"AuxiliaryAddresses\":{\"h\":\"10.0.0.5\"}}]}}",
                "{\"Name\":\"n\",\"Options\":{\"com.docker.network.driver.mtu\":\"1400\"}}",
                "{\"Name\":\"n\",\"Options\":{\"com.docker.network.bridge.name\":1}}", "{\"Name\":\"n\",\"Labels\":[]}",
                "{\"Name\":\"n\",\"Scope\":\"swarm\"}",
        };
        struct engine_network_create_options o;
        berth_error err = {0};
        const char *container, *ip;
        json_t *body;
        bool force;

        (void) state;
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                assert_true(network_decode(refused[i], &o, &body, &err) < 0);
                assert_null(strchr(berth_error_message(&err), '\n'));
                berth_error_clear(&err);
                json_decref(body);
        }
        /* What compose sends for a project's network. */
        assert_int_equal(network_decode("{\"Name\":\"p_default\",\"CheckDuplicate\":true,\"Driver\":\"bridge\",\"Scope\":\"\","
                                        "\"EnableIPv6\":null,\"IPAM\":{\"Driver\":\"\",\"Options\":null,\"Config\":null},"
                                        "\"Internal\":false,\"Attachable\":false,\"Ingress\":false,\"ConfigOnly\":false,"
                                        "\"ConfigFrom\":null,\"Options\":{},\"Labels\":{\"com.docker.compose.project\":\"p\"}}",
                                        &o, &body, &err), 0);
        assert_string_equal(o.name, "p_default");
        assert_string_equal(o.driver, "bridge");
        assert_null(o.subnet);
        assert_string_equal(json_string_value(json_object_get(o.labels, "com.docker.compose.project")), "p");
        json_decref(body);
        assert_int_equal(network_decode("{\"Name\":\"n\",\"Internal\":true,\"IPAM\":{\"Config\":[{\"Subnet\":\"10.9.0.0/24\","
                                        "\"Gateway\":\"10.9.0.254\",\"IPRange\":\"\"}]},\"Options\":"
                                        "{\"com.docker.network.bridge.name\":\"br9\"}}", &o, &body, &err), 0);
        assert_true(o.internal);
        assert_string_equal(o.subnet, "10.9.0.0/24");
        assert_string_equal(o.gateway, "10.9.0.254");
        assert_null(o.ip_range);
        assert_string_equal(o.bridge_name, "br9");
        json_decref(body);

        /* connect: the address asked for; what berth's connect cannot give is refused. */
        body = json_loads("{\"Container\":\"c1\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv4Address\":\"10.9.0.9\"}}}", 0, NULL);
        assert_int_equal(api_network_member_decode(body, true, &container, &ip, &force, &err), 0);
        assert_string_equal(container, "c1");
        assert_string_equal(ip, "10.9.0.9");
        json_decref(body);
        for (const char *const *t = (const char *const[]) {"{}", "{\"Container\":1}", "{\"Container\":\"c\",\"EndpointConfig\":[]}",
                                                          "{\"Container\":\"c\",\"EndpointConfig\":{\"Aliases\":[\"a\"]}}",
                                                          "{\"Container\":\"c\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv6Address\":\"fd00::2\"}}}",
                                                          NULL};
             *t; t++) {
                body = json_loads(*t, 0, NULL);
                assert_true(api_network_member_decode(body, true, &container, &ip, &force, &err) < 0);
                berth_error_clear(&err);
                json_decref(body);
        }
        body = json_loads("{\"Container\":\"c\",\"Force\":\"yes\"}", 0, NULL);
        assert_true(api_network_member_decode(body, false, &container, &ip, &force, &err) < 0);
        berth_error_clear(&err);
        json_decref(body);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_integers_past_int64),
                cmocka_unit_test(test_swappiness_uint64_minus_one),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_nul_bytes),
                cmocka_unit_test(test_api_requests),
                cmocka_unit_test(test_api_network_bodies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
