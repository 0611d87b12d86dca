/* Starting and stopping a container's berth-procview. The engine mounts the FUSE file system itself (the
 * kernel queues requests until the server reads them, so the container's create does not wait for the
 * server to start) and hands the /dev/fuse fd to berth-procview, which it starts detached (its own session,
 * reparented to the nearest subreaper): it must outlive `berth run -d`. Its pid and start time are kept in
 * BUNDLE/procview.pid for stop. */
#include "engine/procview_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"

#define PID_FILE "procview.pid"

extern char **environ;

char *engine_procview_listener(const char *id)
{
        return xasprintf(ENGINE_PROCVIEW_SOCKETS "/%s.sock", id);
}

static const char *bundle_id(const char *bundle)
{
        const char *slash = strrchr(bundle, '/');
        return slash ? slash + 1 : bundle;
}

/* The listening socket the runtime hands the container's seccomp listener to (runtime-spec listenerPath):
 * made here, so that it exists before the runtime connects; berth-procview accepts on it. */
static int listen_seccomp(const char *bundle, berth_error *err)
{
        cleanup_free char *path = engine_procview_listener(bundle_id(bundle));
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_close int fd = -1;
        int r;

        if (strlen(path) >= sizeof(addr.sun_path))
                return berth_failf(err, ENAMETOOLONG, "%s: too long for a unix socket", path);
        memcpy(addr.sun_path, path, strlen(path) + 1);
        if ((r = mkdir_parents(ENGINE_PROCVIEW_SOCKETS, 0700, err)) < 0)
                return r;
        unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_fail(err, errno, "socket");
        if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return berth_fail(err, errno, "bind %s", path);
        if (listen(fd, 16) < 0)
                return berth_fail(err, errno, "listen on %s", path);
        return steal_fd(&fd);
}

bool engine_procview_wanted(const json_t *host_config)
{
        return !json_is_false(json_object_get(host_config, "BerthProcView"));
}

/* The child between berth and berth-procview: a new session, berth-procview spawned (vfork + exec), its
 * pid written, gone. */
static void __attribute__((noreturn)) spawn_detached(struct engine *e, int dirfd, int fuse_fd, int seccomp_fd,
                                                    const char *dir, const char *log)
{
        char fdarg[16], seccomparg[16];
        char *argv[] = {e->procview_exe, "--fd", fdarg, "--seccomp-fd", seccomparg, (char *) dir, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none;
        uint64_t start = 0;
        char text[64];
        berth_error ignored = {0};
        pid_t pid;
        int len;

        setsid();
        snprintf(fdarg, sizeof(fdarg), "%d", fuse_fd);
        snprintf(seccomparg, sizeof(seccomparg), "%d", seccomp_fd);
        fcntl(fuse_fd, F_SETFD, 0);
        fcntl(seccomp_fd, F_SETFD, 0);
        sigemptyset(&none);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        {
                sigset_t all;
                sigfillset(&all);
                posix_spawnattr_setsigdefault(&attr, &all);
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        /* Not berth's stderr: a caller reading it to its end would wait for the container's. */
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (posix_spawn(&pid, e->procview_exe, &fa, &attr, argv, environ) != 0)
                _exit(1);
        process_start_time(pid, &start);
        len = snprintf(text, sizeof(text), "%d %llu\n", (int) pid, (unsigned long long) start);
        if (write_file_atomic_at(dirfd, PID_FILE, text, (size_t) len, 0600, false, &ignored) < 0)
                _exit(1);
        _exit(0);
}

int engine_procview_start(struct engine *e, int dirfd, const char *bundle, pid_t *spawner, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/" ENGINE_PROCVIEW_DIR, bundle);
        cleanup_free char *log = xasprintf("%s/procview.log", bundle);
        cleanup_free char *opts = NULL;
        cleanup_close int fd = -1, seccomp_fd = -1;
        pid_t child;

        *spawner = 0;
        /* A view left by a crash (the machine's, berth's) goes first. */
        engine_procview_stop(e, dirfd, bundle);
        fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
                        return 0;
                return berth_fail(err, errno, "open /dev/fuse");
        }
        if (access(e->procview_exe, X_OK) < 0)
                return berth_fail(err, errno, "berth-procview (%s)", e->procview_exe);
        if (mkdirat(dirfd, ENGINE_PROCVIEW_DIR, 0755) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "create %s", dir);
        if ((seccomp_fd = listen_seccomp(bundle, err)) < 0)
                return seccomp_fd;
        /* allow_other: a container's root in a user namespace is another uid than the mounter. */
        opts = xasprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fd);
        if (mount("berth-procview", dir, "fuse.berth-procview", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, opts) < 0)
                return berth_fail(err, errno, "mount fuse on %s", dir);
        child = fork();
        if (child < 0) {
                int saved = errno;
                umount2(dir, MNT_DETACH);
                return berth_fail(err, saved, "fork");
        }
        if (child == 0)
                spawn_detached(e, dirfd, fd, seccomp_fd, dir, log);
        /* Not waited for here: the server starts while the container is made (the kernel holds the
         * container's first requests until it answers). */
        *spawner = child;
        return 0;
}

int engine_procview_started(struct engine *e, pid_t spawner, berth_error *err)
{
        int status = 0;

        while (waitpid(spawner, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_fail(err, errno, "wait for the start of berth-procview (pid %d)", (int) spawner);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_failf(err, EIO, "start berth-procview (%s)", e->procview_exe);
        return 0;
}

static void wait_gone(pid_t pid, uint64_t start)
{
        uint64_t now = 0;
        int pidfd;

        if (process_start_time(pid, &now) < 0 || now != start)
                return;
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return;
        /* Unmounted, it sees the connection end and exits at once; a server that does not is killed. */
        if (process_start_time(pid, &now) == 0 && now == start) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                if (poll(&p, 1, 200) <= 0)
                        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        }
        close(pidfd);
}

void engine_procview_stop(struct engine *e, int dirfd, const char *bundle)
{
        cleanup_free char *dir = xasprintf("%s/" ENGINE_PROCVIEW_DIR, bundle);
        cleanup_free char *text = NULL;
        berth_error ignored = {0};
        unsigned long long start = 0;
        int pid = 0;

        (void) e;
        umount2(dir, MNT_DETACH);
        {
                cleanup_free char *listener = engine_procview_listener(bundle_id(bundle));
                unlink(listener);
        }
        if (read_file_at(dirfd, PID_FILE, &text, NULL, &ignored) == 0 && sscanf(text, "%d %llu", &pid, &start) == 2 &&
            pid > 0)
                wait_gone(pid, start);
        berth_error_clear(&ignored);
        unlinkat(dirfd, PID_FILE, 0);
        unlinkat(dirfd, ENGINE_PROCVIEW_DIR, AT_REMOVEDIR);
}

void engine_procview_release(struct engine *e, const char *id)
{
        cleanup_free char *bundle = engine_container_dir(e, id);
        berth_error ignored = {0};
        cleanup_close int dirfd = engine_container_dirfd(e, id, &ignored);

        berth_error_clear(&ignored);
        if (dirfd >= 0)
                engine_procview_stop(e, dirfd, bundle);
}
