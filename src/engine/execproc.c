#include "engine/execproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/create.h"
#include "engine/events.h"
#include "engine/list.h"
#include "lib/cleanup.h"
#include "runtime/foreground.h"
#include "engine/reconcile.h"
#include "runtime/spec.h"
#include "engine/user.h"
#include "lib/util.h"

#include "runtime/exec.h" /* the runtime library's container_exec */

/* env: the container's, then the request's; a request variable replaces one of the same name. */
static char **merge_env(char **base, char **extra)
{
        char **env = strv_dup(base);

        for (char **x = extra; x && *x; x++) {
                size_t klen = strcspn(*x, "=");
                bool replaced = false;
                for (char **o = env; *o; o++)
                        if (strncmp(*o, *x, klen) == 0 && (*o)[klen] == '=') {
                                free(*o);
                                *o = xstrdup(*x);
                                replaced = true;
                                break;
                        }
                if (!replaced)
                        env = strv_append(env, *x);
        }
        return env;
}

static int apply_user(struct engine *e, const char *id, const char *user, struct spec_process *p, berth_error *err)
{
        cleanup_free char *rootfs = xasprintf("%s/snapshots/%s/merged", e->store->root, id);
        cleanup_close int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct engine_user u = {0};
        int r;

        if (rootfd < 0)
                return berth_fail(err, errno, "open %s", rootfs);
        if ((r = engine_user_resolve(rootfd, user, &u, err)) < 0)
                return r;
        p->user.uid = u.uid;
        p->user.gid = u.gid;
        free(p->user.additional_gids);
        p->user.additional_gids = xmalloc((u.n_groups + 1) * sizeof(gid_t));
        for (size_t i = 0; i < u.n_groups; i++)
                p->user.additional_gids[i] = u.groups[i];
        p->user.n_additional_gids = u.n_groups;
        engine_user_clear(&u);
        return 0;
}

static uint64_t all_capabilities(void)
{
        cleanup_free char *status = NULL;
        unsigned long long v = 0;
        const char *line;

        /* Every capability we have ourselves (docker exec --privileged). */
        if (read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL, NULL) == 0 &&
            (line = strstr(status, "CapBnd:")) != NULL)
                sscanf(line + 7, "%llx", &v);
        return (uint64_t) v;
}

static int build_process(struct engine *e, const struct engine_container *c, const struct engine_exec_request *req,
                         struct spec_process *p, berth_error *err)
{
        int r;

        if ((r = exec_default_process(&e->rt, c->id, p, err)) < 0)
                return r;
        strv_free(p->args);
        p->args = strv_dup(req->argv);
        if (req->env != NULL) {
                char **env = merge_env(p->env, req->env);
                strv_free(p->env);
                p->env = env;
        }
        if (req->workdir != NULL && *req->workdir) {
                free(p->cwd);
                p->cwd = xstrdup(req->workdir);
        }
        if (req->user != NULL && *req->user && (r = apply_user(e, c->id, req->user, p, err)) < 0)
                return r;
        p->terminal = req->tty;
        if (req->privileged) {
                uint64_t all = all_capabilities();
                p->capabilities.present = true;
                p->capabilities.bounding = p->capabilities.effective = p->capabilities.permitted = all;
        }
        return 0;
}

/* docker's exec events: "exec_create: CMD ARGS", "exec_start: CMD ARGS", "exec_die" with exitCode, each with
 * the exec's execID. Health probes make none (docker's health checks are not user execs here). */
static void exec_event(struct engine *e, const struct engine_container *c, const char *action, char **argv,
                       const char *exec_id, int code)
{
        cleanup_free char *text = xstrdup(action);
        json_t *extra = json_pack("{s:s}", "execID", exec_id);

        if (argv != NULL) {
                for (char **a = argv; *a; a++) {
                        char *n = xasprintf("%s%s %s", text, a == argv ? ":" : "", *a);
                        free(text);
                        text = n;
                }
        }
        if (code >= 0) {
                char s[16];
                snprintf(s, sizeof(s), "%d", code);
                json_object_set_new(extra, "exitCode", json_string(s));
        }
        engine_event_container(e, c, text, extra);
}

/* After the detach sequence: a process of ours, in a session of its own, keeps the terminal's master open
 * (a closed master would hang the process up) and reads what the process writes, as docker's daemon holds
 * a detached exec's streams, until the last slave closes. */
static void hold_terminal(int master)
{
        sigset_t none;
        int ready[2];
        pid_t pid;
        char c = 0;

        if (master < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid != 0) {
                /* Ours returns once the holder has its own session: the hangup of our terminal, when the caller
                 * goes, must not reach it. A failed fork leaves the process to its hangup, as a closed session. */
                close(ready[1]);
                if (pid > 0)
                        while (read(ready[0], &c, 1) < 0 && errno == EINTR)
                                ;
                close(ready[0]);
                return;
        }
        close(ready[0]);
        setsid();
        signal(SIGHUP, SIG_IGN); /* also drops one already pending */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        (void) !write(ready[1], &c, 1);
        close(ready[1]);
        {
                int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd >= 0) {
                        dup2(null_fd, STDIN_FILENO);
                        dup2(null_fd, STDOUT_FILENO);
                        dup2(null_fd, STDERR_FILENO);
                }
        }
        /* Only the master: no store, database or lock fd of ours outlives the command in it. */
        if (dup2(master, 3) < 0)
                _exit(1);
        close_range(4, ~0U, 0);
        for (;;) {
                char buf[4096];
                ssize_t n = read(3, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(0);
        }
}

int engine_container_exec(struct engine *e, const char *id, const struct engine_exec_request *req, int *exit_code,
                          berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct spec_process p = {0};
        struct exec_options opts = {.id = id, .process = &p, .want_terminal_master = req->tty && !req->detach};
        struct exec_result res = {.terminal_master = -1};
        struct engine_attach keys = {0};
        cleanup_free char *exec_id = engine_new_id();
        int null_fd = -1, r;

        *exit_code = 0;
        if (req->detach_keys != NULL && (!req->tty || !req->interactive || req->detach))
                return berth_failf(err, EINVAL, "--detach-keys needs an interactive terminal session (-i -t, without -d): "
                                                "only there are they read");
        /* docker: an interactive terminal session detaches on ctrl-p ctrl-q unless told other keys. */
        if (req->tty && req->interactive && !req->detach &&
            (r = engine_detach_keys_parse(req->detach_keys, &keys, err)) < 0)
                return r;
        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (c->status == ENGINE_PAUSED)
                return berth_failf(err, EINVAL, "Container %s is paused, unpause the container before exec", id);
        if (c->status != ENGINE_RUNNING)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        if ((r = build_process(e, c, req, &p, err)) < 0)
                goto out;
        /* The process gets our stdio: nothing for -d, no stdin without -i (docker). */
        if (req->detach || !req->interactive) {
                null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd < 0) {
                        r = berth_fail(err, errno, "open /dev/null");
                        goto out;
                }
                dup2(null_fd, STDIN_FILENO);
                if (req->detach) {
                        dup2(null_fd, STDOUT_FILENO);
                        dup2(null_fd, STDERR_FILENO);
                }
        }
        if (!req->detach && (r = foreground_block_signals(err)) < 0)
                goto out;
        exec_event(e, c, "exec_create", req->argv, exec_id, -1);
        if ((r = container_exec(&e->rt, &opts, &res, err)) < 0)
                goto out;
        exec_event(e, c, "exec_start", req->argv, exec_id, -1);
        if (!req->detach) {
                bool detached = false;
                r = foreground_wait_detachable(res.pid, res.terminal_master, keys.keys, keys.n_keys, exit_code,
                                               &detached, err);
                if (r == 0 && detached)
                        hold_terminal(res.terminal_master);
                if (res.terminal_master >= 0)
                        close(res.terminal_master);
                if (r == 0 && detached)
                        fprintf(stderr, "\r\nread escape sequence\r\n"); /* docker's words */
                else if (r == 0)
                        exec_event(e, c, "exec_die", NULL, exec_id, *exit_code);
        }
out:
        if (null_fd >= 0)
                close(null_fd);
        spec_process_clear(&p);
        return r;
}

int engine_container_exec_spawn(struct engine *e, const char *id, const struct engine_exec_request *req, int out_fd,
                                pid_t *pid, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct engine_exec_request plain = *req;
        struct spec_process p = {0};
        struct exec_options opts = {.id = id, .process = &p};
        struct exec_result res = {.terminal_master = -1};
        int saved[3] = {-1, -1, -1}, null_fd = -1, r;

        plain.tty = plain.interactive = plain.detach = false;
        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (c->status != ENGINE_RUNNING)
                return berth_failf(err, EINVAL, "container %s is not running", id);
        if ((r = build_process(e, c, &plain, &p, err)) < 0)
                goto out;
        /* The runtime hands the process our stdio: ours is lent for the call and given back. */
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0) {
                r = berth_fail(err, errno, "open /dev/null");
                goto out;
        }
        for (int i = 0; i < 3; i++)
                saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
        dup2(null_fd, STDIN_FILENO);
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
        r = container_exec(&e->rt, &opts, &res, err);
        for (int i = 0; i < 3; i++)
                if (saved[i] >= 0) {
                        dup2(saved[i], i);
                        close(saved[i]);
                }
        if (r == 0)
                *pid = res.pid;
out:
        if (null_fd >= 0)
                close(null_fd);
        spec_process_clear(&p);
        return r;
}

/* ---- the API's exec ---- */

int engine_exec_check(struct engine *e, const char *ref, char **argv, char **container_id, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if (argv == NULL || argv[0] == NULL)
                return berth_failf(err, EINVAL, "No exec command specified");
        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        if (c->status == ENGINE_PAUSED)
                return berth_failf(err, EBUSY, "Container %s is paused, unpause the container before exec", c->id);
        if (c->status != ENGINE_RUNNING)
                return berth_failf(err, EBUSY, "Container %s is not running", c->id);
        *container_id = xstrdup(c->id);
        return 0;
}
