#include "registry/authfile.h"
#include "registry/credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static void free_secret(char *s)
{
        if (s != NULL) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

void registry_credentials_clear(struct registry_credentials *c)
{
        free(c->username);
        free_secret(c->password);
        free_secret(c->identity_token);
        memset(c, 0, sizeof(*c));
}

bool registry_credentials_present(const struct registry_credentials *c)
{
        return (c->username != NULL && c->password != NULL) || c->identity_token != NULL;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
        const unsigned char *in = data;
        char *out = xmalloc(((len + 2) / 3) * 4 + 1), *p = out;

        for (size_t i = 0; i < len; i += 3) {
                unsigned v = (unsigned) in[i] << 16;
                if (i + 1 < len)
                        v |= (unsigned) in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                *p++ = B64[(v >> 18) & 63];
                *p++ = B64[(v >> 12) & 63];
                *p++ = i + 1 < len ? B64[(v >> 6) & 63] : '=';
                *p++ = i + 2 < len ? B64[v & 63] : '=';
        }
        *p = '\0';
        return out;
}

static int b64_value(char ch)
{
        const char *p = ch ? strchr(B64, ch) : NULL;
        return p ? (int) (p - B64) : -1;
}

int base64_decode(const char *s, char **out, size_t *len)
{
        size_t n = strlen(s), o = 0;
        char *buf;

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                n--;
        if (n % 4 != 0)
                return -EINVAL;
        buf = xmalloc(n / 4 * 3 + 1);
        for (size_t i = 0; i < n; i += 4) {
                int v[4];
                for (int k = 0; k < 4; k++) {
                        v[k] = s[i + k] == '=' && i + 4 == n && k >= 2 ? -2 : b64_value(s[i + k]);
                        if (v[k] == -1 || (k == 2 && v[2] == -2 && s[i + 3] != '=')) {
                                explicit_bzero(buf, o); /* not terminated yet: wipe what was decoded */
                                free(buf);
                                return -EINVAL;
                        }
                }
                buf[o++] = (char) ((v[0] << 2) | (v[1] >> 4));
                if (v[2] >= 0)
                        buf[o++] = (char) (((v[1] & 15) << 4) | (v[2] >> 2));
                if (v[3] >= 0 && v[2] >= 0)
                        buf[o++] = (char) (((v[2] & 3) << 6) | v[3]);
        }
        buf[o] = '\0';
        *out = buf;
        if (len != NULL)
                *len = o;
        return 0;
}

static char *home_dir(void)
{
        const char *home = getenv("HOME");
        struct passwd *pw;

        if (home != NULL && *home != '\0')
                return xstrdup(home);
        pw = getpwuid(getuid());
        return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/");
}

char *authfile_path(const char *override)
{
        const char *env;
        cleanup_free char *home = NULL;

        if (override != NULL && *override != '\0')
                return xstrdup(override);
        env = getenv("REGISTRY_AUTH_FILE");
        if (env != NULL && *env != '\0')
                return xstrdup(env);
        env = getenv("DOCKER_CONFIG");
        if (env != NULL && *env != '\0')
                return xasprintf("%s/config.json", env);
        home = home_dir();
        return xasprintf("%s/.docker/config.json", home);
}

static bool is_docker_hub(const char *domain)
{
        return strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0 ||
               strcmp(domain, "registry-1.docker.io") == 0;
}

char *authfile_key(const char *domain)
{
        return is_docker_hub(domain) ? xstrdup(DOCKER_HUB_KEY) : xstrdup(domain);
}

/* docker's ConvertToHostname: "https://host:5000/v2/" -> "host:5000". Keys without a scheme keep their path:
 * they may name a repository or namespace (podman). */
static char *key_host(const char *key, bool *scoped)
{
        const char *p = key;
        bool had_scheme = false;

        if (str_has_prefix(p, "http://")) {
                p += 7;
                had_scheme = true;
        } else if (str_has_prefix(p, "https://")) {
                p += 8;
                had_scheme = true;
        }
        const char *slash = strchr(p, '/');
        *scoped = !had_scheme && slash != NULL;
        if (slash != NULL && had_scheme)
                return xstrndup(p, (size_t) (slash - p));
        return xstrdup(p);
}

static bool same_registry(const char *host, const char *domain)
{
        return strcmp(host, domain) == 0 || (is_docker_hub(host) && is_docker_hub(domain));
}

static int load_file(const char *path, json_t **out, bool *exists, berth_error *err)
{
        struct stat st;

        *exists = stat(path, &st) == 0;
        if (!*exists) {
                if (errno != ENOENT)
                        return berth_fail(err, errno, "authentication file %s", path);
                *out = json_object();
                return 0;
        }
        {
                cleanup_free char *text = NULL;
                size_t len = 0;
                json_error_t jerr;
                int r = read_file_at(AT_FDCWD, path, &text, &len, err);
                if (r < 0)
                        return r;
                *out = json_loadb(text, len, 0, &jerr);
                explicit_bzero(text, len);
                /* jansson's text quotes the input near the error: it may be a password, so only the position. */
                if (*out == NULL)
                        return berth_failf(err, EINVAL, "authentication file %s:%d:%d: invalid JSON", path, jerr.line,
                                           jerr.column);
        }
        if (!json_is_object(*out)) {
                json_decref(*out);
                *out = NULL;
                return berth_failf(err, EINVAL, "authentication file %s: expected a JSON object", path);
        }
        return 0;
}

static int decode_entry(const char *path, const char *key, json_t *entry, struct registry_credentials *out,
                        berth_error *err)
{
        json_t *auth = json_object_get(entry, "auth"), *token = json_object_get(entry, "identitytoken");
        char *plain = NULL, *colon;

        if (json_is_string(auth) && json_string_length(auth) > 0) {
                if (base64_decode(json_string_value(auth), &plain, NULL) < 0 || (colon = strchr(plain, ':')) == NULL) {
                        free_secret(plain);
                        /* The value itself is never shown: it is the password. */
                        return berth_failf(err, EINVAL, "authentication file %s: entry %s: invalid \"auth\" value", path, key);
                }
                *colon = '\0';
                out->username = xstrdup(plain);
                out->password = xstrdup(colon + 1);
                free_secret(plain);
        }
        if (json_is_string(token) && json_string_length(token) > 0)
                out->identity_token = xstrdup(json_string_value(token));
        if (out->identity_token != NULL && out->password != NULL && out->password[0] == '\0') {
                free_secret(out->password);
                out->password = NULL;
        }
        return 0;
}

int authfile_lookup(const char *path, const char *repository, struct registry_credentials *out, bool *found,
                    berth_error *err)
{
        cleanup_json json_t *root = NULL;
        cleanup_free char *domain = NULL;
        const char *slash = strchr(repository, '/');
        const char *key, *best_key = NULL;
        json_t *auths, *entry, *best = NULL;
        size_t best_len = 0;
        bool exists;
        int r;

        memset(out, 0, sizeof(*out));
        *found = false;
        domain = slash ? xstrndup(repository, (size_t) (slash - repository)) : xstrdup(repository);
        if ((r = load_file(path, &root, &exists, err)) < 0)
                return r;
        /* docker: a credential helper named for the registry (credHelpers) or for all (credsStore) holds its
         * credentials; "auths" then only lists where one logged in. */
        {
                const char *helper = credhelper_for(root, domain);
                if (helper != NULL) {
                        cleanup_free char *server = authfile_key(domain);
                        if ((r = credhelper_get(helper, server, out, found, err)) < 0)
                                return berth_error_prefix(err, "%s: ", path);
                        return 0;
                }
        }
        auths = json_object_get(root, "auths");
        if (!json_is_object(auths))
                return 0;
        json_object_foreach(auths, key, entry) {
                bool scoped;
                cleanup_free char *host = key_host(key, &scoped);
                size_t len;

                if (!json_is_object(entry))
                        continue;
                if (scoped) {
                        /* "host/ns" matches "host/ns" and "host/ns/..." only. */
                        len = strlen(host);
                        if (!(str_has_prefix(repository, host) && (repository[len] == '\0' || repository[len] == '/')))
                                continue;
                } else if (same_registry(host, domain)) {
                        /* A bare key beats a spelling with scheme/path: what docker login writes today. */
                        len = strcmp(key, host) == 0 ? strlen(domain) : strlen(domain) - 1;
                        if (is_docker_hub(domain) && strcmp(key, DOCKER_HUB_KEY) == 0)
                                len = strlen(domain);
                } else {
                        continue;
                }
                if (best == NULL || len > best_len) {
                        best = entry;
                        best_key = key;
                        best_len = len;
                }
        }
        if (best == NULL)
                return 0;
        if ((r = decode_entry(path, best_key, best, out, err)) < 0)
                return r;
        *found = registry_credentials_present(out);
        return 0;
}

/* A new file (O_EXCL, mode 0600 whatever the umask) renamed over the old one: the credentials are never
 * readable by others, not even for a moment, and a crash leaves the old file or the new one. */
static int write_private_file(const char *path, const char *data, size_t len, berth_error *err)
{
        cleanup_free char *tmp = xasprintf("%s.tmp-%d-%ld", path, (int) getpid(), (long) random());
        cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        int r;

        if (fd < 0)
                return berth_fail(err, errno, "create %s", tmp);
        if (fchmod(fd, 0600) < 0 || (r = write_all(fd, data, len)) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return berth_fail(err, e, "write %s", path);
        }
        return 0;
}

static int save_file(const char *path, json_t *root, berth_error *err)
{
        cleanup_free char *text = json_dumps(root, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
        cleanup_free char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        int r;

        if (text == NULL)
                return berth_failf(err, ENOMEM, "serialise %s", path);
        if (slash != NULL && slash != dir) {
                *slash = '\0';
                if ((r = mkdir_parents(dir, 0700, err)) < 0)
                        return r;
        }
        size_t len = strlen(text);
        char *with_nl = xasprintf("%s\n", text);
        r = write_private_file(path, with_nl, len + 1, err);
        free_secret(with_nl);
        explicit_bzero(text, len);
        return r;
}

int authfile_store(const char *path, const char *domain, const struct registry_credentials *c, berth_error *err)
{
        cleanup_json json_t *root = NULL;
        cleanup_free char *key = authfile_key(domain);
        json_t *auths, *entry = json_object();
        bool exists;
        int r;

        if ((r = load_file(path, &root, &exists, err)) < 0) {
                json_decref(entry);
                return r;
        }
        auths = json_object_get(root, "auths");
        if (!json_is_object(auths)) {
                auths = json_object();
                json_object_set_new(root, "auths", auths);
        }
        /* docker: with a helper the secret goes to it; the file keeps an empty entry for the registry. */
        if (credhelper_for(root, domain) != NULL) {
                if ((r = credhelper_store(credhelper_for(root, domain), key, c, err)) < 0) {
                        json_decref(entry);
                        return r;
                }
                json_object_set_new(auths, key, entry);
                return save_file(path, root, err);
        }
        {
                char *plain = xasprintf("%s:%s", c->username ? c->username : "",
                                        c->identity_token ? "" : (c->password ? c->password : ""));
                char *b64 = base64_encode(plain, strlen(plain));
                json_object_set_new(entry, "auth", json_string(b64));
                free_secret(plain);
                free_secret(b64);
        }
        if (c->identity_token != NULL)
                json_object_set_new(entry, "identitytoken", json_string(c->identity_token));
        json_object_set_new(auths, key, entry);
        return save_file(path, root, err);
}

static int erase(const char *path, const char *domain, bool all, bool *found, berth_error *err)
{
        cleanup_json json_t *root = NULL;
        cleanup_strv char **remove = xzalloc(sizeof(char *));
        json_t *auths, *entry;
        const char *key;
        bool exists;
        int r;

        if (found != NULL)
                *found = false;
        if ((r = load_file(path, &root, &exists, err)) < 0)
                return r;
        auths = json_object_get(root, "auths");
        if (!exists || !json_is_object(auths))
                return 0;
        /* With a helper: its credentials for the registry go too (logout --all: every listed one). */
        json_object_foreach(auths, key, entry) {
                bool scoped;
                cleanup_free char *host = key_host(key, &scoped);
                const char *helper = credhelper_for(root, host);
                if (helper == NULL || scoped || !(all || strcmp(key, domain) == 0 || same_registry(host, domain)))
                        continue;
                if ((r = credhelper_erase(helper, key, err)) < 0)
                        return r;
        }
        json_object_foreach(auths, key, entry) {
                bool scoped;
                cleanup_free char *host = key_host(key, &scoped);
                if (all || strcmp(key, domain) == 0 || (!scoped && same_registry(host, domain)))
                        remove = strv_append(remove, key);
        }
        for (char **k = remove; *k != NULL; k++)
                json_object_del(auths, *k);
        if (remove[0] == NULL)
                return 0;
        if (found != NULL)
                *found = true;
        return save_file(path, root, err);
}

int authfile_erase(const char *path, const char *domain, bool *found, berth_error *err)
{
        return erase(path, domain, false, found, err);
}

int authfile_erase_all(const char *path, berth_error *err)
{
        return erase(path, NULL, true, NULL, err);
}
