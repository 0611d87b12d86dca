/* The registry client (OCI distribution API v2): pull into and push from the image store, login and logout.
 * This is what the CLI uses; the pieces live in session.h (connections, auth), fetch.h (blob downloads),
 * upload.h (blob uploads), pull.c, push.c, login.c. See docs/registry.md. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "image/store.h"

/* What a pull or push reports as it goes, in the order docker's progress output shows it. */
enum registry_layer_state {
        LAYER_PULLING_FS_LAYER, /* "Pulling fs layer" */
        LAYER_WAITING,          /* "Waiting" */
        LAYER_DOWNLOADING,      /* "Downloading" with bytes */
        LAYER_RETRYING,         /* "Retrying in N seconds" (text) */
        LAYER_VERIFYING,        /* "Verifying Checksum" */
        LAYER_DOWNLOAD_COMPLETE,/* "Download complete" */
        LAYER_EXTRACTING,       /* "Extracting" */
        LAYER_PULL_COMPLETE,    /* "Pull complete" */
        LAYER_ALREADY_EXISTS,   /* "Already exists" */
        LAYER_PREPARING,        /* push: "Preparing" */
        LAYER_PUSHING,          /* "Pushing" with bytes */
        LAYER_PUSHED,           /* "Pushed" */
        LAYER_EXISTS_REMOTE,    /* "Layer already exists" */
        LAYER_MOUNTED,          /* "Mounted from REPO" (text) */
};

struct registry_event {
        enum { REGISTRY_EVENT_LINE, REGISTRY_EVENT_LAYER } kind;
        const char *text;  /* LINE: the whole line; LAYER: the state's argument (repository, seconds) */
        const char *id;    /* LAYER: the blob's first 12 hex digits */
        enum registry_layer_state state;
        uint64_t current, total;
};
typedef void (*registry_event_fn)(void *data, const struct registry_event *ev);

struct registry_options {
        const char *authfile;      /* --authfile; NULL: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG, ~/.docker */
        const char *creds;         /* --creds USER[:PASSWORD], instead of the auth file */
        const char *cert_dir;      /* --cert-dir; NULL: /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST */
        int tls_verify;            /* -1: as configured (insecure registries), 0: --tls-verify=false, 1: true */
        const char *store_root;    /* STORE_ROOT/registries.conf */
        const char *platform;      /* pull: "os/arch[/variant]"; NULL: linux and the host's architecture */
        bool all_tags;             /* -a */
        const volatile sig_atomic_t *cancel; /* set by the CLI's SIGINT handler */
        registry_event_fn event;   /* NULL: quiet */
        void *event_data;
        unsigned parallel;         /* blob transfers at once (0: 3) */
        uint64_t chunk_size;       /* push: larger blobs go in PATCH chunks of this size (0: 16 MiB) */
        unsigned attempts;         /* per blob or request before giving up (0: 5) */
        unsigned backoff_ms;       /* first retry delay, doubled each time (0: 250 ms) */
};

struct registry_pull_result {
        char *digest;    /* what the tag resolved to (an index's digest for a multi-platform image) */
        char *name;      /* "127.0.0.1:5000/busybox:latest" (normalised; the CLI's last line) */
        char *image_id;
        bool up_to_date; /* the name already pointed at this image */
};
void registry_pull_result_clear(struct registry_pull_result *r);

/* docker pull NAME[:TAG|@DIGEST] (or every tag with all_tags: result per tag in *results, *n of them). The
 * store is left as it was on failure, interruption included. */
int registry_pull(struct image_store *s, const char *name, const struct registry_options *o,
                  struct registry_pull_result **results, size_t *n, berth_error *err);

struct registry_push_result {
        char *tag;
        char *digest;
        int64_t size;
};
void registry_push_result_clear(struct registry_push_result *r);

/* docker push NAME[:TAG] (every tag of the repository with all_tags). */
int registry_push(struct image_store *s, const char *name, const struct registry_options *o,
                  struct registry_push_result **results, size_t *n, berth_error *err);

/* docker login: verifies the credentials against the registry (basic or token flow), then saves them (or the
 * identity token the token server gave) in the auth file. server: a registry domain or URL; NULL: Docker Hub.
 * *saved_to: the file written. */
int registry_login(const char *server, const char *username, const char *password, const struct registry_options *o,
                   char **saved_to, berth_error *err);
/* docker logout. *found: whether credentials were there. */
int registry_logout(const char *server, bool all, const struct registry_options *o, bool *found, char **domain_out,
                    berth_error *err);
/* The registry domain a login/logout argument names: "https://127.0.0.1:5000/v2/" -> "127.0.0.1:5000". */
char *registry_server_domain(const char *server);
