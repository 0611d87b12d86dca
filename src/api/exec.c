/* Exec: POST /containers/{id}/exec makes an exec instance (the server's memory, as dockerd's), POST
 * /exec/{id}/start runs it, hijacked over HTTP Upgrade (frames without a TTY, raw bytes with one) or detached,
 * GET /exec/{id}/json tells whether it runs and its exit code, POST /exec/{id}/resize sizes its terminal.
 *
 * The process is made by `berth exec`, spawned with pipes (or a terminal of ours) as its stdio and waited for
 * by the thread that relays it. Not in-process: the runtime clones with clone3(2), past glibc's fork
 * handlers, and a clone child of this multi-threaded server could find malloc's lock held by another
 * thread forever (it did: 1 exec in 10 hung with 20 at once). Between fork and execve the child here makes
 * only async-signal-safe calls. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/request.h"
#include "api/sessions.h"
#include "engine/engine.h"
#include "engine/execproc.h"

extern char **environ;

#define RAW_STREAM "application/vnd.docker.raw-stream"
#define MULTIPLEXED_STREAM "application/vnd.docker.multiplexed-stream"
/* Finished exec instances kept for GET /exec/{id}/json; the oldest go first. */
#define FINISHED_KEPT 256

struct api_exec {
        char *id, *container_id, *user, *workdir, *detach_keys;
        char **argv, **env;
        bool tty, attach_stdin, attach_stdout, attach_stderr, privileged;
        bool started, running;
        bool done;     /* ended, or failed to start: its relaying thread no longer refers to it */
        int exit_code; /* -1 until it ends */
        pid_t pid;
        int master;    /* the terminal's master while it runs with one, else -1 */
        unsigned short rows, cols; /* ConsoleSize, 0: none */
        struct api_exec *next;
};

static void exec_free(struct api_exec *x)
{
        free(x->id);
        free(x->container_id);
        free(x->user);
        free(x->workdir);
        free(x->detach_keys);
        strv_free(x->argv);
        strv_free(x->env);
        free(x);
}

void api_execs_free(struct api_server *srv)
{
        while (srv->execs != NULL) {
                struct api_exec *x = srv->execs;
                srv->execs = x->next;
                exec_free(x);
        }
}

/* Under srv->lock. */
static struct api_exec *exec_find_locked(struct api_server *srv, const char *id)
{
        for (struct api_exec *x = srv->execs; x != NULL; x = x->next)
                if (strcmp(x->id, id) == 0)
                        return x;
        return NULL;
}

/* Under srv->lock: the finished instances past FINISHED_KEPT, oldest (last in the list) first. */
static void exec_trim_locked(struct api_server *srv)
{
        size_t finished = 0;

        for (struct api_exec **p = &srv->execs; *p != NULL;) {
                struct api_exec *x = *p;
                if (x->done && ++finished > FINISHED_KEPT) {
                        *p = x->next;
                        exec_free(x);
                        continue;
                }
                p = &x->next;
        }
}

static int strings_field(const json_t *body, const char *key, char ***out, berth_error *err)
{
        json_t *v = json_object_get(body, key), *s;
        size_t i;

        *out = NULL;
        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return berth_failf(err, EINVAL, "ExecConfig.%s: expected an array of strings", key);
        json_array_foreach(v, i, s) {
                if (!json_is_string(s)) {
                        strv_free(*out);
                        *out = NULL;
                        return berth_failf(err, EINVAL, "ExecConfig.%s[%zu]: expected a string", key, i);
                }
                *out = strv_append(*out, json_string_value(s));
        }
        return 0;
}

static int bool_field(const json_t *body, const char *key, bool *out, berth_error *err)
{
        return api_field_bool(body, "ExecConfig", key, out, err);
}

/* A string field, copied; empty is not given (NULL). */
static int string_field(const json_t *body, const char *key, char **out, berth_error *err)
{
        const char *v;
        int r;

        *out = NULL;
        if ((r = api_field_string(body, "ExecConfig", key, &v, err)) < 0)
                return r;
        *out = v != NULL && *v != '\0' ? xstrdup(v) : NULL;
        return 0;
}

/* ConsoleSize: [height, width], or null. */
static int console_size(const json_t *body, unsigned short *rows, unsigned short *cols, berth_error *err)
{
        json_t *v = json_object_get(body, "ConsoleSize");

        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(json_array_get(v, 0)) ||
            !json_is_integer(json_array_get(v, 1)) || json_integer_value(json_array_get(v, 0)) < 0 ||
            json_integer_value(json_array_get(v, 0)) > 65535 || json_integer_value(json_array_get(v, 1)) < 0 ||
            json_integer_value(json_array_get(v, 1)) > 65535)
                return berth_failf(err, EINVAL, "ConsoleSize: expected [height, width]");
        *rows = (unsigned short) json_integer_value(json_array_get(v, 0));
        *cols = (unsigned short) json_integer_value(json_array_get(v, 1));
        return 0;
}

static int exec_decode(const json_t *body, struct api_exec *x, berth_error *err)
{
        cleanup_free char *detach_keys = NULL;
        int r;

        if (!json_is_object(body))
                return berth_failf(err, EINVAL, "the exec's configuration must be a JSON object");
        if ((r = strings_field(body, "Cmd", &x->argv, err)) < 0 || (r = strings_field(body, "Env", &x->env, err)) < 0 ||
            (r = bool_field(body, "AttachStdin", &x->attach_stdin, err)) < 0 ||
            (r = bool_field(body, "AttachStdout", &x->attach_stdout, err)) < 0 ||
            (r = bool_field(body, "AttachStderr", &x->attach_stderr, err)) < 0 ||
            (r = bool_field(body, "Tty", &x->tty, err)) < 0 || (r = bool_field(body, "Privileged", &x->privileged, err)) < 0 ||
            (r = string_field(body, "User", &x->user, err)) < 0 || (r = string_field(body, "WorkingDir", &x->workdir, err)) < 0 ||
            (r = string_field(body, "DetachKeys", &detach_keys, err)) < 0 || (r = console_size(body, &x->rows, &x->cols, err)) < 0)
                return r;
        for (char **e = x->env; e && *e; e++)
                if (strchr(*e, '=') == NULL || **e == '=')
                        return berth_failf(err, EINVAL, "ExecConfig.Env: %s is not KEY=VALUE", *e);
        /* Read by berth exec in an interactive terminal session only (as docker: ctrl-p,ctrl-q by default there). */
        if (detach_keys != NULL && !(x->tty && x->attach_stdin))
                return berth_failf(err, EINVAL, "ExecConfig.DetachKeys: detach keys need Tty and AttachStdin");
        x->detach_keys = steal_pointer(&detach_keys);
        return 0;
}

enum MHD_Result api_exec_create(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_json json_t *body = NULL;
        struct api_exec *x = xzalloc(sizeof(*x));
        struct engine *e;

        x->exit_code = -1;
        x->master = -1;
        x->id = engine_new_id();
        if (api_body_json(req, &body, &err) < 0 || exec_decode(body, x, &err) < 0 || api_engine(req, &e, &err) < 0 ||
            engine_exec_check(e, req->parts[1], x->argv, &x->container_id, &err) < 0) {
                exec_free(x);
                /* A container that is not running: dockerd's 409. */
                if (err.code == EBUSY)
                        return api_reply_message(req, 409, "%s", berth_error_message(&err));
                return api_reply_error(req, &err);
        }
        pthread_mutex_lock(&req->srv->lock);
        x->next = req->srv->execs;
        req->srv->execs = x;
        exec_trim_locked(req->srv);
        pthread_mutex_unlock(&req->srv->lock);
        return api_reply_json(req, 201, json_pack("{s:s}", "Id", x->id));
}

enum MHD_Result api_exec_inspect(struct api_request *req)
{
        struct api_exec *x;
        json_t *args = json_array(), *out;

        pthread_mutex_lock(&req->srv->lock);
        x = exec_find_locked(req->srv, req->parts[1]);
        if (x == NULL) {
                pthread_mutex_unlock(&req->srv->lock);
                json_decref(args);
                return api_reply_message(req, 404, "No such exec instance: %s", req->parts[1]);
        }
        for (char **a = x->argv + 1; *a; a++)
                json_array_append_new(args, json_string(*a));
        out = json_pack("{s:b,s:s,s:s,s:o,s:s,s:b,s:b,s:b,s:{s:o,s:s,s:b,s:b,s:s},s:b,s:i}", "CanRemove", 0, "ContainerID",
                        x->container_id, "DetachKeys", "", "ExitCode",
                        x->exit_code >= 0 ? json_integer(x->exit_code) : json_null(), "ID", x->id, "OpenStderr",
                        x->attach_stderr, "OpenStdin", x->attach_stdin, "OpenStdout", x->attach_stdout, "ProcessConfig",
                        "arguments", args, "entrypoint", x->argv[0], "privileged", x->privileged, "tty", x->tty, "user",
                        x->user ? x->user : "", "Running", x->running, "Pid", x->running ? (int) x->pid : 0);
        pthread_mutex_unlock(&req->srv->lock);
        return api_reply_json(req, 200, out);
}

enum MHD_Result api_exec_resize(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        long h = 0, w = 0;
        struct api_exec *x;
        int r = 0;

        if (api_query_int(req, "h", 0, &h, &err) < 0 || api_query_int(req, "w", 0, &w, &err) < 0)
                return api_reply_error(req, &err);
        if (h < 0 || h > 65535 || w < 0 || w > 65535)
                return api_reply_message(req, 400, "invalid terminal size %ldx%ld", h, w);
        pthread_mutex_lock(&req->srv->lock);
        x = exec_find_locked(req->srv, req->parts[1]);
        if (x != NULL && x->master >= 0) {
                struct winsize ws = {.ws_row = (unsigned short) h, .ws_col = (unsigned short) w};
                r = ioctl(x->master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
        }
        pthread_mutex_unlock(&req->srv->lock);
        if (x == NULL)
                return api_reply_message(req, 404, "No such exec instance: %s", req->parts[1]);
        if (r < 0)
                return api_reply_message(req, 500, "resize the exec's terminal: %s", strerror(-r));
        /* dockerd: an exec without a terminal (or not running) has nothing to resize, and that is no error. */
        return api_reply_empty(req, 200);
}

/* ---- start ---- */

struct exec_job {
        struct api_server *srv;
        struct api_exec *x; /* in srv->execs, until done is set */
        char **argv;        /* berth exec's, made before the fork */
        bool tty, attach_stdin, attach_stdout, attach_stderr;
        unsigned short rows, cols;
        int sock;
        pid_t pid;
};

static int wait_child(pid_t pid)
{
        int status = 0;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 255;
        return exit_code_of_wait_status(status);
}

static void exec_running(struct exec_job *j, pid_t pid, int master)
{
        pthread_mutex_lock(&j->srv->lock);
        j->x->running = true;
        j->x->pid = pid;
        j->x->master = master;
        pthread_mutex_unlock(&j->srv->lock);
}

static void exec_finished(struct exec_job *j, int code)
{
        pthread_mutex_lock(&j->srv->lock);
        j->x->running = false;
        j->x->exit_code = code;
        j->x->master = -1;
        j->x->done = true;
        pthread_mutex_unlock(&j->srv->lock);
}

/* berth [--root R] [--storage-driver D] exec [-i] [-t] [--detach-keys K] [-u U] [-w W] [--privileged]
 * [-e K=V]... CONTAINER CMD... */
static char **exec_argv(struct api_server *srv, const struct api_exec *x, bool tty, bool interactive)
{
        const char *berth = getenv("BERTH_EXE");
        char **argv = strv_append(NULL, berth != NULL ? berth : "berth");

        if (srv->root != NULL)
                argv = strv_append(strv_append(argv, "--root"), srv->root);
        if (srv->driver != NULL)
                argv = strv_append(strv_append(argv, "--storage-driver"), srv->driver);
        argv = strv_append(argv, "exec");
        /* With a terminal, -i always: berth exec then sizes the container's terminal from ours and follows our
         * resizes; what the client does not attach is simply never written to ours. */
        if (interactive || tty)
                argv = strv_append(argv, "-i");
        if (tty)
                argv = strv_append(argv, "-t");
        if (tty && interactive && x->detach_keys != NULL)
                argv = strv_append(strv_append(argv, "--detach-keys"), x->detach_keys);
        if (x->user != NULL)
                argv = strv_append(strv_append(argv, "-u"), x->user);
        if (x->workdir != NULL)
                argv = strv_append(strv_append(argv, "-w"), x->workdir);
        if (x->privileged)
                argv = strv_append(argv, "--privileged");
        for (char **e = x->env; e && *e; e++)
                argv = strv_append(strv_append(argv, "-e"), *e);
        argv = strv_append(argv, x->container_id);
        for (char **a = x->argv; *a; a++)
                argv = strv_append(argv, *a);
        return argv;
}

/* fork, then only async-signal-safe calls: stdio from the three fds (-1: /dev/null), a session of its own
 * with the terminal's slave as its controlling terminal (so that a resize of ours reaches berth exec as
 * SIGWINCH), nothing else of ours open, execve. */
static int spawn_exec(char **argv, const int stdio[3], int ctty, pid_t *pid, berth_error *err)
{
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        pid_t child;

        if (null_fd < 0)
                return berth_fail(err, errno, "open /dev/null");
        child = fork();
        if (child < 0) {
                close(null_fd);
                return berth_fail(err, errno, "fork for berth exec");
        }
        if (child == 0) {
                int moved[3];
                sigset_t none;
                for (int i = 0; i < 3; i++)
                        if ((moved[i] = fcntl(stdio[i] >= 0 ? stdio[i] : null_fd, F_DUPFD_CLOEXEC, 3)) < 0)
                                _exit(126);
                for (int i = 0; i < 3; i++)
                        if (dup2(moved[i], i) < 0)
                                _exit(126);
                if (setsid() < 0 || (ctty >= 0 && ioctl(0, TIOCSCTTY, 0) < 0))
                        _exit(126);
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                close_range(3, ~0U, 0);
                execve(argv[0], argv, environ);
                _exit(127);
        }
        close(null_fd);
        *pid = child;
        return 0;
}

static int frame(int sock, bool tty, int stream, const char *bytes, size_t len)
{
        unsigned char hdr[8];

        if (!tty) {
                api_frame_header(hdr, stream, len);
                if (write_all(sock, hdr, sizeof(hdr)) < 0)
                        return -1;
        }
        return write_all(sock, bytes, len);
}

/* Relays until every output has ended: the client's bytes to in (closed at the client's half-close; -1: not
 * attached), outs[0] and outs[1] (stdout and stderr, or the terminal's master in outs[0]) to the client. A
 * client that goes away stops the relay to it, not the draining: the process never blocks on a full pipe. */
static void relay(struct exec_job *j, int in, int outs[2])
{
        bool client = true;
        char buf[16384];

        while (outs[0] >= 0 || outs[1] >= 0) {
                struct pollfd p[3] = {{.fd = outs[0], .events = POLLIN}, {.fd = outs[1], .events = POLLIN},
                                      {.fd = client && in >= 0 ? j->sock : -1, .events = POLLIN}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int i = 0; i < 2; i++) {
                        ssize_t n;
                        if (outs[i] < 0 || p[i].revents == 0)
                                continue;
                        n = read(outs[i], buf, sizeof(buf));
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        /* EOF, or EIO from a terminal's master once the last slave closed. */
                        if (n <= 0) {
                                if (!j->tty) /* the terminal's master is the session's to close */
                                        close(outs[i]);
                                outs[i] = -1;
                                continue;
                        }
                        if (client && frame(j->sock, j->tty, i + 1, buf, (size_t) n) < 0)
                                client = false;
                }
                if (p[2].revents != 0) {
                        ssize_t n = read(j->sock, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n > 0 && write_all(in, buf, (size_t) n) == 0)
                                continue;
                        /* The client's half-close (or its going): the process's stdin ends; a terminal is left
                         * as it is, as dockerd leaves it. */
                        if (!j->tty)
                                close(in);
                        else
                                client = n == 0;
                        in = -1;
                }
        }
        if (in >= 0 && !j->tty)
                close(in);
}

static void close_pair(int p[2])
{
        for (int k = 0; k < 2; k++)
                if (p[k] >= 0) {
                        close(p[k]);
                        p[k] = -1;
                }
}

static void exec_session(struct api_session *s, void *data)
{
        struct exec_job *j = data;
        cleanup_error berth_error err = {0};
        int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
        int stdio[3] = {-1, -1, -1}, outs[2] = {-1, -1}, master = -1, slave = -1, in = -1;
        size_t n_extra = 0;
        const char *extra = api_session_extra(s, &n_extra);
        pid_t pid = 0;

        j->sock = api_session_fd(s);
        if (j->tty) {
                struct winsize ws = {.ws_row = j->rows, .ws_col = j->cols};
                if ((master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(master) < 0 ||
                    unlockpt(master) < 0 || (slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
                        berth_fail(&err, errno, "open a terminal for the exec");
                        goto failed;
                }
                /* Ours is a transport to berth exec's own terminal session: raw, or each end would add its
                 * own \r to every newline. */
                {
                        struct termios t;
                        if (tcgetattr(slave, &t) == 0) {
                                cfmakeraw(&t);
                                (void) tcsetattr(slave, TCSANOW, &t);
                        }
                }
                if (j->rows > 0)
                        (void) ioctl(master, TIOCSWINSZ, &ws);
                stdio[0] = stdio[1] = stdio[2] = slave;
        } else {
                if ((j->attach_stdin && pipe2(in_pipe, O_CLOEXEC) < 0) || (j->attach_stdout && pipe2(out_pipe, O_CLOEXEC) < 0) ||
                    (j->attach_stderr && pipe2(err_pipe, O_CLOEXEC) < 0)) {
                        berth_fail(&err, errno, "pipe for the exec's stdio");
                        goto failed;
                }
                stdio[0] = in_pipe[0];
                stdio[1] = out_pipe[1];
                stdio[2] = err_pipe[1];
        }
        if (spawn_exec(j->argv, stdio, slave, &pid, &err) < 0)
                goto failed;
        if (slave >= 0)
                close(slave);
        if (in_pipe[0] >= 0)
                close(in_pipe[0]);
        if (out_pipe[1] >= 0)
                close(out_pipe[1]);
        if (err_pipe[1] >= 0)
                close(err_pipe[1]);
        exec_running(j, pid, master);
        if (j->tty) {
                outs[0] = master;
                in = j->attach_stdin ? master : -1;
        } else {
                outs[0] = out_pipe[0];
                outs[1] = err_pipe[0];
                in = in_pipe[1];
        }
        /* What the client sent with its request, before the upgrade, is the start of stdin. */
        if (in >= 0 && n_extra > 0)
                (void) write_all(in, extra, n_extra);
        relay(j, in, outs);
        exec_finished(j, wait_child(pid));
        if (master >= 0)
                close(master);
        return;
failed:
        close_pair(in_pipe);
        close_pair(out_pipe);
        close_pair(err_pipe);
        if (slave >= 0)
                close(slave);
        if (master >= 0)
                close(master);
        {
                cleanup_free char *text = xasprintf("%s\r\n", berth_error_message(&err));
                (void) frame(j->sock, j->tty, 2, text, strlen(text));
                exec_finished(j, 126);
        }
}

static void exec_job_free(void *data)
{
        struct exec_job *j = data;

        strv_free(j->argv);
        free(j);
}

/* A detached exec: its own thread waits for berth exec, so that inspect reports its end. */
static void *detached_waiter(void *data)
{
        struct exec_job *j = data;

        exec_finished(j, wait_child(j->pid));
        exec_job_free(j);
        return NULL;
}

static int start_body(struct api_request *req, bool *detach, berth_error *err)
{
        cleanup_json json_t *body = NULL;
        bool tty;
        int r;

        *detach = false;
        if ((r = api_body_json(req, &body, err)) < 0 || body == NULL)
                return r;
        if (!json_is_object(body))
                return berth_failf(err, EINVAL, "the exec's start options must be a JSON object");
        /* Tty is the one the exec was made with (the CLI sends the same in both); only its type is checked. */
        if ((r = bool_field(body, "Detach", detach, err)) < 0 || (r = bool_field(body, "Tty", &tty, err)) < 0)
                return r;
        return 0;
}

enum MHD_Result api_exec_start(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct exec_job *j;
        struct api_exec *x;
        bool detach;

        if (start_body(req, &detach, &err) < 0)
                return api_reply_error(req, &err);
        pthread_mutex_lock(&req->srv->lock);
        x = exec_find_locked(req->srv, req->parts[1]);
        if (x == NULL || x->started) {
                pthread_mutex_unlock(&req->srv->lock);
                if (x == NULL)
                        return api_reply_message(req, 404, "No such exec instance: %s", req->parts[1]);
                return api_reply_message(req, 409, "exec %s has already been started", req->parts[1]);
        }
        x->started = true;
        j = xzalloc(sizeof(*j));
        j->srv = req->srv;
        j->x = x;
        j->tty = x->tty && !detach;
        j->attach_stdin = x->attach_stdin && !detach;
        j->attach_stdout = x->attach_stdout && !detach;
        j->attach_stderr = x->attach_stderr && !detach;
        j->rows = x->rows;
        j->cols = x->cols;
        j->argv = exec_argv(req->srv, x, j->tty, j->attach_stdin);
        pthread_mutex_unlock(&req->srv->lock);
        if (detach) {
                static const int null_stdio[3] = {-1, -1, -1};
                pthread_t thread;
                pthread_attr_t attr;
                if (spawn_exec(j->argv, null_stdio, -1, &j->pid, &err) < 0) {
                        exec_finished(j, 126);
                        exec_job_free(j);
                        return api_reply_error(req, &err);
                }
                exec_running(j, j->pid, -1);
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&thread, &attr, detached_waiter, j) != 0) {
                        /* No thread to wait: the process runs on, its end unknown to inspect (and berth exec a
                         * zombie until the service ends). */
                        exec_finished(j, -1);
                        exec_job_free(j);
                }
                pthread_attr_destroy(&attr);
                return api_reply_empty(req, 200);
        }
        return api_reply_upgrade(req, j->tty || req->minor < 42 ? RAW_STREAM : MULTIPLEXED_STREAM, exec_session,
                                 exec_job_free, j);
}
