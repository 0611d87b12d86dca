/* berth run / berth create: docker's flags (cmd_run_flags.c) into a container; run then starts it, and in the
 * foreground attaches to it from its first byte (a socketpair handed to the monitor), forwards signals,
 * and returns its exit code (125 for berth's own failures, 126/127 when the command cannot run). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/attach.h"
#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/monitor/protocol.h"
#include "lib/util.h"

/* The image first (present, or pulled: engine/pull.h), then the container. RUN_IMAGE_FORWARD: the lean
 * berth must hand the command to berth-full (nothing was made). */
static int create_from_flags(struct berth_cli *cli, struct engine *e, struct run_flags *f, char **id, berth_error *err)
{
        cleanup_free char *image_id = NULL;
        struct engine_create_request req = {
                .image = f->image,
                .name = f->name,
                .config = f->config,
                .host_config = f->host_config,
        };
        int r = run_image_ensure(cli, e, f, &image_id, err);

        if (r != 0)
                return r;
        req.image_id = image_id;
        return engine_container_create(e, &req, id, err);
}

/* Hands the command to berth-full when the image must be pulled first; the engine is closed before. */
static int created_or_forward(struct berth_cli *cli, struct engine **e, struct run_flags *f, char **id,
                              berth_error *err)
{
        int r;

        if ((r = cli_engine_open(cli, e, err)) < 0)
                return r;
        r = create_from_flags(cli, *e, f, id, err);
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
        cleanup_free char *id = NULL;
        struct run_flags f;
        int r = run_flags_parse(cli, argc, argv, false, &f);

        if (r != 0) {
                run_flags_clear(&f);
                return r == 1 ? 0 : r;
        }
        if (created_or_forward(cli, &e, &f, &id, &err) < 0) {
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        printf("%s\n", id);
        run_flags_clear(&f);
        return 0;
}

static void reap_monitor(void)
{
        /* The monitor was forked by us; it has finished (or handed over to its exit command). */
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                ;
}

static int run_attached(struct engine *e, struct run_flags *f, const char *id, berth_error *err)
{
        const char *policy = json_string_value(json_object_get(json_object_get(f->host_config, "RestartPolicy"), "Name"));
        bool client_cleans_up = policy == NULL || strcmp(policy, "no") == 0;
        struct engine_start_options opts = {.attach_fd = -1};
        struct engine_attach a = {
                .tty = json_is_true(json_object_get(f->config, "Tty")),
                .sig_proxy = f->sig_proxy,
                .detach_keys = f->attach_stdin,
        };
        bool already = false, detached = false;
        int sv[2], exit_code = 0, r;

        a.flags = (f->attach_stdin ? ATTACH_WANT_STDIN : 0) | (f->attach_stdout ? ATTACH_WANT_STDOUT : 0) |
                  (f->attach_stderr ? ATTACH_WANT_STDERR : 0) | (client_cleans_up ? ATTACH_CLIENT_CLEANS_UP : 0) |
                  (json_is_true(json_object_get(f->config, "StdinOnce")) ? ATTACH_STDIN_ONCE : 0);
        if (engine_attach_pair(&a, &opts.attach_fd, err) < 0)
                return -CLI_EXIT_ERROR;
        sv[0] = a.fd;
        sv[1] = opts.attach_fd;
        /* Signals for the container are queued from now on, not lost while it starts. */
        if (f->sig_proxy && !a.tty)
                engine_attach_block_signals();
        r = engine_container_start(e, id, &opts, &already, err);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                int code = engine_exit_code_for_error(err);
                if (f->rm) {
                        berth_error ignored = {0};
                        engine_container_remove(e, id, true, true, &ignored);
                        berth_error_clear(&ignored);
                }
                return -code;
        }
        r = engine_attach_run(&a, &exit_code, &detached, err);
        close(sv[0]);
        if (detached)
                return 0;
        if (r < 0)
                return -CLI_EXIT_ERROR;
        if (client_cleans_up) {
                reap_monitor();
                if (engine_container_finish(e, id, f->rm, err) < 0)
                        return -CLI_EXIT_ERROR;
        }
        return exit_code;
}

int cmd_run(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_free char *id = NULL;
        struct run_flags f;
        bool already = false;
        int r;

        r = run_flags_parse(cli, argc, argv, true, &f);
        if (r != 0) {
                run_flags_clear(&f);
                return r == 1 ? 0 : r;
        }
        if (created_or_forward(cli, &e, &f, &id, &err) < 0) {
                run_flags_clear(&f);
                return cli_fail(cli, &err);
        }
        if (f.detach) {
                struct engine_start_options opts = {.attach_fd = -1};
                if (engine_container_start(e, id, &opts, &already, &err) < 0) {
                        int code = engine_exit_code_for_error(&err);
                        fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                        if (f.rm) {
                                berth_error ignored = {0};
                                engine_container_remove(e, id, true, true, &ignored);
                                berth_error_clear(&ignored);
                        }
                        run_flags_clear(&f);
                        return code;
                }
                printf("%s\n", id);
                run_flags_clear(&f);
                return 0;
        }
        r = run_attached(e, &f, id, &err);
        run_flags_clear(&f);
        if (r < 0) {
                fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                return -r;
        }
        return r;
}
