/* run: create, attach, start, wait, --rm (run.h). The client attached from the first byte is a socketpair
 * handed to the monitor before it exists (engine_attach_pair), so no output is lost and signals sent
 * while the container starts are queued, not dropped. */
#include "engine/run.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/events.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/monitor/protocol.h"
#include "engine/reconcile.h"
#include "lib/util.h"

void engine_run_result_clear(struct engine_run_result *r)
{
        free(r->id);
        r->id = NULL;
}

static bool auto_remove(const struct engine_run_options *o)
{
        return json_is_true(json_object_get(o->create.host_config, "AutoRemove"));
}

/* The container could not start: docker's code for why, and an AutoRemove container goes. */
static int start_failed(struct engine *e, const struct engine_run_options *o, struct engine_run_result *res, int r,
                        berth_error *err)
{
        res->exit_code = engine_exit_code_for_error(err);
        if (auto_remove(o)) {
                berth_error ignored = {0};
                engine_container_remove(e, res->id, true, true, &ignored);
                berth_error_clear(&ignored);
        }
        return r;
}

static int run_attached(struct engine *e, const struct engine_run_options *o, struct engine_run_result *res,
                        berth_error *err)
{
        const char *policy = json_string_value(json_object_get(json_object_get(o->create.host_config, "RestartPolicy"), "Name"));
        /* With a restart policy the monitor's exit command decides what follows an exit; else we do. */
        bool client_cleans_up = policy == NULL || strcmp(policy, "no") == 0;
        pid_t monitor = 0;
        struct engine_start_options start = {.attach_fd = -1, .monitor_pid = &monitor};
        struct engine_attach a = {
                .tty = json_is_true(json_object_get(o->create.config, "Tty")),
                .sig_proxy = o->sig_proxy,
                .detach_keys = o->attach_stdin,
        };
        (void) engine_detach_keys_parse(o->detach_keys, &a, NULL); /* checked before create */
        bool already = false;
        int r;

        a.flags = (o->attach_stdin ? ATTACH_WANT_STDIN : 0) | (o->attach_stdout ? ATTACH_WANT_STDOUT : 0) |
                  (o->attach_stderr ? ATTACH_WANT_STDERR : 0) | (client_cleans_up ? ATTACH_CLIENT_CLEANS_UP : 0) |
                  (json_is_true(json_object_get(o->create.config, "StdinOnce")) ? ATTACH_STDIN_ONCE : 0);
        if ((r = engine_attach_pair(&a, &start.attach_fd, err)) < 0) {
                res->exit_code = ENGINE_EXIT_ERROR;
                return r;
        }
        /* Signals for the container are queued from now on, not lost while it starts. */
        if (o->sig_proxy && !a.tty)
                engine_attach_block_signals();
        r = engine_container_start(e, res->id, &start, &already, err);
        close(start.attach_fd);
        if (r < 0) {
                close(a.fd);
                return start_failed(e, o, res, r, err);
        }
        r = engine_attach_run(&a, &res->exit_code, &res->detached, err);
        close(a.fd);
        if (res->detached)
                return 0;
        if (r < 0) {
                res->exit_code = ENGINE_EXIT_ERROR;
                return r;
        }
        if (client_cleans_up) {
                /* The monitor is our child; it has recorded the exit and is ending. */
                while (monitor > 0 && waitpid(monitor, NULL, 0) < 0 && errno == EINTR)
                        ;
                if ((r = engine_container_finish(e, res->id, auto_remove(o), err)) < 0) {
                        res->exit_code = ENGINE_EXIT_ERROR;
                        return r;
                }
        }
        return 0;
}

int engine_container_run(struct engine *e, const struct engine_run_options *opts, struct engine_run_result *res,
                         berth_error *err)
{
        int r;

        res->id = NULL;
        res->exit_code = ENGINE_EXIT_ERROR;
        res->detached = false;
        {
                struct engine_attach check = {0};
                if ((r = engine_detach_keys_parse(opts->detach_keys, &check, err)) < 0)
                        return r;
        }
        if ((r = engine_container_create(e, &opts->create, &res->id, err)) < 0)
                return r;
        if (opts->created != NULL)
                opts->created(res->id, opts->created_data);
        if (opts->detach) {
                struct engine_start_options start = {.attach_fd = -1};
                bool already = false;
                if ((r = engine_container_start(e, res->id, &start, &already, err)) < 0)
                        return start_failed(e, opts, res, r, err);
                res->exit_code = 0;
                return 0;
        }
        return run_attached(e, opts, res, err);
}

/* start -a and the builder's steps: OUTPUT, our stdout/stderr get the container's; INTERACTIVE, our stdin
 * goes to it and the detach keys detach. */
static int start_attached(struct engine *e, const char *id, bool output, bool interactive, const char *detach_keys,
                          struct engine_run_result *res, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct engine_start_options start = {.attach_fd = -1};
        struct engine_attach a = {.sig_proxy = true};
        bool already = false;
        int r;

        res->id = xstrdup(id);
        res->exit_code = ENGINE_EXIT_ERROR;
        res->detached = false;
        if ((r = engine_detach_keys_parse(detach_keys, &a, err)) < 0 || (r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        a.tty = json_is_true(json_object_get(c->config, "Tty"));
        a.detach_keys = interactive;
        a.flags = (output ? ATTACH_WANT_STDOUT | ATTACH_WANT_STDERR : 0) |
                  (interactive && json_is_true(json_object_get(c->config, "OpenStdin")) ? ATTACH_WANT_STDIN : 0);
        if ((r = engine_attach_pair(&a, &start.attach_fd, err)) < 0)
                return r;
        if (!a.tty)
                engine_attach_block_signals();
        r = engine_container_start(e, id, &start, &already, err);
        close(start.attach_fd);
        if (r < 0) {
                close(a.fd);
                res->exit_code = engine_exit_code_for_error(err);
                return r;
        }
        if (already) {
                /* Running already: attach through its socket instead. */
                close(a.fd);
                if ((r = engine_attach_connect(e, id, &a.fd, err)) < 0)
                        return r;
                a.hello_sent = false;
        }
        r = engine_attach_run(&a, &res->exit_code, &res->detached, err);
        close(a.fd);
        if (r < 0)
                res->exit_code = ENGINE_EXIT_ERROR;
        return r;
}

int engine_container_start_attached(struct engine *e, const char *id, bool interactive, const char *detach_keys,
                                    struct engine_run_result *res, berth_error *err)
{
        return start_attached(e, id, true, interactive, detach_keys, res, err);
}

int engine_container_run_step(struct engine *e, const char *id, bool output, struct engine_run_result *res,
                              berth_error *err)
{
        return start_attached(e, id, output, false, NULL, res, err);
}

int engine_container_attach(struct engine *e, const char *ref, const struct engine_attach_options *opts,
                            struct engine_run_result *res, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct engine_attach a = {.fd = -1, .sig_proxy = opts->sig_proxy};
        int r;

        res->id = NULL;
        res->exit_code = ENGINE_EXIT_ERROR;
        res->detached = false;
        if ((r = engine_detach_keys_parse(opts->detach_keys, &a, err)) < 0 || (r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        res->id = xstrdup(c->id);
        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "You cannot attach to a stopped container, start it first");
        a.tty = json_is_true(json_object_get(c->config, "Tty"));
        a.detach_keys = !opts->no_stdin && json_is_true(json_object_get(c->config, "OpenStdin"));
        a.flags = ATTACH_WANT_STDOUT | ATTACH_WANT_STDERR | (a.detach_keys ? ATTACH_WANT_STDIN : 0) |
                  (a.detach_keys && json_is_true(json_object_get(c->config, "StdinOnce")) ? ATTACH_STDIN_ONCE : 0);
        if ((r = engine_attach_connect(e, c->id, &a.fd, err)) < 0)
                return r;
        engine_event_container(e, c, "attach", NULL);
        if (!a.tty && a.sig_proxy)
                engine_attach_block_signals();
        r = engine_attach_run(&a, &res->exit_code, &res->detached, err);
        close(a.fd);
        if (r < 0)
                res->exit_code = ENGINE_EXIT_ERROR;
        return r;
}
