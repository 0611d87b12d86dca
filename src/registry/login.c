/* docker login / logout: credentials are checked against the registry the way a pull would use them (Basic
 * on /v2/, or a token from the realm with offline access, whose refresh token is then saved instead of
 * the password, as docker saves an identity token), then written to the auth file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/authfile.h"
#include "lib/cleanup.h"
#include "registry/errors.h"
#include "registry/registry.h"
#include "registry/session.h"
#include "lib/util.h"

char *registry_server_domain(const char *server)
{
        const char *p = server;
        const char *slash;

        if (server == NULL || *server == '\0')
                return xstrdup("docker.io");
        if (str_has_prefix(p, "https://"))
                p += 8;
        else if (str_has_prefix(p, "http://"))
                p += 7;
        slash = strchr(p, '/');
        char *d = slash ? xstrndup(p, (size_t) (slash - p)) : xstrdup(p);
        if (strcmp(d, "index.docker.io") == 0 || strcmp(d, "registry-1.docker.io") == 0) {
                free(d);
                d = xstrdup("docker.io");
        }
        return d;
}

static void free_secret(char *s)
{
        if (s != NULL) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* GET /v2/ with an Authorization header: 200 means the registry accepts it. */
static int check_v2(struct registry_session *s, const char *authorization, berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = registry_url(s, "/v2/");
        struct http_request req = {.method = "GET", .url = url, .authorization = authorization, .max_body = 1 << 20};
        bool transport = false;
        int r;

        if ((r = http_perform(s->http, &req, &resp, &transport, err)) < 0)
                return r;
        if (resp.status == 200)
                return 0;
        cleanup_free char *text = registry_error_text(&resp);
        return berth_failf(err, resp.status == 401 || resp.status == 403 ? EACCES : EPROTO, "Get \"%s\": %s", url, text);
}

static int verify_bearer(struct registry_session *s, char **refresh, berth_error *err)
{
        char *token = NULL, *auth = NULL;
        int64_t expires = 0;
        int r;

        /* No scope: a login only proves who we are (docker asks the same). */
        if ((r = registry_token_fetch(s, NULL, true, &token, &expires, refresh, err)) < 0)
                return r;
        auth = xasprintf("Bearer %s", token);
        r = check_v2(s, auth, err);
        free_secret(auth);
        free_secret(token);
        return r;
}

static int verify_basic(struct registry_session *s, berth_error *err)
{
        char *auth = NULL;
        int r;

        if ((r = registry_authorization(s, NULL, &auth, err)) < 0)
                return r;
        r = check_v2(s, auth, err);
        free_secret(auth);
        return r;
}

int registry_login(const char *server, const char *username, const char *password, const struct registry_options *o,
                   char **saved_to, berth_error *err)
{
        cleanup_free char *domain = registry_server_domain(server);
        cleanup_free char *path = authfile_path(o->authfile);
        cleanup_regconf struct registries_conf conf = {0};
        cleanup_session struct registry_session *s = NULL;
        struct registry_options lo = *o;
        struct registry_credentials save = {0};
        char *refresh = NULL;
        int r;

        *saved_to = NULL;
        if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
                return berth_failf(err, EINVAL, "Username and password are required");
        /* The session takes the credentials from --creds; the auth file is not read for a login. */
        lo.creds = NULL;
        if ((r = registries_conf_load(o->store_root, &conf, err)) < 0 ||
            (r = registry_session_open(domain, domain, &lo, &conf, &s, err)) < 0)
                return r;
        registry_credentials_clear(&s->creds);
        s->creds.username = xstrdup(username);
        s->creds.password = xstrdup(password);
        if ((r = registry_ping(s, err)) < 0)
                return r;
        switch (s->auth) {
        case AUTH_SCHEME_BEARER: r = verify_bearer(s, &refresh, err); break;
        case AUTH_SCHEME_BASIC: r = verify_basic(s, err); break;
        default: r = 0; break; /* a registry without authentication accepts anyone */
        }
        if (r < 0) {
                free_secret(refresh);
                return r;
        }
        save.username = (char *) username;
        save.password = refresh ? NULL : (char *) password;
        save.identity_token = refresh;
        r = authfile_store(path, domain, &save, err);
        free_secret(refresh);
        if (r == 0)
                *saved_to = steal_pointer(&path);
        return r;
}

int registry_logout(const char *server, bool all, const struct registry_options *o, bool *found, char **domain_out,
                    berth_error *err)
{
        cleanup_free char *path = authfile_path(o->authfile);
        char *domain = registry_server_domain(server);
        int r;

        *domain_out = domain;
        *found = false;
        if (all) {
                *found = true;
                return authfile_erase_all(path, err);
        }
        r = authfile_erase(path, domain, found, err);
        return r;
}
