/* The sources of COPY/ADD that are not paths (builder_internal.h): heredocs' texts and ADD's URLs, each
 * written as one file. A URL: the file fetched with libcurl (http and https only, redirects followed,
 * an HTTP error an error) into an unnamed file of the store's tmp, and its sha256, which --checksum checks
 * and the step's cache key takes (docker fetches the URL on every build and compares the content). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/builder_internal.h"
#include "build/words.h"
#include "lib/path.h"
#include "lib/cleanup.h"
#include "lib/util.h"

struct fetch {
        int fd;
        struct digest_ctx *digest;
        int error;
};

static size_t on_data(char *data, size_t size, size_t n, void *opaque)
{
        struct fetch *f = opaque;

        if (write_all(f->fd, data, size * n) < 0) {
                f->error = errno;
                return 0;
        }
        digest_update(f->digest, data, size * n);
        return size * n;
}

bool build_is_url(const char *s)
{
        return str_has_prefix(s, "http://") || str_has_prefix(s, "https://");
}

int build_fetch_url(struct build *b, const char *url, int *fd_out, char digest[DIGEST_STRING_LEN + 1], berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/tmp", b->e->store->root);
        cleanup_digest struct digest_ctx *d = digest_new();
        struct fetch f = {.fd = -1, .digest = d};
        char message[CURL_ERROR_SIZE] = "";
        CURL *curl;
        CURLcode rc;
        long status = 0;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (curl = curl_easy_init()) == NULL)
                return berth_failf(err, ENOMEM, "ADD %s: libcurl could not start", url);
        f.fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (f.fd < 0) {
                curl_easy_cleanup(curl);
                return berth_fail(err, errno, "a temporary file in %s", dir);
        }
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
        rc = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(curl);
        if (rc != CURLE_OK || f.error != 0) {
                close(f.fd);
                if (f.error != 0)
                        return berth_fail(err, f.error, "ADD %s: write", url);
                if (status >= 400)
                        return berth_failf(err, EIO, "ADD %s: the server answered %ld", url, status);
                return berth_failf(err, EIO, "ADD %s: %s", url, *message ? message : curl_easy_strerror(rc));
        }
        digest_final(d, digest);
        *fd_out = f.fd;
        return 0;
}

int build_write_source_file(int rootfd, const char *dest, bool into_dir, const char *name, int data_fd,
                            const char *text, uid_t uid, gid_t gid, mode_t mode, berth_error *err)
{
        cleanup_free char *parent_path = NULL, *file = NULL;
        cleanup_close int parent = -1, fd = -1;
        struct stat st;

        if (into_dir) {
                parent_path = xstrdup(dest);
                file = xstrdup(name);
        } else {
                const char *slash = strrchr(dest, '/');
                parent_path = slash == dest ? xstrdup("/") : xstrndup(dest, (size_t) (slash - dest));
                file = xstrdup(slash + 1);
        }
        if (*file == '\0' || strchr(file, '/') != NULL)
                return berth_failf(err, EINVAL, "cannot name a file \"%s\" in %s", file, parent_path);
        if ((parent = path_mkdir_in_root(rootfd, parent_path, 0755, err)) < 0)
                return parent;
        if (fstatat(parent, file, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(st.st_mode))
                        return berth_failf(err, EISDIR, "cannot write a file onto the directory %s", dest);
                if (unlinkat(parent, file, 0) < 0)
                        return berth_fail(err, errno, "remove %s", file);
        }
        fd = openat(parent, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return berth_fail(err, errno, "create %s", file);
        if (text != NULL && write_all(fd, text, strlen(text)) < 0)
                return berth_fail(err, errno, "write %s", file);
        if (data_fd >= 0) {
                char buf[65536];
                ssize_t n;
                if (lseek(data_fd, 0, SEEK_SET) < 0)
                        return berth_fail(err, errno, "read the download of %s", file);
                while ((n = read(data_fd, buf, sizeof(buf))) > 0)
                        if (write_all(fd, buf, (size_t) n) < 0)
                                return berth_fail(err, errno, "write %s", file);
                if (n < 0)
                        return berth_fail(err, errno, "read the download of %s", file);
        }
        if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
                return berth_fail(err, errno, "set the owner and mode of %s", file);
        return 0;
}

/* The heredoc an argument ("<<EOF", "<<-EOF", "<<'EOF'") names, or NULL. */
const struct dockerfile_heredoc *build_heredoc_of(const struct dockerfile_instruction *ins, const char *arg)
{
        const char *p = arg;
        size_t n;

        if (!str_has_prefix(p, "<<"))
                return NULL;
        p += 2;
        if (*p == '-')
                p++;
        n = strlen(p);
        if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
                p++;
                n -= 2;
        }
        for (size_t i = 0; i < ins->n_heredocs; i++)
                if (strlen(ins->heredocs[i].name) == n && memcmp(ins->heredocs[i].name, p, n) == 0)
                        return &ins->heredocs[i];
        return NULL;
}

/* A heredoc's text: with an unquoted name its variables expanded (quotes are the text's own, as in the
 * shell's heredocs); else as written. */
char *build_heredoc_content(struct build *b, const struct dockerfile_heredoc *h, char **env)
{
        cleanup_free char *escaped = NULL;
        size_t n = 0;
        char *out = NULL;

        if (!h->expand)
                return xstrdup(h->content);
        escaped = xmalloc(strlen(h->content) * 2 + 1);
        for (const char *p = h->content; *p; p++) {
                if (*p == '"' || *p == '\'')
                        escaped[n++] = b->df->escape;
                escaped[n++] = *p;
        }
        escaped[n] = '\0';
        if (dockerfile_expand_word(escaped, b->df->escape, env, &out, NULL) < 0)
                return xstrdup(h->content);
        return out;
}

