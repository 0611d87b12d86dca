/* What the engine needs from an image config to run a container (OCI image spec "config" object). */
#pragma once

#include "image/store.h"

struct image_run_config {
        char **entrypoint;    /* NULL-terminated; empty vector when unset */
        char **cmd;
        char **env;           /* "KEY=value" */
        char *working_dir;    /* "" when unset */
        char *user;           /* "" when unset */
        char *stop_signal;    /* "" when unset (the engine's default applies) */
        char **volumes;       /* paths */
        char **exposed_ports; /* "80/tcp" */
        char **labels;        /* "key=value" */
};

void image_run_config_clear(struct image_run_config *c);
#define cleanup_run_config __attribute__((cleanup(image_run_config_clear)))

/* Reads the config of image_id (verified blob) into c. */
int image_run_config_get(struct image_store *s, const char *image_id, struct image_run_config *c, berth_error *err);
/* The same from a parsed config (image_id names it in messages); the fuzz harness's entry point. */
struct image_config;
int image_run_config_parse(struct image_config *ic, const char *image_id, struct image_run_config *c,
                           berth_error *err);
