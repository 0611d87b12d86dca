/* docker pull: name -> registry -> manifest (through an index, for the platform) -> blobs into the store ->
 * image_commit. Docker's output, events only (the CLI renders them). A failure discards what the pull
 * added, so the store is as it was. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "image/blob.h"
#include "registry/blobsource.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "image/digest.h"
#include "registry/errors.h"
#include "registry/fetch.h"
#include "image/gc.h"
#include "image/imagedb.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "registry/progress.h"
#include "image/reference.h"
#include "registry/regconf.h"
#include "registry/registry.h"
#include "registry/remote.h"
#include "registry/session.h"
#include "lib/util.h"

struct pull_ctx {
        struct image_store *store;
        const struct registry_options *o;
        struct registry_session *sess;
        struct platform platform;
        bool platform_explicit;
        const struct image_ref *ref; /* the name pulled: what the image is called, and the output's */
        const struct image_ref *src; /* where it is fetched from: ref, or a mirror's name for it */
        char *scope;
        bool wrote; /* something entered the store: discard it on failure */
};

void registry_pull_result_clear(struct registry_pull_result *r)
{
        free(r->digest);
        free(r->name);
        free(r->image_id);
        memset(r, 0, sizeof(*r));
}

static int check_config_media_type(const struct image_manifest *m, berth_error *err)
{
        const char *mt = m->config.media_type;

        if (mt != NULL && strcmp(mt, MEDIA_OCI_CONFIG) != 0 && strcmp(mt, MEDIA_DOCKER_CONFIG) != 0)
                return berth_failf(err, ENOTSUP, "unsupported image configuration media type %s (not a container image)", mt);
        return 0;
}

/* docker's "Extracting" with byte counts: the compressed bytes of each layer read by the unpacking threads
 * (two layers at once, each read in its own thread), one line per MiB at most, and the last. */
struct extract_progress {
        const struct registry_options *o;
        const struct image_manifest *m;
        pthread_mutex_t lock; /* the unpacking threads report at once; the display is one */
        uint64_t *shown;
};

#define EXTRACT_STEP (1u << 20)

static void extract_progress(void *data, const char *digest, uint64_t done)
{
        struct extract_progress *xp = data;

        for (size_t i = 0; i < xp->m->n_layers; i++) {
                const struct descriptor *d = &xp->m->layers[i];
                if (strcmp(d->digest, digest) != 0)
                        continue;
                pthread_mutex_lock(&xp->lock);
                if (xp->shown == NULL)
                        xp->shown = xzalloc((xp->m->n_layers + 1) * sizeof(*xp->shown));
                if (done >= xp->shown[i] + EXTRACT_STEP || done >= (uint64_t) d->size || xp->shown[i] == 0) {
                        xp->shown[i] = done;
                        registry_emit_layer(xp->o, d->digest, LAYER_EXTRACTING, done, (uint64_t) d->size, NULL);
                }
                pthread_mutex_unlock(&xp->lock);
                return;
        }
}

/* A manifest named by an index entry: fetched by digest, its size and media type as the index says. */
static int fetch_platform_manifest(struct pull_ctx *c, const struct descriptor *d, struct remote_manifest *out,
                                   berth_error *err)
{
        int r;

        if ((r = remote_manifest_get(c->sess, c->src, d->digest, c->scope, out, err)) < 0)
                return r;
        if ((int64_t) out->len != d->size)
                return berth_failf(err, EBADMSG, "manifest %s: size mismatch: %zu bytes, the index says %lld", d->digest,
                                   out->len, (long long) d->size);
        if (!media_type_is_manifest(out->media_type))
                return berth_failf(err, ENOTSUP, "manifest %s: unsupported media type %s (nested indexes are not supported)",
                                   d->digest, out->media_type);
        return 0;
}

/* The image manifest to pull: the reference's own, or the platform's entry of its index. */
static int resolve_manifest(struct pull_ctx *c, struct remote_manifest *top, struct remote_manifest *image,
                            berth_error *err)
{
        cleanup_index struct image_index ix = {0};
        cleanup_free char *what = NULL;
        const struct descriptor *d;
        int r;

        if (!media_type_is_index(top->media_type)) {
                *image = *top;
                memset(top, 0, sizeof(*top));
                return 0;
        }
        what = xasprintf("index %s", top->digest);
        if ((r = image_index_parse(what, top->body, top->len, &ix, err)) < 0)
                return r;
        d = platform_select(&c->platform, &ix);
        if (d == NULL) {
                cleanup_free char *p = platform_string(&c->platform);
                return berth_failf(err, ENOENT, "no matching manifest for %s in the manifest list entries", p);
        }
        return fetch_platform_manifest(c, d, image, err);
}

/* A single-platform image asked for with --platform must be of that platform (docker's check). */
static int check_platform(struct pull_ctx *c, const char *config_digest, berth_error *err)
{
        cleanup_config struct image_config cfg = {0};
        cleanup_free char *name = NULL, *want = NULL;
        int r;

        if ((r = image_config_read(c->store, config_digest, &cfg, err)) < 0)
                return r;
        if (platform_matches(&c->platform, cfg.os, cfg.architecture, cfg.variant))
                return 0;
        name = image_ref_string(c->ref);
        want = platform_string(&c->platform);
        return berth_failf(err, EINVAL,
                           "image with reference %s was found but does not match the specified platform: wanted %s, actual: %s/%s%s%s",
                           name, want, cfg.os, cfg.architecture, cfg.variant ? "/" : "", cfg.variant ? cfg.variant : "");
}

static void record_sources(struct pull_ctx *c, const struct image_manifest *m, const char *manifest_digest)
{
        cleanup_strv char **digests = xzalloc(sizeof(char *));
        berth_error e = {0};

        digests = strv_append(digests, m->config.digest);
        digests = strv_append(digests, manifest_digest);
        for (size_t i = 0; i < m->n_layers; i++)
                digests = strv_append(digests, m->layers[i].digest);
        /* Hints for later cross-repository mounts: a failure here must not fail the pull. */
        blob_sources_record(c->store, c->sess->domain, c->src->path, digests, &e);
        berth_error_clear(&e);
}

static int fetch_and_commit(struct pull_ctx *c, const struct remote_manifest *doc, const struct image_manifest *m,
                            bool from_index, char **id, berth_error *err)
{
        cleanup_free struct fetch_item *items = xzalloc((m->n_layers + 2) * sizeof(*items));
        cleanup_free char *name = image_ref_string(c->ref);
        char *names[] = {name, NULL};
        char stored[DIGEST_STRING_LEN + 1];
        int r;

        items[0].desc = &m->config;
        for (size_t i = 0; i < m->n_layers; i++) {
                items[i + 1].desc = &m->layers[i];
                items[i + 1].layer = true;
        }
        c->wrote = true;
        if (c->platform_explicit && !from_index) {
                /* The config first: a single-platform image of another platform is refused before its layers. */
                if ((r = registry_fetch_blobs(c->sess, c->store, c->src->path, c->scope, items, 1, err)) < 0 ||
                    (r = check_platform(c, m->config.digest, err)) < 0)
                        return r;
        }
        if ((r = registry_fetch_blobs(c->sess, c->store, c->src->path, c->scope, items, m->n_layers + 1, err)) < 0)
                return r;
        if ((r = store_blob_put(c->store, doc->body, doc->len, stored, err)) < 0)
                return r;
        struct extract_progress xp = {.o = c->o, .m = m};
        pthread_mutex_init(&xp.lock, NULL);
        r = image_commit(c->store,
                         &(struct image_commit){.manifest_digest = doc->digest,
                                                .manifest_media_type = doc->media_type,
                                                .config_digest = m->config.digest,
                                                .layers = m->layers,
                                                .n_layers = m->n_layers,
                                                .names = names,
                                                .progress = extract_progress,
                                                .progress_data = &xp},
                         id, err);
        pthread_mutex_destroy(&xp.lock);
        free(xp.shown);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_layers; i++)
                if (!items[i + 1].present)
                        registry_emit_layer(c->o, m->layers[i].digest, LAYER_PULL_COMPLETE, 0, 0, NULL);
        record_sources(c, m, doc->digest);
        return 0;
}

static char *familiar_name(const struct image_ref *ref)
{
        cleanup_free char *repo = image_ref_familiar_repository(ref);

        if (ref->digest != NULL)
                return xasprintf("%s@%s", repo, ref->digest);
        return xasprintf("%s:%s", repo, ref->tag);
}

/* One reference, its registry already chosen. */
static int pull_one(struct pull_ctx *c, bool show_status, struct registry_pull_result *res, berth_error *err)
{
        cleanup_remote_manifest struct remote_manifest top = {0};
        cleanup_remote_manifest struct remote_manifest image = {0};
        cleanup_manifest struct image_manifest m = {0};
        cleanup_free char *name = image_ref_string(c->ref);
        cleanup_free char *familiar = familiar_name(c->ref);
        cleanup_free char *before = NULL, *id = NULL;
        berth_error ignored = {0};
        int r;

        if (imagedb_resolve(c->store, name, &before, NULL, &ignored) < 0)
                before = NULL;
        berth_error_clear(&ignored);
        registry_emit_line(c->o, "%s: Pulling from %s", c->ref->digest ? c->ref->digest : c->ref->tag, c->ref->path);
        if ((r = remote_manifest_get(c->sess, c->src, c->ref->digest ? c->ref->digest : c->ref->tag, c->scope, &top, err)) < 0 ||
            (r = resolve_manifest(c, &top, &image, err)) < 0)
                return r;
        {
                cleanup_free char *what = xasprintf("manifest %s", image.digest);
                if ((r = image_manifest_parse(what, image.body, image.len, &m, err)) < 0)
                        return r;
        }
        if ((r = check_config_media_type(&m, err)) < 0 || (r = fetch_and_commit(c, &image, &m, media_type_is_index(top.media_type), &id, err)) < 0)
                return r;
        res->digest = xstrdup(top.digest[0] ? top.digest : image.digest);
        res->name = steal_pointer(&name);
        res->image_id = steal_pointer(&id);
        res->up_to_date = before != NULL && strcmp(before, res->image_id) == 0;
        registry_emit_line(c->o, "Digest: %s", res->digest);
        if (show_status)
                registry_emit_line(c->o, "Status: %s for %s",
                                   res->up_to_date ? "Image is up to date" : "Downloaded newer image", familiar);
        return 0;
}

static int pull_all_tags(struct pull_ctx *c, struct image_ref *ref, struct registry_pull_result **results, size_t *n,
                         berth_error *err)
{
        cleanup_strv char **tags = NULL;
        bool all_up_to_date = true;
        int r;

        if ((r = remote_tags_list(c->sess, ref, c->scope, &tags, err)) < 0)
                return r;
        if (tags[0] == NULL)
                return berth_failf(err, ENOENT, "%s: the repository has no tags", ref->path);
        *results = xzalloc((strv_length(tags) + 1) * sizeof(**results));
        for (char **t = tags; *t != NULL; t++) {
                free(ref->tag);
                ref->tag = xstrdup(*t);
                if ((r = pull_one(c, false, &(*results)[*n], err)) < 0)
                        return r;
                all_up_to_date &= (*results)[*n].up_to_date;
                (*n)++;
        }
        {
                cleanup_free char *repo = image_ref_familiar_repository(ref);
                registry_emit_line(c->o, "Status: %s for %s", all_up_to_date ? "Image is up to date" : "Downloaded newer image",
                                   repo);
        }
        return 0;
}

/* One registry: open, ping, pull (one reference or every tag). src: where from (ref, or a mirror's name of
 * it: same tag or digest). */
static int pull_from(struct image_store *s, struct image_ref *ref, const struct image_ref *src,
                     const struct registry_options *o, const struct registries_conf *conf,
                     struct registry_pull_result **results, size_t *n, berth_error *err)
{
        cleanup_session struct registry_session *sess = NULL;
        cleanup_free char *repository = image_ref_repository(src);
        struct pull_ctx c = {.store = s, .o = o, .ref = ref, .src = src};
        int r;

        c.platform_explicit = o->platform != NULL;
        if ((r = platform_parse(o->platform, &c.platform, err)) < 0)
                return r;
        c.scope = xasprintf("repository:%s:pull", src->path);
        if ((r = registry_session_open(src->domain, repository, o, conf, &sess, err)) < 0 ||
            (r = registry_ping(sess, err)) < 0)
                goto out;
        c.sess = sess;
        if (o->all_tags) {
                r = pull_all_tags(&c, ref, results, n, err);
        } else {
                *results = xzalloc(2 * sizeof(**results));
                if ((r = pull_one(&c, true, &(*results)[0], err)) == 0)
                        *n = 1;
        }
out:
        if (r < 0 && c.wrote)
                store_discard_unreferenced(s);
        platform_clear(&c.platform);
        free(c.scope);
        return r;
}

static void results_free(struct registry_pull_result *results, size_t n)
{
        for (size_t i = 0; results != NULL && i < n; i++)
                registry_pull_result_clear(&results[i]);
        free(results);
}

/* The mirror's name for ref: the entry's location in front of the repository replaced by the mirror's. */
static int mirror_ref(const struct registry_entry *entry, const struct registry_mirror *m, const struct image_ref *ref,
                      struct image_ref *out, berth_error *err)
{
        cleanup_free char *repository = image_ref_repository(ref), *name = NULL;
        size_t n = strlen(entry->location);

        while (n > 0 && entry->location[n - 1] == '/')
                n--;
        name = xasprintf("%s%s%s%s", m->location, repository + n, ref->digest ? "@" : ":",
                         ref->digest ? ref->digest : ref->tag);
        return image_ref_parse(name, true, out, err);
}

/* A pull through the mirrors of ref's registries.conf entry, in order, then from ref's own registry
 * (containers-registries.conf's rule; pulls only). A mirror that fails is a line on the output naming it and
 * why, then the next is tried. -a pulls from the registry itself. */
static int pull_mirrored(struct image_store *s, struct image_ref *ref, const struct registry_options *o,
                         const struct registries_conf *conf, struct registry_pull_result **results, size_t *n,
                         berth_error *err)
{
        cleanup_free char *repository = image_ref_repository(ref);
        const struct registry_entry *entry = registries_conf_find(conf, repository);

        if (entry != NULL && !o->all_tags && !str_has_prefix(entry->location, "*.")) {
                for (size_t i = 0; i < entry->n_mirrors; i++) {
                        const struct registry_mirror *m = &entry->mirrors[i];
                        cleanup_image_ref struct image_ref src = {0};
                        cleanup_free char *src_repo = NULL;
                        const struct registry_entry *own;
                        struct registry_entry one = {0};
                        struct registries_conf mconf = {.entries = &one, .n = 1};
                        berth_error e = {0};
                        int r;

                        if ((r = mirror_ref(entry, m, ref, &src, err)) < 0)
                                return berth_error_prefix(err, "mirror %s: ", m->location);
                        /* The mirror's own insecure, or its registry's entry. */
                        src_repo = image_ref_repository(&src);
                        own = registries_conf_find(conf, src_repo);
                        one.location = m->location;
                        one.insecure = m->insecure || (own != NULL && own->insecure);
                        r = pull_from(s, ref, &src, o, &mconf, results, n, &e);
                        if (r == 0 || r == -ECANCELED) {
                                if (r < 0)
                                        berth_failf(err, e.code, "%s", berth_error_message(&e));
                                berth_error_clear(&e);
                                return r;
                        }
                        results_free(*results, *n);
                        *results = NULL;
                        *n = 0;
                        registry_emit_line(o, "mirror %s: %s: trying %s", m->location, berth_error_message(&e),
                                           i + 1 < entry->n_mirrors ? entry->mirrors[i + 1].location : ref->domain);
                        berth_error_clear(&e);
                }
        }
        return pull_from(s, ref, ref, o, conf, results, n, err);
}

/* The references to try: the name itself when it names its registry, else one per unqualified-search
 * registry (podman), else Docker Hub (docker). */
static char **candidates(const char *name, const struct registries_conf *conf)
{
        char **out = xzalloc(sizeof(char *));

        if (!reference_is_qualified(name)) {
                /* [aliases]: the short name (without its tag or digest) stands for one fully qualified name. */
                size_t n = strcspn(name, "@");
                const char *colon = memchr(name, ':', n);
                cleanup_free char *repo = xstrndup(name, colon ? (size_t) (colon - name) : n);
                const char *alias = registries_conf_alias(conf, repo);
                if (alias != NULL) {
                        cleanup_free char *full = xasprintf("%s%s", alias, name + strlen(repo));
                        return strv_append(out, full);
                }
        }
        if (reference_is_qualified(name) || conf->search == NULL || conf->search[0] == NULL)
                return strv_append(out, name);
        for (char **r = conf->search; *r != NULL; r++) {
                cleanup_free char *full = xasprintf("%s/%s", *r, name);
                out = strv_append(out, full);
        }
        return out;
}

int registry_pull(struct image_store *s, const char *name, const struct registry_options *o,
                  struct registry_pull_result **results, size_t *n, berth_error *err)
{
        cleanup_regconf struct registries_conf conf = {0};
        cleanup_strv char **tries = NULL;
        cleanup_free char *errors = NULL;
        int r = 0;

        *results = NULL;
        *n = 0;
        if ((r = registries_conf_load(o->store_root, &conf, err)) < 0)
                return r;
        tries = candidates(name, &conf);
        for (char **t = tries; *t != NULL; t++) {
                cleanup_image_ref struct image_ref ref = {0};
                berth_error e = {0};
                bool defaulted;

                if ((r = image_ref_parse(*t, !o->all_tags, &ref, err)) < 0)
                        return r;
                if (o->all_tags && (ref.tag != NULL || ref.digest != NULL))
                        return berth_failf(err, EINVAL, "tag can't be used with --all-tags/-a");
                defaulted = !o->all_tags && ref.digest == NULL && strchr(strrchr(*t, '/') ? strrchr(*t, '/') : *t, ':') == NULL;
                if (defaulted && t == tries)
                        registry_emit_line(o, "Using default tag: %s", REFERENCE_DEFAULT_TAG);
                r = pull_mirrored(s, &ref, o, &conf, results, n, &e);
                if (r == 0) {
                        berth_error_clear(&e);
                        return 0;
                }
                results_free(*results, *n);
                *results = NULL;
                *n = 0;
                if (tries[1] == NULL || r == -ECANCELED) {
                        berth_failf(err, e.code, "%s", berth_error_message(&e));
                        berth_error_clear(&e);
                        return r;
                }
                /* Unqualified search: on to the next registry; all their errors if none has it. */
                char *more = xasprintf("%s%s%s: %s", errors ? errors : "", errors ? "; " : "", ref.domain,
                                       berth_error_message(&e));
                free(errors);
                errors = more;
                berth_error_clear(&e);
        }
        return berth_failf(err, ENOENT, "%s: not found in the unqualified-search registries: %s", name, errors);
}
