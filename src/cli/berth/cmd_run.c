/* berth run / berth create: docker's flags (cmd_run_flags.c), the image (run_image.c: present, or pulled by
 * the engine, engine/pull.h), then one engine operation (engine/run.h, engine/create.h) whose result is
 * printed: the id, or the container's exit code (125 for berth's own failures, 126/127 when the command
 * cannot run). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* --cidfile, as docker: made before the container (refused when it exists: another container may own it),
 * the id written once the container exists, removed when it never did. */
struct cidfile {
        const char *path;
        int fd;
};

static int cidfile_open(struct berth_cli *cli, const char *path, struct cidfile *cf)
{
        cf->path = path;
        cf->fd = -1;
        if (path == NULL)
                return 0;
        cf->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (cf->fd < 0 && errno == EEXIST)
                return cli_flag_error(cli, "Container ID file found, make sure the other container isn't running or delete %s",
                                      path);
        if (cf->fd < 0)
                return cli_flag_error(cli, "failed to create the container ID file: open %s: %s", path, strerror(errno));
        return 0;
}

static void cidfile_created(const char *id, void *data)
{
        struct cidfile *cf = data;

        if (cf->fd >= 0 && write(cf->fd, id, strlen(id)) != (ssize_t) strlen(id))
                fprintf(stderr, "Error: failed to write the container ID to the file: %s: %s\n", cf->path, strerror(errno));
}

/* created: whether the container exists (else the file goes). */
static void cidfile_close(struct cidfile *cf, bool created)
{
        if (cf->fd < 0)
                return;
        close(cf->fd);
        cf->fd = -1;
        if (!created)
                unlink(cf->path);
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
        struct cidfile cf;
        if ((r = cidfile_open(cli, f.cidfile, &cf)) != 0) {
                run_flags_clear(&f);
                return r;
        }
        if (engine_container_create(e, &req, &id, &err) < 0) {
                cidfile_close(&cf, false);
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        cidfile_created(id, &cf);
        cidfile_close(&cf, true);
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
        struct cidfile cf;
        if ((r = cidfile_open(cli, f.cidfile, &cf)) != 0) {
                run_flags_clear(&f);
                return r;
        }
        struct engine_run_options opts = {
                .detach_keys = f.detach_keys,
                .created = cidfile_created,
                .created_data = &cf,
                .create = {.image = f.image, .image_id = image_id, .name = f.name, .config = f.config,
                           .host_config = f.host_config},
                .detach = f.detach,
                .sig_proxy = f.sig_proxy,
                .attach_stdin = f.attach_stdin,
                .attach_stdout = f.attach_stdout,
                .attach_stderr = f.attach_stderr,
        };
        r = engine_container_run(e, &opts, &res, &err);
        cidfile_close(&cf, res.id != NULL);
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
