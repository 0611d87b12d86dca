/* start: the container's monitor is forked from berth. The child becomes a child subreaper, execs
 * berth-launch, which creates and starts the container with the runtime library (the init is its child),
 * reports the init's pid (or the error) on a pipe, and becomes the monitor, keeping the pid, the subreaper
 * role and the fds: it execs berth-monitor, or, when a client is attached from the first byte (run in the
 * foreground, start -a), runs the monitor's loop itself (monitor/monitor.h):
 *
 *   berth (client)                          child (becomes the monitor)
 *   lock ROOT/containers/ID                 setsid, PR_SET_CHILD_SUBREAPER
 *   mount the snapshot, write config.json   stdio of the container on fds 0-2
 *   pipes / pty, attach.sock, log file      exec berth-launch: container_create + container_start
 *   fork ----------------------------->    "0 PID" or "ERRNO message" on the status pipe
 *   read the status pipe <-------------    execv berth-monitor, or close the pipe and monitor in-process
 *   record: running, pids, StartedAt
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/container.h"
#include "engine/events.h"
#include "engine/health.h"
#include "engine/copy.h"
#include "runtime/exe_protect.h"
#include "engine/db.h"
#include "engine/idshift.h"
#include "lib/json.h"
#include "engine/launch.h"
#include "engine/reconcile.h"
#include "engine/volumes.h"
#include "lib/size.h"
#include "engine/monitor/monitor.h"
#include "engine/network.h"
#include "engine/monitor/protocol.h"
#include "engine/procview_mount.h"
#include "image/snapshot.h"
#include "engine/spec_build.h"
#include "lib/util.h"

extern char **environ;

struct launch {
        struct engine *e;
        struct engine_container *c;
        int dirfd;           /* the container's directory (kept by the monitor) */
        bool tty, open_stdin;
        int out[2], err[2], in[2];
        int listen_fd, log_fd, status[2], null_fd;
        int attach_fd;
        int lock_fd;         /* the container's lock: berth-launch holds it until the container has started */
        char *bundle;
        char **net_args; /* berth-net's arguments after "up PID" (bridge networks), or NULL */
        bool procview;       /* the store's berth-procview serves ROOT/procview: its files are bound */
};

static void close_fd_ptr(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void launch_clear(struct launch *l)
{
        int *fds[] = {&l->dirfd, &l->out[0], &l->out[1], &l->err[0], &l->err[1], &l->in[0], &l->in[1], &l->listen_fd,
                      &l->log_fd, &l->status[0], &l->status[1], &l->null_fd};

        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                close_fd_ptr(fds[i]);
        free(l->bundle);
        strv_free(l->net_args);
}

static const char *log_driver(const struct engine_container *c)
{
        const char *t = json_string_value(json_object_get(json_object_get(c->host_config, "LogConfig"), "Type"));
        return t && *t ? t : "json-file";
}

static int open_listen_socket(struct launch *l, berth_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};

        /* Through /proc/self/fd: ROOT/containers/<64 hex>/attach.sock may be longer than sun_path. */
        snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/" MONITOR_ATTACH_SOCKET, l->dirfd);
        unlinkat(l->dirfd, MONITOR_ATTACH_SOCKET, 0);
        l->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (l->listen_fd < 0)
                return berth_fail(err, errno, "socket");
        if (bind(l->listen_fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return berth_fail(err, errno, "bind %s/%s", l->bundle, MONITOR_ATTACH_SOCKET);
        if (listen(l->listen_fd, 16) < 0)
                return berth_fail(err, errno, "listen on %s/%s", l->bundle, MONITOR_ATTACH_SOCKET);
        return 0;
}

static int prepare_fds(struct launch *l, berth_error *err)
{
        if (!l->tty && (pipe2(l->out, O_CLOEXEC) < 0 || pipe2(l->err, O_CLOEXEC) < 0))
                return berth_fail(err, errno, "pipe");
        if (!l->tty && l->open_stdin && pipe2(l->in, O_CLOEXEC) < 0)
                return berth_fail(err, errno, "pipe");
        if (pipe2(l->status, O_CLOEXEC) < 0)
                return berth_fail(err, errno, "pipe");
        l->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (l->null_fd < 0)
                return berth_fail(err, errno, "open /dev/null");
        if (strcmp(log_driver(l->c), "none") != 0) {
                cleanup_free char *name = xasprintf("%s-json.log", l->c->id);
                l->log_fd = openat(l->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
                if (l->log_fd < 0)
                        return berth_fail(err, errno, "open %s/%s", l->bundle, name);
        }
        return open_listen_socket(l, err);
}

static int write_config(struct launch *l, const char *rootfs, berth_error *err)
{
        struct spec_build_input in = {.c = l->c, .rootfs = rootfs, .container_dir = l->bundle, .procview = l->procview};
        cleanup_json json_t *spec = NULL;
        cleanup_free char *text = NULL;
        int r;

        if ((r = engine_spec_build(l->e, &in, &spec, err)) < 0)
                return r;
        text = json_dumps(spec, JSON_COMPACT);
        /* No fsync: config.json is rebuilt at every start. */
        return write_file_atomic_at(l->dirfd, "config.json", text, strlen(text), 0600, false, err);
}

static int64_t size_option(const json_t *opts, const char *key)
{
        const char *s = json_string_value(json_object_get(opts, key));
        int64_t v = 0;

        /* docker's json-file reads max-size with FromHumanSize: "10m" is 10,000,000 bytes. */
        if (s == NULL || size_parse(s, SIZE_DECIMAL, &v) < 0)
                return 0;
        return v;
}

static void keep_fd(int fd)
{
        if (fd >= 0)
                fcntl(fd, F_SETFD, 0);
}

/* ---- the child ---- */

static void report(int fd, int code, const char *text)
{
        char buf[4096];
        int len = snprintf(buf, sizeof(buf), "%d %s", code, text);

        if (len > 0 && write(fd, buf, (size_t) (len < (int) sizeof(buf) ? len : (int) sizeof(buf) - 1)) < 0)
                _exit(1);
}

static void __attribute__((noreturn)) child_main(struct launch *l)
{
        struct engine *e = l->e;
        const json_t *logopts = json_object_get(json_object_get(l->c->host_config, "LogConfig"), "Config");
        const char *max_file = json_string_value(json_object_get(logopts, "max-file"));
        berth_error err = {0};
        struct engine_healthcheck hc;
        sigset_t none;
        char **argv = xzalloc(sizeof(char *) * (48 + strv_length(l->net_args)));
        char a[16][64];
        int n = 0, k = 0;

        close_fd_ptr(&l->status[0]);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        /* Its own session (a terminal's hangup is not ours), and the reaper of whatever the container
         * orphans: the init made in two stages, and everything in it after its PID 1 is gone. Both survive
         * the execs to berth-launch and berth-monitor. */
        setsid();
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                report(l->status[1], errno, "prctl(PR_SET_CHILD_SUBREAPER)");
                _exit(1);
        }
        /* The container's stdio: what the runtime's init inherits. */
        dup2(l->in[0] >= 0 ? l->in[0] : l->null_fd, STDIN_FILENO);
        dup2(l->tty ? l->null_fd : l->out[1], STDOUT_FILENO);
        dup2(l->tty ? l->null_fd : l->err[1], STDERR_FILENO);
        keep_fd(l->status[1]);
        keep_fd(l->dirfd);
        keep_fd(l->out[0]);
        keep_fd(l->err[0]);
        keep_fd(l->in[1]);
        keep_fd(l->listen_fd);
        keep_fd(l->attach_fd);
        keep_fd(l->log_fd);
        /* berth-launch keeps the container locked until the container has started, also when berth dies
         * meanwhile: nobody (a reconcile, an rm) takes its lease or its ports while it sets them up. */
        if (l->lock_fd >= 0) {
                char lock_env[32];
                keep_fd(l->lock_fd);
                snprintf(lock_env, sizeof(lock_env), "%d", l->lock_fd);
                setenv("BERTH_LAUNCH_LOCK_FD", lock_env, 1);
        }
#define ARG(fmt, ...)                                                                                                 \
        do {                                                                                                          \
                snprintf(a[k], sizeof(a[k]), fmt, __VA_ARGS__);                                                       \
                argv[n++] = a[k++];                                                                                   \
        } while (0)
        argv[n++] = e->launch_exe;
        argv[n++] = e->state_root;
        argv[n++] = l->c->id;
        argv[n++] = l->bundle;
        argv[n++] = l->tty ? "1" : "0";
        ARG("%d", l->status[1]);
        if (l->net_args != NULL) {
                /* berth-launch runs berth-net between the runtime's create and start. */
                argv[n++] = "net";
                argv[n++] = e->net_exe;
                for (size_t i = 0; l->net_args[i] != NULL; i++)
                        argv[n++] = l->net_args[i];
        }
        argv[n++] = "--";
        argv[n++] = l->attach_fd >= 0 ? MONITOR_IN_PROCESS : e->monitor_exe;
        ARG("dir=%d", l->dirfd);
        argv[n++] = "pid=@";
        ARG("out=%d", l->out[0]);
        ARG("err=%d", l->err[0]);
        ARG("in=%d", l->in[1]);
        argv[n++] = "pty=@";
        ARG("listen=%d", l->listen_fd);
        ARG("client=%d", l->attach_fd);
        ARG("log=%d", l->log_fd);
        ARG("max-size=%lld", (long long) size_option(logopts, "max-size"));
        ARG("max-file=%lld", (long long) (max_file ? atoll(max_file) : 1));
        if (engine_healthcheck_get(l->c->config, &hc)) {
                /* The monitor's schedule (monitor/health.h); the probe reads the rest from the record. */
                ARG("health=%lld:%lld:%lld", (long long) (hc.interval_ns / 1000000), (long long) (hc.start_period_ns / 1000000),
                    (long long) (hc.start_interval_ns / 1000000));
                engine_healthcheck_clear(&hc);
        }
#undef ARG
        argv[n++] = xasprintf("logname=%s-json.log", l->c->id);
        argv[n++] = "--";
        argv[n++] = e->self_exe;
        if (e->root_arg != NULL) {
                argv[n++] = "--root";
                argv[n++] = e->store->root;
        }
        argv[n++] = "container";
        argv[n++] = "cleanup";
        argv[n++] = l->c->id;
        argv[n] = NULL;
        /* CVE-2019-5736: the process that clones the container's init runs from a copy nothing in a
         * container can write to. */
        exe_exec_protected(e->launch_exe, argv, environ, &err);
        report(l->status[1], err.code, berth_error_message(&err));
        _exit(1);
}

/* ---- the parent ---- */

static int read_status(struct launch *l, pid_t child, pid_t *init, bool *rebuilt, berth_error *err)
{
        char buf[4096];
        ssize_t n;
        size_t len;
        int code = 0, off = 0;

        close_fd_ptr(&l->status[1]);
        /* The monitor's one line, up to its end of the pipe (closed when the init runs or the start failed). */
        n = read_all(l->status[0], buf, sizeof(buf) - 1);
        len = n > 0 ? (size_t) n : 0;
        buf[len] = '\0';
        if (len == 0 || sscanf(buf, "%d %n", &code, &off) != 1) {
                int status = 0;
                waitpid(child, &status, 0);
                return berth_failf(err, EIO, "the container's monitor died before the container started (status %d)", status);
        }
        if (code != 0) {
                waitpid(child, NULL, 0);
                return berth_failf(err, code, "%s", buf + off);
        }
        *init = (pid_t) atoi(buf + off);
        if (rebuilt != NULL)
                *rebuilt = strstr(buf + off, " rebuilt") != NULL;
        return 0;
}

static int remove_stale_runtime_state(struct engine *e, const char *id)
{
        cleanup_free char *dir = xasprintf("%s/%s", e->state_root, id);
        berth_error ignored = {0};
        struct stat st;

        if (stat(dir, &st) < 0)
                return 0;
        container_delete(&e->rt, id, true, &ignored);
        berth_error_clear(&ignored);
        return 0;
}

static int lock_container(struct engine *e, const char *id, berth_error *err)
{
        int fd = engine_container_dirfd(e, id, err);

        if (fd < 0)
                return fd;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        close(fd);
                        return berth_fail(err, errno, "lock container %s", id);
                }
        return fd;
}

int engine_container_start(struct engine *e, const char *id, const struct engine_start_options *opts, bool *already,
                           berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_close int lockfd = -1;
        struct snapshot_paths paths = {0};
        struct launch l = {
                .e = e, .dirfd = -1, .out = {-1, -1}, .err = {-1, -1}, .in = {-1, -1}, .listen_fd = -1, .log_fd = -1,
                .status = {-1, -1}, .null_fd = -1, .attach_fd = opts ? opts->attach_fd : -1, .lock_fd = -1,
        };
        pid_t child, init = 0;
        bool rebuilt = false;
        int r;

        *already = false;
        /* Held until the monitor runs: a concurrent start, rm or cleanup waits (the child inherits the lock
         * and its copy closes at its execve). */
        if ((lockfd = lock_container(e, id, err)) < 0)
                return lockfd;
        l.lock_fd = lockfd;
        if ((r = engine_container_load_locked(e, id, &c, err)) < 0)
                return r;
        if (c->status == ENGINE_RUNNING || c->status == ENGINE_PAUSED) {
                *already = true;
                return 0;
        }
        if (c->status == ENGINE_REMOVING)
                return berth_failf(err, EINVAL, "container is marked for removal and cannot be started");
        l.c = c;
        l.tty = json_is_true(json_object_get(c->config, "Tty"));
        l.open_stdin = json_is_true(json_object_get(c->config, "OpenStdin"));
        l.bundle = engine_container_dir(e, id);
        if ((l.dirfd = engine_container_dirfd(e, id, err)) < 0) {
                r = l.dirfd;
                goto out;
        }
        unlinkat(l.dirfd, MONITOR_EXIT_FILE, 0);
        unlinkat(l.dirfd, ENGINE_DIE_MARKER, 0);
        unlinkat(l.dirfd, ENGINE_HEALTH_FILE, 0);
        remove_stale_runtime_state(e, id);
        /* A container removed when it stops keeps nothing that must survive a crash (podman does the same). */
        if ((r = snapshot_mount(e->store, id,
                                json_is_true(json_object_get(c->host_config, "AutoRemove")) ? SNAPSHOT_MOUNT_VOLATILE : 0,
                                &paths, err)) < 0 ||
            (r = engine_idshift_rootfs(e, c, l.dirfd, paths.merged, err)) < 0 ||
            (r = engine_populate_volumes(e, c, paths.merged, err)) < 0 ||
            (engine_procview_wanted(c->host_config) && (r = engine_procview_ensure(e, &l.procview, err)) < 0) ||
            (r = write_config(&l, paths.merged, err)) < 0 ||
            (r = prepare_fds(&l, err)) < 0 || (r = engine_network_attach(e, c, l.dirfd, &l.net_args, err)) < 0)
                goto out;
        if (access(e->monitor_exe, X_OK) < 0 || access(e->launch_exe, X_OK) < 0) {
                r = berth_fail(err, errno, "berth-monitor (%s), berth-launch (%s)", e->monitor_exe, e->launch_exe);
                goto out;
        }
        child = fork();
        if (child < 0) {
                r = berth_fail(err, errno, "fork");
                goto out;
        }
        if (child == 0)
                child_main(&l);
        r = read_status(&l, child, &init, &rebuilt, err);
        if (r < 0) {
                berth_error ignored = {0};
                /* docker keeps the container with the exit code the failure means (127: not found, ...). */
                c->exit_code = engine_exit_code_for_error(err);
                free(c->error);
                c->error = xstrdup(berth_error_message(err));
                if (c->status != ENGINE_CREATED)
                        c->status = ENGINE_EXITED;
                engine_db_update_state(e, c, &ignored);
                berth_error_clear(&ignored);
                goto out;
        }
        c->status = ENGINE_RUNNING;
        c->pid = init;
        process_start_time(init, &c->pid_start);
        c->monitor_pid = child;
        if (opts != NULL && opts->monitor_pid != NULL)
                *opts->monitor_pid = child;
        process_start_time(child, &c->monitor_start);
        c->exit_code = 0;
        c->oom_killed = false;
        c->manual_stop = false;
        free(c->error);
        c->error = xstrdup("");
        free(c->started_at);
        c->started_at = engine_now_rfc3339();
        if ((r = engine_db_update_state(e, c, err)) == 0) {
                /* docker: the volumes' mount events, then the container's start. */
                engine_volume_events(e, c, "mount");
                engine_event_container(e, c, "start", NULL);
        }
        if (rebuilt) {
                /* `nft flush ruleset` (or a firewall reload) took berth's table: berth-net rebuilt it with this
                 * container's elements; the other networks and published ports come back too. */
                berth_error ignored = {0};
                if (engine_network_reload(e, &ignored) < 0)
                        berth_error_clear(&ignored);
        }
out:
        if (r < 0 && l.net_args != NULL)
                engine_network_release(e, id);
        snapshot_paths_clear(&paths);
        launch_clear(&l);
        return r;
}
