#include "image/runconfig.h"

#include <errno.h>
#include <string.h>

#include "image/blob.h"
#include "lib/cleanup.h"
#include "image/commit.h"
#include "lib/json.h"
#include "image/manifest.h"
#include "lib/util.h"

void image_run_config_clear(struct image_run_config *c)
{
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        free(c->working_dir);
        free(c->user);
        free(c->stop_signal);
        strv_free(c->volumes);
        strv_free(c->exposed_ports);
        strv_free(c->labels);
        memset(c, 0, sizeof(*c));
}

static int strv_member(json_t *cfg, const char *key, char ***out, berth_error *err)
{
        char **v = NULL;
        int r = json_field_strv(cfg, "config", key, false, &v, err);

        if (r < 0)
                return r;
        *out = v ? v : xzalloc(sizeof(char *));
        return 0;
}

static int string_member(json_t *cfg, const char *key, char **out, berth_error *err)
{
        const char *v = NULL;
        int r = json_field_string(cfg, "config", key, false, &v, err);

        if (r < 0)
                return r;
        *out = xstrdup(v ? v : "");
        return 0;
}

/* Keys of an object ({"80/tcp": {}}) as a vector; with values ("k=v") for labels. */
static int object_member(json_t *cfg, const char *key, bool with_values, char ***out, berth_error *err)
{
        json_t *o = NULL, *v;
        const char *k;
        int r = json_field_object(cfg, "config", key, false, &o, err);

        if (r < 0)
                return r;
        *out = xzalloc(sizeof(char *));
        json_object_foreach(o, k, v) {
                if (with_values) {
                        cleanup_free char *kv = NULL;
                        if (!json_is_string(v))
                                return berth_failf(err, EINVAL, "config.%s.%s: expected a string", key, k);
                        kv = xasprintf("%s=%s", k, json_string_value(v));
                        *out = strv_append(*out, kv);
                } else {
                        *out = strv_append(*out, k);
                }
        }
        return 0;
}

int image_run_config_get(struct image_store *s, const char *image_id, struct image_run_config *c, berth_error *err)
{
        cleanup_config struct image_config ic = {0};
        int r;

        memset(c, 0, sizeof(*c));
        if ((r = image_config_read(s, image_id, &ic, err)) < 0)
                return r;
        return image_run_config_parse(&ic, image_id, c, err);
}

int image_run_config_parse(struct image_config *ic, const char *image_id, struct image_run_config *c, berth_error *err)
{
        json_t *cfg;
        int r;

        memset(c, 0, sizeof(*c));
        cfg = json_object_get(ic->json, "config");
        if (cfg == NULL || json_is_null(cfg))
                cfg = json_object_get(ic->json, "container_config"); /* very old docker configs */
        if (cfg != NULL && !json_is_object(cfg) && !json_is_null(cfg))
                return berth_failf(err, EINVAL, "image %s: config: expected an object", image_id);
        if (cfg == NULL || json_is_null(cfg)) {
                cfg = json_object();
                json_object_set_new(ic->json, "berth-empty-config", cfg);
        }
        if ((r = strv_member(cfg, "Entrypoint", &c->entrypoint, err)) < 0 || (r = strv_member(cfg, "Cmd", &c->cmd, err)) < 0 ||
            (r = strv_member(cfg, "Env", &c->env, err)) < 0 || (r = string_member(cfg, "WorkingDir", &c->working_dir, err)) < 0 ||
            (r = string_member(cfg, "User", &c->user, err)) < 0 ||
            (r = string_member(cfg, "StopSignal", &c->stop_signal, err)) < 0 ||
            (r = object_member(cfg, "Volumes", false, &c->volumes, err)) < 0 ||
            (r = object_member(cfg, "ExposedPorts", false, &c->exposed_ports, err)) < 0 ||
            (r = object_member(cfg, "Labels", true, &c->labels, err)) < 0) {
                image_run_config_clear(c);
                return berth_error_prefix(err, "image %s: ", image_id);
        }
        return 0;
}

/* Here rather than in commit.c: reading a config is light, committing an image unpacks layers. */
int image_config_read(struct image_store *s, const char *config_digest, struct image_config *c, berth_error *err)
{
        cleanup_free char *text = NULL, *what = xasprintf("config %s", config_digest);
        size_t len = 0;
        int r;

        if ((r = store_blob_read(s, config_digest, IMAGE_METADATA_MAX, &text, &len, err)) < 0)
                return r;
        return image_config_parse(what, text, len, c, err);
}
