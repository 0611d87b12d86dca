/* The image `run` and `create` use: engine/pull.h decides and pulls; this file only wires the flags and the
 * progress display (docker's: on stderr, so that the container's own output stays alone on stdout). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/pull.h"
#ifdef BERTH_FULL
#include "cli/berth/registry_cli.h"
#endif

#ifdef BERTH_FULL
static int registry_flag_code(const char *name)
{
        if (strcmp(name, "authfile") == 0)
                return REGISTRY_OPT_AUTHFILE;
        if (strcmp(name, "cert-dir") == 0)
                return REGISTRY_OPT_CERT_DIR;
        if (strcmp(name, "creds") == 0)
                return REGISTRY_OPT_CREDS;
        return REGISTRY_OPT_TLS_VERIFY;
}

int run_image_ensure(struct berth_cli *cli, struct engine *e, const struct run_flags *f, char **image_id,
                     berth_error *err)
{
        struct engine_image_request req = {.ref = f->image, .pull = f->pull, .platform = f->platform};
        struct registry_options o;
        struct progress_display *display = NULL;
        int r;

        registry_cli_init(&o);
        for (size_t i = 0; i < f->n_registry_flags; i++)
                if (registry_cli_option(cli, registry_flag_code(f->registry_flags[i].name), f->registry_flags[i].value, &o) < 0)
                        return berth_failf(err, EINVAL, "invalid --%s", f->registry_flags[i].name);
        o.store_root = e->store->root;
        if (!f->quiet) {
                display = progress_display_new(stderr, isatty(STDERR_FILENO));
                o.event = progress_display_event;
                o.event_data = display;
        }
        /* Ctrl-C during the pull: the transfers stop and the store is cleaned up, then berth dies of it. */
        o.cancel = registry_cli_catch_signals();
        r = engine_image_ensure(e, &req, &o, image_id, err);
        progress_display_free(display);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (r == -ECANCELED && registry_cli_caught_signal())
                registry_cli_exit_signal();
        return r;
}
#else
int run_image_ensure(struct berth_cli *cli, struct engine *e, const struct run_flags *f, char **image_id,
                     berth_error *err)
{
        struct engine_image_request req = {.ref = f->image, .pull = f->pull, .platform = f->platform};
        enum engine_image_decision d;
        int r;

        (void) cli;
        if ((r = engine_image_decide(e, &req, &d, image_id, err)) < 0)
                return r;
        if (d == ENGINE_IMAGE_PRESENT)
                return 0;
        /* A pull (or a platform check) needs the registry client: berth-full does the whole command. */
        free(*image_id);
        *image_id = NULL;
        return RUN_IMAGE_FORWARD;
}
#endif
