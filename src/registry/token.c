/* The token flow of the distribution spec (docs/spec/auth/token.md and oauth.md): a Bearer challenge names
 * a realm and a service; the client asks the realm for a token for a scope, with GET and Basic credentials
 * (or anonymously), or with POST and an OAuth2 grant (a refresh token saved by login, or the password when
 * a server only speaks OAuth2). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "registry/errors.h"
#include "lib/json.h"
#include "registry/session.h"
#include "lib/util.h"

#define TOKEN_CLIENT_ID "berth"
#define TOKEN_MIN_SECONDS 60 /* docker's floor for expires_in */
#define TOKEN_RESPONSE_MAX (1u << 20)

/* "a:b:pull b:c:push" -> "&scope=a%3Ab%3Apull&scope=b%3Ac%3Apush" */
static char *scope_query(const char *scope)
{
        char *out = xstrdup("");
        cleanup_free char *copy = xstrdup(scope ? scope : "");
        char *save = NULL;

        for (char *tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
                cleanup_free char *esc = http_query_escape(tok);
                char *more = xasprintf("%s&scope=%s", out, esc);
                free(out);
                out = more;
        }
        return out;
}

static void append_param(char **form, const char *name, const char *value)
{
        cleanup_free char *esc = http_query_escape(value);
        char *more = xasprintf("%s%s%s=%s", *form, **form ? "&" : "", name, esc);

        explicit_bzero(esc, strlen(esc));
        explicit_bzero(*form, strlen(*form));
        free(*form);
        *form = more;
}

static char *realm_base(const char *realm)
{
        const char *q = strchr(realm, '?');
        return q ? xstrndup(realm, (size_t) (q - realm)) : xstrdup(realm);
}

static int token_failure(struct registry_session *s, const char *method, const struct http_response *resp,
                         berth_error *err)
{
        cleanup_free char *base = realm_base(s->realm);
        cleanup_json json_t *j = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
        json_t *oauth = j ? json_object_get(j, "error") : NULL;
        cleanup_free char *text = NULL;

        if (json_is_string(oauth)) {
                /* OAuth2 error object (RFC 6749 5.2): {"error": "invalid_grant", "error_description": "..."} */
                json_t *d = json_object_get(j, "error_description");
                text = xasprintf("%s: %s", resp->status == 401 || resp->status == 400 ? "unauthorized" : "error",
                                 json_is_string(d) ? json_string_value(d) : json_string_value(oauth));
        } else {
                text = registry_error_text(resp);
        }
        return berth_failf(err, resp->status == 401 || resp->status == 403 ? EACCES : EIO, "%s \"%s\": %s", method,
                           base, text);
}

int registry_token_parse(const char *realm, const struct http_response *resp, char **token, int64_t *expires_in,
                         char **refresh_token, berth_error *err)
{
        cleanup_free char *base = realm_base(realm);
        cleanup_json json_t *j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
        json_t *t, *exp, *refresh;

        if (!json_is_object(j))
                return berth_failf(err, EPROTO, "token server %s: the response is not a JSON object", base);
        t = json_object_get(j, "token");
        if (!json_is_string(t) || json_string_length(t) == 0)
                t = json_object_get(j, "access_token");
        if (!json_is_string(t) || json_string_length(t) == 0)
                return berth_failf(err, EPROTO, "token server %s: no token in the response", base);
        exp = json_object_get(j, "expires_in");
        *expires_in = json_is_integer(exp) ? json_integer_value(exp) : TOKEN_MIN_SECONDS;
        if (*expires_in < TOKEN_MIN_SECONDS)
                *expires_in = TOKEN_MIN_SECONDS;
        *token = xstrdup(json_string_value(t));
        refresh = json_object_get(j, "refresh_token");
        if (refresh_token != NULL)
                *refresh_token = json_is_string(refresh) && json_string_length(refresh) > 0
                                         ? xstrdup(json_string_value(refresh))
                                         : NULL;
        /* The response holds secrets: wipe the copy in memory. */
        if (resp->body != NULL)
                explicit_bzero(resp->body, resp->body_len);
        return 0;
}

static int post_token(struct registry_session *s, const char *scope, bool offline, struct http_response *resp,
                      berth_error *err)
{
        static char *const headers[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
        char *form = xstrdup("");
        bool transport = false;
        int r;

        if (s->creds.identity_token != NULL) {
                append_param(&form, "grant_type", "refresh_token");
                append_param(&form, "refresh_token", s->creds.identity_token);
        } else {
                append_param(&form, "grant_type", "password");
                append_param(&form, "username", s->creds.username);
                append_param(&form, "password", s->creds.password);
        }
        if (s->service != NULL)
                append_param(&form, "service", s->service);
        if (scope != NULL && *scope != '\0')
                append_param(&form, "scope", scope);
        append_param(&form, "client_id", TOKEN_CLIENT_ID);
        if (offline)
                append_param(&form, "access_type", "offline");
        struct http_request req = {.method = "POST", .url = s->realm, .headers = headers, .body = form,
                                   .body_len = strlen(form), .max_body = TOKEN_RESPONSE_MAX};
        r = http_perform(s->http, &req, resp, &transport, err);
        explicit_bzero(form, strlen(form));
        free(form);
        return r;
}

static int get_token(struct registry_session *s, const char *scope, bool offline, struct http_response *resp,
                     berth_error *err)
{
        cleanup_free char *scopes = scope_query(scope);
        cleanup_free char *service = s->service ? http_query_escape(s->service) : NULL;
        cleanup_free char *account = s->creds.username ? http_query_escape(s->creds.username) : NULL;
        cleanup_free char *auth = NULL;
        cleanup_free char *url = NULL;
        bool transport = false;
        int r;

        url = xasprintf("%s%c%s%s%s%s%s%s", s->realm, strchr(s->realm, '?') ? '&' : '?', service ? "service=" : "",
                        service ? service : "", scopes, account ? "&account=" : "", account ? account : "",
                        offline ? "&offline_token=true&client_id=" TOKEN_CLIENT_ID : "");
        if (s->creds.username != NULL && s->creds.password != NULL) {
                cleanup_free char *plain = xasprintf("%s:%s", s->creds.username, s->creds.password);
                cleanup_free char *b64 = base64_encode(plain, strlen(plain));
                auth = xasprintf("Basic %s", b64);
                explicit_bzero(plain, strlen(plain));
                explicit_bzero(b64, strlen(b64));
        }
        struct http_request req = {.method = "GET", .url = url, .authorization = auth, .max_body = TOKEN_RESPONSE_MAX};
        r = http_perform(s->http, &req, resp, &transport, err);
        if (auth != NULL)
                explicit_bzero(auth, strlen(auth));
        return r;
}

int registry_token_fetch(struct registry_session *s, const char *scope, bool offline, char **token,
                         int64_t *expires_in, char **refresh_token, berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        const char *method = "Get";
        int r;

        if (refresh_token != NULL)
                *refresh_token = NULL;
        if (s->realm == NULL)
                return berth_failf(err, EPROTO, "%s: Bearer challenge without a realm", s->domain);
        if (!str_has_prefix(s->realm, "https://") && !str_has_prefix(s->realm, "http://"))
                return berth_failf(err, EPROTO, "%s: token realm is not an http(s) URL", s->domain);
        for (unsigned attempt = 1;; attempt++) {
                if (s->creds.identity_token != NULL) {
                        method = "Post";
                        r = post_token(s, scope, offline, &resp, err);
                } else {
                        method = "Get";
                        r = get_token(s, scope, offline, &resp, err);
                        /* A server that only implements OAuth2's POST (RFC 6749 4.3, password grant). */
                        if (r == 0 && (resp.status == 404 || resp.status == 405) && s->creds.username != NULL &&
                            s->creds.password != NULL) {
                                method = "Post";
                                r = post_token(s, scope, offline, &resp, err);
                        }
                }
                if (r < 0 || !registry_status_is_transient(resp.status) || attempt >= s->attempts)
                        break;
                if ((r = registry_sleep(s, registry_backoff(s, attempt), err)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (resp.status != 200)
                return token_failure(s, method, &resp, err);
        return registry_token_parse(s->realm, &resp, token, expires_in, refresh_token, err);
}
