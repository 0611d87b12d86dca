#include "registry/remote.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "registry/errors.h"
#include "lib/json.h"
#include "image/manifest.h"
#include "lib/util.h"

#define MEDIA_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static char *const ACCEPT[] = {
        "Accept: " MEDIA_OCI_INDEX ", " MEDIA_DOCKER_LIST ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_MANIFEST,
        NULL,
};

void remote_manifest_clear(struct remote_manifest *m)
{
        free(m->body);
        free(m->media_type);
        memset(m, 0, sizeof(*m));
}

static bool is_supported(const char *mt)
{
        return media_type_is_manifest(mt) || media_type_is_index(mt);
}

char *remote_sniff_media_type(const char *body, size_t len)
{
        cleanup_json json_t *j = json_loadb(body, len, 0, NULL);
        json_t *mt;

        if (!json_is_object(j))
                return NULL;
        mt = json_object_get(j, "mediaType");
        if (json_is_string(mt))
                return xstrdup(json_string_value(mt));
        if (json_is_array(json_object_get(j, "manifests")))
                return xstrdup(MEDIA_OCI_INDEX);
        if (json_is_object(json_object_get(j, "config")) && json_is_array(json_object_get(j, "layers")))
                return xstrdup(MEDIA_OCI_MANIFEST);
        if (json_is_array(json_object_get(j, "fsLayers")))
                return xstrdup(MEDIA_DOCKER_SCHEMA1);
        return NULL;
}

static char *content_type_base(const char *ct)
{
        const char *semi;

        if (ct == NULL)
                return NULL;
        semi = strchr(ct, ';');
        return semi ? xstrndup(ct, (size_t) (semi - ct)) : xstrdup(ct);
}

static bool is_generic(const char *ct)
{
        return ct == NULL || *ct == '\0' || strcmp(ct, "application/json") == 0 || strcmp(ct, "text/plain") == 0 ||
               strcmp(ct, "application/octet-stream") == 0;
}

static int unsupported(const char *mt, berth_error *err)
{
        if (strcmp(mt, MEDIA_DOCKER_SCHEMA1) == 0 || strcmp(mt, MEDIA_DOCKER_SCHEMA1_SIGNED) == 0)
                return berth_failf(err, ENOTSUP,
                                   "unsupported manifest media type %s: Docker Image manifest version 2, schema 1 is not supported",
                                   mt);
        return berth_failf(err, ENOTSUP, "unsupported manifest media type %s", mt);
}

/* The media type from Content-Type, checked against the document's own mediaType (OCI image-spec: they must
 * agree), or taken from the document when the server sent a generic type. */
static int media_type_of(const struct http_response *resp, char **out, berth_error *err)
{
        cleanup_free char *ct = content_type_base(resp->content_type);
        cleanup_free char *declared = remote_sniff_media_type(resp->body ? resp->body : "", resp->body_len);

        if (is_generic(ct)) {
                if (declared == NULL)
                        return berth_failf(err, ENOTSUP, "unsupported manifest: content type %s and no mediaType",
                                           ct && *ct ? ct : "(none)");
                ct = steal_pointer(&declared);
        }
        if (!is_supported(ct))
                return unsupported(ct, err);
        if (declared != NULL && strcmp(declared, ct) != 0 && !is_generic(declared))
                return berth_failf(err, EBADMSG, "manifest media type mismatch: the registry says %s, the document %s", ct,
                                   declared);
        *out = steal_pointer(&ct);
        return 0;
}

static char *familiar_reference(const struct image_ref *ref, const char *reference)
{
        cleanup_free char *repo = image_ref_familiar_repository(ref);
        return xasprintf("%s%c%s", repo, str_has_prefix(reference, "sha256:") ? '@' : ':', reference);
}

static int manifest_error(struct registry_session *s, const struct image_ref *ref, const char *reference,
                          const char *url, const struct http_response *resp, berth_error *err)
{
        cleanup_free char *text = registry_error_text(resp);
        cleanup_free char *code = registry_error_code(resp);
        cleanup_free char *name = familiar_reference(ref, reference);
        cleanup_free char *repo = image_ref_familiar_repository(ref);

        if (resp->status == 401 && s->auth == AUTH_SCHEME_BASIC && !registry_credentials_present(&s->creds))
                return berth_failf(err, EACCES, "Get \"%s\": no basic auth credentials", url);
        if (resp->status == 401 || resp->status == 403 || (code && strcmp(code, "NAME_UNKNOWN") == 0))
                return berth_failf(err, resp->status == 404 ? ENOENT : EACCES,
                                   "pull access denied for %s, repository does not exist or may require 'docker login': %s",
                                   repo, text);
        if (resp->status == 404)
                return berth_failf(err, ENOENT, "manifest for %s not found: %s", name, text);
        return berth_failf(err, EIO, "Get \"%s\": %s", url, text);
}

int remote_manifest_get(struct registry_session *s, const struct image_ref *ref, const char *reference, const char *scope,
                        struct remote_manifest *out, berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = registry_url(s, "/v2/%s/manifests/%s", ref->path, reference);
        struct registry_request rq = {.method = "GET", .url = url, .scope = scope, .headers = ACCEPT,
                                      .max_body = REMOTE_MANIFEST_MAX, .retry = true};
        int r;

        memset(out, 0, sizeof(*out));
        if ((r = registry_call(s, &rq, &resp, err)) < 0) {
                if (r == -EFBIG)
                        berth_error_prefix(err, "manifest for %s: ", reference);
                return r;
        }
        if (resp.status != 200)
                return manifest_error(s, ref, reference, url, &resp, err);
        digest_buffer(resp.body ? resp.body : "", resp.body_len, out->digest);
        /* Content addressing: a manifest asked for by digest must hash to it; one asked for by tag must hash
         * to the digest the registry announces for it. */
        if (str_has_prefix(reference, "sha256:") && strcmp(reference, out->digest) != 0)
                return berth_failf(err, EBADMSG, "manifest verification failed for digest %s: content has %s", reference,
                                   out->digest);
        if (resp.docker_digest != NULL && str_has_prefix(resp.docker_digest, "sha256:") &&
            strcmp(resp.docker_digest, out->digest) != 0)
                return berth_failf(err, EBADMSG, "manifest for %s: the registry announces digest %s, the content has %s",
                                   reference, resp.docker_digest, out->digest);
        if ((r = media_type_of(&resp, &out->media_type, err)) < 0) {
                cleanup_free char *name = familiar_reference(ref, reference);
                berth_error_prefix(err, "%s: ", name);
                return r;
        }
        out->body = steal_pointer(&resp.body);
        out->len = resp.body_len;
        if (out->body == NULL)
                out->body = xstrdup("");
        return 0;
}

/* Link: </v2/app/tags/list?last=x&n=100>; rel="next" */
char *remote_next_link(const char *link)
{
        const char *lt, *gt;

        if (link == NULL || strstr(link, "rel=\"next\"") == NULL)
                return NULL;
        lt = strchr(link, '<');
        gt = lt ? strchr(lt, '>') : NULL;
        return lt && gt ? xstrndup(lt + 1, (size_t) (gt - lt - 1)) : NULL;
}

int remote_tags_list(struct registry_session *s, const struct image_ref *ref, const char *scope, char ***tags,
                     berth_error *err)
{
        cleanup_free char *url = registry_url(s, "/v2/%s/tags/list", ref->path);
        cleanup_strv char **out = xzalloc(sizeof(char *));
        int r;

        for (int page = 0; url != NULL && page < 1000; page++) {
                cleanup_http_response struct http_response resp = {0};
                cleanup_json json_t *j = NULL;
                json_t *list;
                struct registry_request rq = {.method = "GET", .url = url, .scope = scope, .max_body = 16u << 20, .retry = true};

                if ((r = registry_call(s, &rq, &resp, err)) < 0)
                        return r;
                if (resp.status != 200)
                        return manifest_error(s, ref, "latest", url, &resp, err);
                j = json_load_text("tags list", resp.body ? resp.body : "", resp.body_len, err);
                if (j == NULL)
                        return -err->code;
                list = json_object_get(j, "tags");
                for (size_t i = 0; json_is_array(list) && i < json_array_size(list); i++) {
                        json_t *t = json_array_get(list, i);
                        if (json_is_string(t) && reference_tag_is_valid(json_string_value(t)))
                                out = strv_append(out, json_string_value(t));
                }
                cleanup_free char *next = remote_next_link(resp.link);
                free(url);
                url = next ? http_resolve_url(resp.url ? resp.url : s->base_url, next) : NULL;
        }
        *tags = steal_pointer(&out);
        return 0;
}
