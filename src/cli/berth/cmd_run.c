/* berth run / berth create: docker's flags (cmd_run_flags.c), the image (run_image.c: present, or pulled by
 * the engine, engine/pull.h), then one engine operation (engine/run.h, engine/create.h) whose result is
 * printed: the id, or the container's exit code (125 for berth's own failures, 126/127 when the command
 * cannot run). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/berth/cmd_container.h"
#include "engine/create.h"
#include "engine/run.h"
#include "lib/cleanup.h"

/* Opens the engine and ensures the image. The lean berth hands the command to berth-full when the image must
 * be pulled first (RUN_IMAGE_FORWARD: nothing was made; the engine is closed before). */
static int open_with_image(struct berth_cli *cli, struct engine **e, struct run_flags *f, char **image_id,
                           berth_error *err)
{
        int r;

        if ((r = cli_engine_open(cli, e, err)) < 0)
                return r;
        r = run_image_ensure(cli, *e, f, image_id, err);
        if (r == RUN_IMAGE_FORWARD) {
                engine_close(*e);
                *e = NULL;
                run_flags_clear(f);
                exit(cli_forward_to_full(cli));
        }
        return r;
}

int cmd_create(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *id = NULL, *image_id = NULL;
        struct run_flags f;
        int r = run_flags_parse(cli, argc, argv, false, &f);

        if (r != 0) {
                run_flags_clear(&f);
                return r == 1 ? 0 : r;
        }
        if (open_with_image(cli, &e, &f, &image_id, &err) < 0) {
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        struct engine_create_request req = {
                .image = f.image, .image_id = image_id, .name = f.name, .config = f.config, .host_config = f.host_config,
        };
        if (engine_container_create(e, &req, &id, &err) < 0) {
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        printf("%s\n", id);
        run_flags_clear(&f);
        return 0;
}

int cmd_run(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *image_id = NULL;
        struct engine_run_result res = {0};
        struct run_flags f;
        int r;

        r = run_flags_parse(cli, argc, argv, true, &f);
        if (r != 0) {
                run_flags_clear(&f);
                return r == 1 ? 0 : r;
        }
        if (open_with_image(cli, &e, &f, &image_id, &err) < 0) {
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        struct engine_run_options opts = {
                .create = {.image = f.image, .image_id = image_id, .name = f.name, .config = f.config,
                           .host_config = f.host_config},
                .detach = f.detach,
                .sig_proxy = f.sig_proxy,
                .attach_stdin = f.attach_stdin,
                .attach_stdout = f.attach_stdout,
                .attach_stderr = f.attach_stderr,
        };
        r = engine_container_run(e, &opts, &res, &err);
        run_flags_clear(&f);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                r = res.exit_code;
        } else {
                if (opts.detach)
                        printf("%s\n", res.id);
                r = res.detached ? 0 : res.exit_code;
        }
        engine_run_result_clear(&res);
        return r;
}
