#include "image/commit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/imagedb.h"
#include "image/layer.h"
#include "lib/util.h"

static int check_layers(const struct image_commit *c, const struct image_config *cfg, berth_error *err)
{
        if (c->n_layers != cfg->n_diff_ids)
                return berth_failf(err, EINVAL, "image %s: the manifest lists %zu layers, the config %zu diff ids",
                                   c->config_digest, c->n_layers, cfg->n_diff_ids);
        return 0;
}

static int check_blobs_present(struct image_store *s, const struct image_commit *c, berth_error *err)
{
        for (size_t i = 0; i < c->n_layers; i++) {
                int64_t size = store_blob_size(s, c->layers[i].digest);
                if (size < 0)
                        return berth_failf(err, ENOENT, "layer %s: blob missing", c->layers[i].digest);
                if (size != c->layers[i].size)
                        return berth_failf(err, EBADMSG, "layer %s: size mismatch: the blob has %lld bytes, the manifest says %lld",
                                           c->layers[i].digest, (long long) size, (long long) c->layers[i].size);
        }
        return 0;
}

int image_commit(struct image_store *s, const struct image_commit *c, char **id_out, berth_error *err)
{
        cleanup_free char *text = NULL;
        cleanup_config struct image_config cfg = {0};
        cleanup_free struct layer_job *jobs = NULL;
        cleanup_free struct image_layer_record *layers = NULL;
        struct image_record rec = {0};
        char chain[DIGEST_STRING_LEN + 1];
        size_t len = 0;
        int64_t total = 0;
        int r;

        if ((r = store_blob_read(s, c->config_digest, IMAGE_METADATA_MAX, &text, &len, err)) < 0)
                return r;
        {
                cleanup_free char *what = xasprintf("config %s", c->config_digest);
                if ((r = image_config_parse(what, text, len, &cfg, err)) < 0)
                        return r;
        }
        if ((r = check_layers(c, &cfg, err)) < 0 || (r = check_blobs_present(s, c, err)) < 0)
                return r;
        jobs = xzalloc((c->n_layers + 1) * sizeof(*jobs));
        for (size_t i = 0; i < c->n_layers; i++) {
                jobs[i].blob_digest = c->layers[i].digest;
                jobs[i].diff_id = cfg.diff_ids[i];
                jobs[i].progress = c->progress;
                jobs[i].progress_data = c->progress_data;
        }
        if ((r = layer_ensure_all(s, jobs, c->n_layers, 2, err)) < 0)
                goto out;

        layers = xzalloc((c->n_layers + 1) * sizeof(*layers));
        for (size_t i = 0; i < c->n_layers; i++) {
                layer_chain_id(i == 0 ? NULL : chain, cfg.diff_ids[i], chain);
                layers[i].diff_id = cfg.diff_ids[i];
                layers[i].chain_id = xstrdup(chain);
                layers[i].blob_digest = c->layers[i].digest;
                layers[i].media_type = c->layers[i].media_type;
                layers[i].blob_size = c->layers[i].size;
                total += jobs[i].size;
        }
        rec.id = (char *) c->config_digest;
        rec.manifest_digest = (char *) c->manifest_digest;
        rec.manifest_media_type = (char *) c->manifest_media_type;
        rec.created = cfg.created;
        rec.size = total;
        rec.loaded = (int64_t) time(NULL);
        rec.architecture = cfg.architecture;
        rec.os = cfg.os;
        rec.names = c->names;
        rec.layers = layers;
        rec.n_layers = c->n_layers;
        r = imagedb_put(s, &rec, err);
        for (size_t i = 0; i < c->n_layers; i++)
                free(layers[i].chain_id);
        if (r == 0 && id_out != NULL)
                *id_out = xstrdup(c->config_digest);
out:
        layer_jobs_clear(jobs, c->n_layers);
        return r;
}

