/* Starting the store's berth-procview (docs/proc.md). One server per store serves every container of it
 * from ROOT/procview; it is started by the first container that wants the view and kept (as lxcfs is),
 * until its mount goes (umount: it sees the connection end and exits). A container's start only checks that
 * it runs: two fcntl(F_OFD_GETLK) on ROOT/procview.lock, whose byte 0 the server holds locked for its whole
 * life (through the open file description it inherits from the berth that started it) and whose byte 1 a
 * berth holds while it starts one, and a statfs(2) that ROOT/procview is its FUSE mount in this mount
 * namespace (a berth in another namespace starts one of its own, holding a byte named after that
 * namespace). Nothing of it is made or waited for per container, and nothing is undone at a container's
 * exit.
 *
 * Starting it: the engine mounts the FUSE file system itself (the kernel queues requests until the server
 * reads them) and hands the /dev/fuse fd, the seccomp listener's listening socket and the lock to
 * berth-procview, started detached (its own session, reparented to the nearest subreaper): it outlives
 * every berth. Its pid and start time are kept in ROOT/procview.pid (tests, debugging). */
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
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/store.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define LOCK_FILE "procview.lock"
#define PID_FILE "procview.pid"
/* Bytes of LOCK_FILE: held by the running server; held by a berth starting one. */
#define LOCK_SERVED 0
#define LOCK_STARTING 1

extern char **environ;

char *engine_procview_listener(struct engine *e)
{
        struct sockaddr_un addr;
        struct stat st = {0};
        char *path = xasprintf("%s/procview.sock", e->store->root);

        if (strlen(path) < sizeof(addr.sun_path))
                return path;
        free(path);
        fstat(e->store->rootfd, &st);
        return xasprintf(ENGINE_PROCVIEW_SOCKETS "/%llx-%llx.sock", (unsigned long long) st.st_dev,
                         (unsigned long long) st.st_ino);
}

bool engine_procview_wanted(const json_t *host_config)
{
        return !json_is_false(json_object_get(host_config, "BerthProcView"));
}

static bool byte_locked(int fd, off_t byte)
{
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};

        return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static int lock_byte(int fd, off_t byte, short type, bool wait)
{
        struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
        int r;

        while ((r = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) < 0 && errno == EINTR)
                ;
        return r;
}

/* The listening socket the runtime hands each container's seccomp listener to (runtime-spec listenerPath). */
static int listen_seccomp(const char *path, berth_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_close int fd = -1;
        int r;

        if (strlen(path) >= sizeof(addr.sun_path))
                return berth_failf(err, ENAMETOOLONG, "%s: too long for a unix socket", path);
        memcpy(addr.sun_path, path, strlen(path) + 1);
        if (str_has_prefix(path, ENGINE_PROCVIEW_SOCKETS "/") && (r = mkdir_parents(ENGINE_PROCVIEW_SOCKETS, 0700, err)) < 0)
                return r;
        unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return berth_fail(err, errno, "socket");
        if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return berth_fail(err, errno, "bind %s", path);
        if (listen(fd, 64) < 0)
                return berth_fail(err, errno, "listen on %s", path);
        return steal_fd(&fd);
}

/* The child between berth and berth-procview: a new session, berth-procview spawned (vfork + exec) with the
 * three fds, its pid written, gone. */
static void __attribute__((noreturn)) spawn_detached(struct engine *e, int fuse_fd, int seccomp_fd, int lock_fd,
                                                    const char *dir, const char *log)
{
        char fdarg[16], seccomparg[16], lockarg[16];
        char *argv[] = {e->procview_exe, "--fd", fdarg, "--seccomp-fd", seccomparg, "--lock-fd", lockarg, (char *) dir, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        uint64_t start = 0;
        char text[64];
        berth_error ignored = {0};
        pid_t pid;
        int len;

        setsid();
        snprintf(fdarg, sizeof(fdarg), "%d", fuse_fd);
        snprintf(seccomparg, sizeof(seccomparg), "%d", seccomp_fd);
        snprintf(lockarg, sizeof(lockarg), "%d", lock_fd);
        fcntl(fuse_fd, F_SETFD, 0);
        fcntl(seccomp_fd, F_SETFD, 0);
        fcntl(lock_fd, F_SETFD, 0);
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        /* Not berth's stderr: a caller reading it to its end would wait for the server's. */
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (posix_spawn(&pid, e->procview_exe, &fa, &attr, argv, environ) != 0)
                _exit(1);
        process_start_time(pid, &start);
        len = snprintf(text, sizeof(text), "%d %llu\n", (int) pid, (unsigned long long) start);
        if (write_file_atomic_at(e->store->rootfd, PID_FILE, text, (size_t) len, 0600, false, &ignored) < 0)
                _exit(1);
        _exit(0);
}

/* Under LOCK_STARTING, with LOCK_SERVED taken on lock_fd (no server runs): a stale mount of a server that
 * was killed goes, a new one is mounted and its server started. */
static int start_server(struct engine *e, int lock_fd, int fuse_fd, berth_error *err)
{
        cleanup_free char *dir = xasprintf("%s/" ENGINE_PROCVIEW_DIR, e->store->root);
        cleanup_free char *log = xasprintf("%s/procview.log", e->store->root);
        cleanup_free char *listener = engine_procview_listener(e);
        cleanup_free char *opts = NULL;
        cleanup_close int seccomp_fd = -1;
        int status = 0;
        pid_t child;

        if (access(e->procview_exe, X_OK) < 0)
                return berth_fail(err, errno, "berth-procview (%s)", e->procview_exe);
        /* A server that died (killed both its processes) left its mount, whose files say ENOTCONN. */
        umount2(dir, MNT_DETACH);
        if (mkdirat(e->store->rootfd, ENGINE_PROCVIEW_DIR, 0755) < 0 && errno != EEXIST)
                return berth_fail(err, errno, "create %s", dir);
        if ((seccomp_fd = listen_seccomp(listener, err)) < 0)
                return seccomp_fd;
        /* allow_other: a container's root in a user namespace is another uid than the mounter. */
        opts = xasprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fuse_fd);
        if (mount("berth-procview", dir, "fuse.berth-procview", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, opts) < 0)
                return berth_fail(err, errno, "mount fuse on %s", dir);
        child = fork();
        if (child < 0) {
                int saved = errno;
                umount2(dir, MNT_DETACH);
                return berth_fail(err, saved, "fork");
        }
        if (child == 0)
                spawn_detached(e, fuse_fd, seccomp_fd, lock_fd, dir, log);
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR) {
                        umount2(dir, MNT_DETACH);
                        return berth_fail(err, errno, "wait for the start of berth-procview (pid %d)", (int) child);
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                umount2(dir, MNT_DETACH);
                return berth_failf(err, EIO, "start berth-procview (%s)", e->procview_exe);
        }
        return 0;
}

static int statfs_procview(struct engine *e, struct statfs *sfs)
{
        cleanup_free char *dir = xasprintf("%s/" ENGINE_PROCVIEW_DIR, e->store->root);

        return statfs(dir, sfs);
}

/* Whether ROOT/procview is a live FUSE mount in this mount namespace. A server is started in the mount
 * namespace of the berth that starts it: a berth in another one (unshare -m, a service with a private
 * namespace made before the server) does not see its mount, and one whose server died sees ENOTCONN (statfs
 * is answered by the server itself). */
static bool served_here(struct engine *e)
{
        struct statfs sfs;

        return statfs_procview(e, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
}

/* The lock byte a server for this mount namespace holds when byte LOCK_SERVED is another namespace's
 * server's: one per namespace, after the two fixed ones. */
static off_t namespace_byte(void)
{
        struct stat st;

        if (stat("/proc/self/ns/mnt", &st) < 0)
                return LOCK_STARTING + 1;
        return LOCK_STARTING + 1 + (off_t) (st.st_ino & 0x3fffffff);
}

int engine_procview_ensure(struct engine *e, bool *available, berth_error *err)
{
        cleanup_close int fd = openat(e->store->rootfd, LOCK_FILE, O_RDWR | O_CLOEXEC);
        cleanup_close int fuse_fd = -1;
        int r;

        *available = false;
        /* The hot path: a server runs, nobody is starting one, and its mount is here. */
        if (fd >= 0 && byte_locked(fd, LOCK_SERVED) && !byte_locked(fd, LOCK_STARTING) && served_here(e)) {
                *available = true;
                return 0;
        }
        if (fd < 0 && (fd = openat(e->store->rootfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
                return berth_fail(err, errno, "open %s/%s", e->store->root, LOCK_FILE);
        if (lock_byte(fd, LOCK_STARTING, F_WRLCK, true) < 0)
                return berth_fail(err, errno, "lock %s/%s", e->store->root, LOCK_FILE);
        /* Started by another berth meanwhile? */
        if (lock_byte(fd, LOCK_SERVED, F_WRLCK, false) < 0) {
                if (errno != EAGAIN && errno != EACCES) {
                        r = berth_fail(err, errno, "lock %s/%s", e->store->root, LOCK_FILE);
                        lock_byte(fd, LOCK_STARTING, F_UNLCK, false);
                        return r;
                }
                if (served_here(e)) {
                        *available = true;
                        lock_byte(fd, LOCK_STARTING, F_UNLCK, false);
                        return 0;
                }
                /* The server runs for another mount namespace: one more, for this one, holding this
                 * namespace's byte (free unless its server is alive with its mount gone, a moment before
                 * it exits). */
                if (lock_byte(fd, namespace_byte(), F_WRLCK, false) < 0) {
                        r = berth_fail(err, errno, "berth-procview of %s serves another mount namespace; lock %s/%s",
                                       e->store->root, e->store->root, LOCK_FILE);
                        lock_byte(fd, LOCK_STARTING, F_UNLCK, false);
                        return r;
                }
        }
        fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fuse_fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
                return 0; /* closing fd drops both locks */
        if (fuse_fd < 0)
                return berth_fail(err, errno, "open /dev/fuse");
        if ((r = start_server(e, fd, fuse_fd, err)) < 0)
                return r;
        /* The server holds LOCK_SERVED through its copy of this open file description. */
        lock_byte(fd, LOCK_STARTING, F_UNLCK, false);
        *available = true;
        return 0;
}

/* ---- a container's own view, as an older berth made it ---- */

static void wait_gone(pid_t pid, uint64_t start)
{
        uint64_t now = 0;
        int pidfd;

        if (process_start_time(pid, &now) < 0 || now != start)
                return;
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return;
        if (process_start_time(pid, &now) == 0 && now == start) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                if (poll(&p, 1, 200) <= 0)
                        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        }
        close(pidfd);
}

void engine_procview_release(struct engine *e, const char *id)
{
        cleanup_free char *pidfile = xasprintf("%s/" PID_FILE, id);
        cleanup_free char *bundle = NULL, *dir = NULL, *text = NULL;
        berth_error ignored = {0};
        unsigned long long start = 0;
        int pid = 0;

        if (faccessat(e->containers_fd, pidfile, F_OK, 0) < 0)
                return;
        bundle = engine_container_dir(e, id);
        dir = xasprintf("%s/" ENGINE_PROCVIEW_DIR, bundle);
        umount2(dir, MNT_DETACH);
        if (read_file_at(e->containers_fd, pidfile, &text, NULL, &ignored) == 0 &&
            sscanf(text, "%d %llu", &pid, &start) == 2 && pid > 0)
                wait_gone(pid, start);
        berth_error_clear(&ignored);
        unlinkat(e->containers_fd, pidfile, 0);
        rmdir(dir);
}
