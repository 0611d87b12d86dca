/* docker push: the stored manifest, config and layer blobs of an image go to the registry byte for byte (the
 * digests do not change), then the manifest is put under the tag. */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "image/blob.h"
#include "registry/blobsource.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "registry/errors.h"
#include "image/imagedb.h"
#include "image/manifest.h"
#include "registry/progress.h"
#include "image/reference.h"
#include "registry/registry.h"
#include "registry/regconf.h"
#include "registry/session.h"
#include "registry/upload.h"
#include "lib/util.h"

void registry_push_result_clear(struct registry_push_result *r)
{
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

struct push_image {
        char *id;
        char *manifest;      /* the stored manifest, verified against its digest */
        size_t manifest_len;
        char *manifest_digest;
        char *media_type;
        struct image_manifest m;
};

static void push_image_clear(struct push_image *p)
{
        free(p->id);
        free(p->manifest);
        free(p->manifest_digest);
        free(p->media_type);
        image_manifest_clear(&p->m);
        memset(p, 0, sizeof(*p));
}

/* The local image a name points to, with everything a push sends. */
static int load_image(struct image_store *s, const char *name, struct push_image *p, berth_error *err)
{
        cleanup_image_record struct image_record rec = {0};
        cleanup_free char *what = NULL;
        berth_error e = {0};
        int r;

        if (imagedb_resolve(s, name, &p->id, NULL, &e) < 0) {
                cleanup_free char *display = reference_familiar_name(name);
                r = e.code == ENOENT ? berth_failf(err, ENOENT, "An image does not exist locally with the tag: %s", display)
                                     : berth_failf(err, e.code, "%s", berth_error_message(&e));
                berth_error_clear(&e);
                return r;
        }
        if ((r = imagedb_get(s, p->id, &rec, err)) < 0)
                return r;
        p->manifest_digest = xstrdup(rec.manifest_digest);
        p->media_type = xstrdup(rec.manifest_media_type);
        if ((r = store_blob_read(s, p->manifest_digest, IMAGE_METADATA_MAX, &p->manifest, &p->manifest_len, err)) < 0)
                return r;
        what = xasprintf("manifest %s", p->manifest_digest);
        if ((r = image_manifest_parse(what, p->manifest, p->manifest_len, &p->m, err)) < 0)
                return r;
        if (strcmp(p->m.config.digest, p->id) != 0)
                return berth_failf(err, EBADMSG, "image %s: its manifest %s names another config (%s)", p->id,
                                   p->manifest_digest, p->m.config.digest);
        return 0;
}

static void report_upload(const struct registry_options *o, const char *digest, enum upload_outcome outcome,
                          const char *from)
{
        switch (outcome) {
        case UPLOAD_EXISTED: registry_emit_layer(o, digest, LAYER_EXISTS_REMOTE, 0, 0, NULL); break;
        case UPLOAD_MOUNTED: registry_emit_layer(o, digest, LAYER_MOUNTED, 0, 0, from); break;
        case UPLOAD_PUSHED: registry_emit_layer(o, digest, LAYER_PUSHED, 0, 0, NULL); break;
        }
}

static int put_manifest(struct registry_session *sess, const struct image_ref *ref, const struct push_image *p,
                        berth_error *err)
{
        cleanup_http_response struct http_response resp = {0};
        cleanup_free char *url = registry_url(sess, "/v2/%s/manifests/%s", ref->path, ref->tag);
        cleanup_free char *scope = xasprintf("repository:%s:pull,push", ref->path);
        cleanup_free char *ct = xasprintf("Content-Type: %s", p->media_type);
        char *headers[] = {ct, NULL};
        struct registry_request rq = {.method = "PUT", .url = url, .scope = scope, .headers = headers,
                                      .body = p->manifest, .body_len = p->manifest_len, .retry = true};
        int r;

        if ((r = registry_call(sess, &rq, &resp, err)) < 0)
                return r;
        if (resp.status != 201) {
                cleanup_free char *text = registry_error_text(&resp);
                return berth_failf(err, resp.status == 401 || resp.status == 403 ? EACCES : EPROTO, "Put \"%s\": %s", url, text);
        }
        /* The registry hashes what it received: the same bytes, the same digest. */
        if (resp.docker_digest != NULL && strcmp(resp.docker_digest, p->manifest_digest) != 0)
                return berth_failf(err, EBADMSG, "manifest %s: the registry stored it as %s", p->manifest_digest,
                                   resp.docker_digest);
        return 0;
}

static void record_sources(struct image_store *s, struct registry_session *sess, const struct image_ref *ref,
                           const struct push_image *p)
{
        cleanup_strv char **digests = xzalloc(sizeof(char *));
        berth_error e = {0};

        digests = strv_append(digests, p->m.config.digest);
        digests = strv_append(digests, p->manifest_digest);
        for (size_t i = 0; i < p->m.n_layers; i++)
                digests = strv_append(digests, p->m.layers[i].digest);
        blob_sources_record(s, sess->domain, ref->path, digests, &e);
        berth_error_clear(&e);
}

/* The layers' uploads, several at once as docker pushes them: one thread and one session (its own
 * connection and token) each, the layers taken top first from a shared counter. Mount sources are looked up
 * before (the store's database belongs to this thread). The first failure stops the others' next layers. */
#define PUSH_DEFAULT_PARALLEL 3

struct push_pool {
        struct image_store *store;
        const struct image_ref *ref;
        const struct registry_options *o;
        const struct image_manifest *m;
        char **hints;           /* per layer, NULL when none */
        pthread_mutex_t lock;
        size_t next;            /* layers left: the next to take is next - 1 */
        int status;             /* the first failure */
        berth_error err;
};

struct push_worker {
        struct push_pool *pool;
        struct registry_session *sess;
        pthread_t thread;
};

static void *push_worker_main(void *arg)
{
        struct push_worker *w = arg;
        struct push_pool *p = w->pool;

        for (;;) {
                enum upload_outcome outcome;
                cleanup_free char *from = NULL;
                berth_error e = {0};
                size_t i;
                int r;

                pthread_mutex_lock(&p->lock);
                if (p->status < 0 || p->next == 0) {
                        pthread_mutex_unlock(&p->lock);
                        return NULL;
                }
                i = --p->next;
                pthread_mutex_unlock(&p->lock);
                r = registry_upload_blob_hinted(w->sess, p->store, p->ref->path, &p->m->layers[i], true, p->hints[i],
                                                &outcome, &from, &e);
                if (r == 0) {
                        report_upload(p->o, p->m->layers[i].digest, outcome, from);
                        continue;
                }
                pthread_mutex_lock(&p->lock);
                if (p->status == 0) {
                        p->status = r;
                        p->err = e;
                        e = (berth_error){0};
                }
                pthread_mutex_unlock(&p->lock);
                berth_error_clear(&e);
        }
}

static int push_layers(struct image_store *s, struct registry_session *sess, const struct image_ref *ref,
                       const struct registry_options *o, const struct image_manifest *m, berth_error *err)
{
        unsigned parallel = o->parallel ? o->parallel : PUSH_DEFAULT_PARALLEL;
        size_t n_workers = m->n_layers < parallel ? m->n_layers : parallel, started = 0;
        struct push_pool p = {.store = s, .ref = ref, .o = o, .m = m, .next = m->n_layers};
        cleanup_free struct push_worker *workers = xzalloc((n_workers + 1) * sizeof(*workers));
        cleanup_free char *repository = image_ref_repository(ref);
        cleanup_regconf struct registries_conf conf = {0};
        int r = 0;

        if (m->n_layers == 0)
                return 0;
        p.hints = xzalloc((m->n_layers + 1) * sizeof(char *));
        for (size_t i = 0; i < m->n_layers; i++) {
                berth_error ignored = {0};
                if (blob_sources_find(s, sess->domain, m->layers[i].digest, ref->path, &p.hints[i], &ignored) < 0) {
                        berth_error_clear(&ignored);
                        p.hints[i] = NULL;
                }
        }
        /* Sessions are opened here, one after the other (the auth file, a credential helper, curl's setup):
         * the threads only use them. The first worker takes the caller's. */
        workers[0].sess = sess;
        if (n_workers > 1 && (r = registries_conf_load(o->store_root, &conf, err)) < 0)
                goto out;
        for (size_t i = 1; i < n_workers; i++) {
                if ((r = registry_session_open(ref->domain, repository, o, &conf, &workers[i].sess, err)) < 0 ||
                    (r = registry_ping(workers[i].sess, err)) < 0)
                        goto out;
        }
        pthread_mutex_init(&p.lock, NULL);
        for (size_t i = 0; i < n_workers; i++) {
                workers[i].pool = &p;
                if ((r = pthread_create(&workers[i].thread, NULL, push_worker_main, &workers[i])) != 0) {
                        r = berth_fail(err, r, "start an upload thread");
                        pthread_mutex_lock(&p.lock);
                        p.status = p.status ? p.status : r;
                        pthread_mutex_unlock(&p.lock);
                        break;
                }
                started++;
        }
        for (size_t i = 0; i < started; i++)
                pthread_join(workers[i].thread, NULL);
        pthread_mutex_destroy(&p.lock);
        if (r == 0 && p.status < 0) {
                r = p.status;
                berth_failf(err, p.err.code, "%s", berth_error_message(&p.err));
        }
        berth_error_clear(&p.err);
out:
        for (size_t i = 1; i < n_workers; i++)
                if (workers[i].sess != NULL)
                        registry_session_free(workers[i].sess);
        for (size_t i = 0; i < m->n_layers; i++)
                free(p.hints[i]);
        free(p.hints);
        return r;
}

static int push_tag(struct image_store *s, struct registry_session *sess, const struct image_ref *ref,
                    const struct registry_options *o, struct registry_push_result *res, berth_error *err)
{
        struct push_image p = {0};
        cleanup_free char *name = image_ref_string(ref);
        int r;

        if ((r = load_image(s, name, &p, err)) < 0)
                goto out;
        /* Layers top first, as docker lists them. */
        for (size_t i = p.m.n_layers; i-- > 0;)
                registry_emit_layer(o, p.m.layers[i].digest, LAYER_PREPARING, 0, 0, NULL);
        if ((r = push_layers(s, sess, ref, o, &p.m, err)) < 0)
                goto out;
        {
                enum upload_outcome outcome;
                cleanup_free char *from = NULL;
                if ((r = registry_upload_blob(sess, s, ref->path, &p.m.config, false, &outcome, &from, err)) < 0 ||
                    (r = put_manifest(sess, ref, &p, err)) < 0)
                        goto out;
        }
        record_sources(s, sess, ref, &p);
        res->tag = xstrdup(ref->tag);
        res->digest = xstrdup(p.manifest_digest);
        res->size = (int64_t) p.manifest_len;
        registry_emit_line(o, "%s: digest: %s size: %" PRId64, res->tag, res->digest, res->size);
out:
        push_image_clear(&p);
        return r;
}

/* Every local tag of the repository, sorted (push -a). */
static int local_tags(struct image_store *s, const char *repository, char ***out, berth_error *err)
{
        struct image_record *recs = NULL;
        size_t n = 0;
        char **tags = xzalloc(sizeof(char *));
        int r;

        if ((r = imagedb_list(s, &recs, &n, err)) < 0) {
                free(tags);
                return r;
        }
        for (size_t i = 0; i < n; i++)
                for (char **nm = recs[i].names; nm && *nm; nm++)
                        if (str_has_prefix(*nm, repository) && (*nm)[strlen(repository)] == ':')
                                tags = strv_append(tags, *nm + strlen(repository) + 1);
        image_records_free(recs, n);
        qsort(tags, strv_length(tags), sizeof(char *), (int (*)(const void *, const void *)) strcmp);
        *out = tags;
        return 0;
}

int registry_push(struct image_store *s, const char *name, const struct registry_options *o,
                  struct registry_push_result **results, size_t *n, berth_error *err)
{
        cleanup_image_ref struct image_ref ref = {0};
        cleanup_session struct registry_session *sess = NULL;
        cleanup_regconf struct registries_conf conf = {0};
        cleanup_free char *repository = NULL, *familiar = NULL;
        cleanup_strv char **tags = NULL;
        int r;

        *results = NULL;
        *n = 0;
        if ((r = image_ref_parse(name, false, &ref, err)) < 0)
                return r;
        if (ref.digest != NULL)
                return berth_failf(err, EINVAL, "cannot push a digest reference");
        if (o->all_tags && ref.tag != NULL)
                return berth_failf(err, EINVAL, "tag can't be used with --all-tags/-a");
        repository = image_ref_repository(&ref);
        familiar = image_ref_familiar_repository(&ref);
        if (o->all_tags) {
                if ((r = local_tags(s, repository, &tags, err)) < 0)
                        return r;
                if (tags[0] == NULL)
                        return berth_failf(err, ENOENT, "An image does not exist locally with the tag: %s", familiar);
        } else {
                tags = xzalloc(2 * sizeof(char *));
                if (ref.tag == NULL)
                        registry_emit_line(o, "Using default tag: %s", REFERENCE_DEFAULT_TAG);
                tags[0] = xstrdup(ref.tag ? ref.tag : REFERENCE_DEFAULT_TAG);
        }
        /* Every tag must exist locally before anything is sent. */
        for (char **t = tags; *t != NULL; t++) {
                cleanup_free char *full = xasprintf("%s:%s", repository, *t);
                cleanup_free char *id = NULL;
                berth_error e = {0};
                if (imagedb_resolve(s, full, &id, NULL, &e) < 0) {
                        cleanup_free char *display = xasprintf("%s:%s", familiar, *t);
                        berth_error_clear(&e);
                        return berth_failf(err, ENOENT, "An image does not exist locally with the tag: %s", display);
                }
        }
        registry_emit_line(o, "The push refers to repository [%s]", familiar);
        if ((r = registries_conf_load(o->store_root, &conf, err)) < 0 ||
            (r = registry_session_open(ref.domain, repository, o, &conf, &sess, err)) < 0 || (r = registry_ping(sess, err)) < 0)
                return r;
        *results = xzalloc((strv_length(tags) + 1) * sizeof(**results));
        for (char **t = tags; *t != NULL; t++) {
                free(ref.tag);
                ref.tag = xstrdup(*t);
                if ((r = push_tag(s, sess, &ref, o, &(*results)[*n], err)) < 0)
                        return r;
                (*n)++;
        }
        return 0;
}
