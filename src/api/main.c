/* berth-api: `berth system service [--time SECONDS] [URI]` (berth hands the command to this binary, which
 * links libmicrohttpd and the registry client). Listens on a unix socket (the URI's, a socket systemd passes
 * with LISTEN_FDS, or the default), serves the Docker Engine API until SIGTERM/SIGINT or until it has been
 * idle for --time seconds (0: never), and removes the socket it made. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "api/api.h"
#include "api/http.h"
#include "api/sessions.h"
#include "api/tls.h"
#include "runtime/exe_protect.h"

#define DEFAULT_SOCKET "/run/berth/docker.sock"
#define SD_LISTEN_FDS_START 3

struct options {
        const char *root, *driver, *uri;
        long idle_s;
        bool tlsverify;
        const char *tlscacert, *tlscert, *tlskey;
};

/* The monitor's exit command runs berth (engine.h's self_exe): BERTH_EXE names it, as berth sets it when it
 * hands `system service` over; else the berth beside this binary, installed, or in the build tree. */
static void find_berth(void)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        const char *candidates[3] = {NULL, BERTH_BIN_PATH, BERTH_BUILD_PATH};
        cleanup_free char *beside = NULL;

        if (getenv("BERTH_EXE") != NULL || n < 0)
                return;
        self[n] = '\0';
        if (strrchr(self, '/') != NULL)
                *strrchr(self, '/') = '\0';
        beside = xasprintf("%s/berth", self);
        candidates[0] = beside;
        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
                if (access(candidates[i], X_OK) == 0) {
                        setenv("BERTH_EXE", candidates[i], 1);
                        return;
                }
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage:  berth system service [OPTIONS] [URI]\n\n"
                   "Serve the Docker Engine API on URI (default unix://" DEFAULT_SOCKET ", or\n"
                   "$XDG_RUNTIME_DIR/berth/docker.sock for a non-root user; a socket passed by systemd with LISTEN_FDS)\n\n"
                   "tcp://HOST:PORT only with TLS client certificates: --tlsverify and the three files.\n\n"
                   "Options:\n"
                   "  -t, --time int       Time until the service exits when idle, in seconds (0: never) (default 5)\n"
                   "      --tlsverify      Serve tcp:// with TLS, each client's certificate verified against --tlscacert\n"
                   "      --tlscacert FILE The CA that signs the clients' certificates (PEM)\n"
                   "      --tlscert FILE   The service's certificate (PEM)\n"
                   "      --tlskey FILE    The service's key (PEM)\n");
}

static int parse_args(int argc, char **argv, struct options *o, berth_error *err)
{
        static const struct option options[] = {
                {"root", required_argument, NULL, 'r'},
                {"storage-driver", required_argument, NULL, 's'},
                {"time", required_argument, NULL, 't'},
                {"tlsverify", no_argument, NULL, 'V'},
                {"tlscacert", required_argument, NULL, 'A'},
                {"tlscert", required_argument, NULL, 'C'},
                {"tlskey", required_argument, NULL, 'K'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        int c;

        o->idle_s = 5; /* podman's default */
        while ((c = getopt_long(argc, argv, "t:h", options, NULL)) != -1) {
                int64_t n;
                switch (c) {
                case 'r': o->root = optarg; break;
                case 's': o->driver = optarg; break;
                case 't':
                        if (parse_i64(optarg, &n) < 0 || n < 0)
                                return berth_failf(err, EINVAL, "invalid argument \"%s\" for \"-t, --time\"", optarg);
                        o->idle_s = (long) n;
                        break;
                case 'V': o->tlsverify = true; break;
                case 'A': o->tlscacert = optarg; break;
                case 'C': o->tlscert = optarg; break;
                case 'K': o->tlskey = optarg; break;
                case 'h': usage(stdout); exit(0);
                default: usage(stderr); return berth_failf(err, EINVAL, "invalid option");
                }
        }
        if (argc - optind > 1)
                return berth_failf(err, EINVAL, "\"berth system service\" accepts at most 1 argument.");
        o->uri = optind < argc ? argv[optind] : NULL;
        return 0;
}

/* A socket handed over by systemd (sd_listen_fds(3)): LISTEN_PID ours, LISTEN_FDS >= 1; the first is used. */
static int activation_socket(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        int64_t p, n;

        if (fds == NULL || parse_i64(fds, &n) < 0 || n < 1)
                return -1;
        if (pid != NULL && (parse_i64(pid, &p) < 0 || p != getpid()))
                return -1;
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC);
        return SD_LISTEN_FDS_START;
}

static char *default_path(void)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (geteuid() != 0 && xdg != NULL && *xdg == '/')
                return xasprintf("%s/berth/docker.sock", xdg);
        return xstrdup(DEFAULT_SOCKET);
}

/* A socket file left by a service that died is replaced; one that answers is someone else's. */
static int remove_stale_socket(const char *path, berth_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_close int s = -1;
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : berth_fail(err, errno, "stat %s", path);
        if (!S_ISSOCK(st.st_mode))
                return berth_failf(err, EEXIST, "%s exists and is not a socket", path);
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return berth_fail(err, errno, "socket");
        if (connect(s, (struct sockaddr *) &addr, sizeof(addr)) == 0)
                return berth_failf(err, EADDRINUSE, "%s: a service is listening on it already", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return berth_fail(err, errno, "remove %s", path);
        return 0;
}

/* The socket: mode 0660, group `berth` when the group exists. Access to it is root-equivalent (docs/api.md). */
static int listen_unix(const char *path, int *out, berth_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_free char *dir = xstrdup(path);
        cleanup_close int s = -1;
        struct group *g;
        int r;

        if (strlen(path) >= sizeof(addr.sun_path))
                return berth_failf(err, ENAMETOOLONG, "socket path too long: %s", path);
        if (strrchr(dir, '/') != NULL && strrchr(dir, '/') != dir) {
                *strrchr(dir, '/') = '\0';
                if ((r = mkdir_parents(dir, 0755, err)) < 0)
                        return r;
        }
        if ((r = remove_stale_socket(path, err)) < 0)
                return r;
        strcpy(addr.sun_path, path);
        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return berth_fail(err, errno, "socket");
        /* Made 0600 and opened up to 0660 after the chown: never reachable by anyone else in between. */
        {
                mode_t old = umask(0177);
                r = bind(s, (struct sockaddr *) &addr, sizeof(addr));
                umask(old);
        }
        if (r < 0)
                return berth_fail(err, errno, "bind %s", path);
        g = getgrnam("berth");
        if ((g != NULL && chown(path, 0, g->gr_gid) < 0 && geteuid() == 0) || chmod(path, 0660) < 0) {
                r = berth_fail(err, errno, "set the owner and mode of %s", path);
                unlink(path);
                return r;
        }
        if (listen(s, SOMAXCONN) < 0) {
                r = berth_fail(err, errno, "listen on %s", path);
                unlink(path);
                return r;
        }
        *out = steal_fd(&s);
        return 0;
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
        struct api_server *srv = cls;

        (void) conn;
        (void) socket_context;
        pthread_mutex_lock(&srv->lock);
        if (toe == MHD_CONNECTION_NOTIFY_STARTED)
                srv->active++;
        else if (srv->active > 0)
                srv->active--;
        srv->last_active_ms = now_ms();
        pthread_mutex_unlock(&srv->lock);
}

static void reap_monitors(struct api_server *srv)
{
        pthread_mutex_lock(&srv->lock);
        for (size_t i = 0; i < srv->n_monitors;) {
                pid_t r = waitpid(srv->monitors[i], NULL, WNOHANG);
                if (r == srv->monitors[i] || (r < 0 && errno == ECHILD))
                        srv->monitors[i] = srv->monitors[--srv->n_monitors];
                else
                        i++;
        }
        pthread_mutex_unlock(&srv->lock);
}

static bool idle_expired(struct api_server *srv, long idle_s)
{
        bool expired;

        if (idle_s == 0)
                return false;
        pthread_mutex_lock(&srv->lock);
        expired = srv->active == 0 && now_ms() - srv->last_active_ms >= (int64_t) idle_s * 1000;
        pthread_mutex_unlock(&srv->lock);
        return expired;
}

static int serve(struct api_server *srv, int fd, long idle_s, const struct api_tls *tls, berth_error *err)
{
        struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        /* Blocked here, before libmicrohttpd makes its threads: they inherit the mask and the signals come to
         * this loop alone. */
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        srv->last_active_ms = now_ms();
        if (tls != NULL)
                /* The CA as the trust list makes libmicrohttpd ask each client for its certificate; whether it
                 * verifies is checked per request (api_tls_client_verified). */
                srv->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                                    MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_TLS,
                                            0, NULL, NULL, api_access, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                                            MHD_OPTION_NOTIFY_COMPLETED, api_request_completed, srv,
                                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv,
                                            MHD_OPTION_HTTPS_MEM_KEY, tls->key, MHD_OPTION_HTTPS_MEM_CERT, tls->cert,
                                            MHD_OPTION_HTTPS_MEM_TRUST, tls->ca, MHD_OPTION_END);
        else
                srv->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                                    MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG,
                                            0, NULL, NULL, api_access, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                                            MHD_OPTION_NOTIFY_COMPLETED, api_request_completed, srv,
                                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv, MHD_OPTION_END);
        if (srv->mhd == NULL)
                return berth_failf(err, EIO, "start the HTTP server (libmicrohttpd) on fd %d", fd);
        for (;;) {
                int sig = sigtimedwait(&set, NULL, &tick);
                if (sig > 0)
                        break;
                reap_monitors(srv);
                if (idle_expired(srv, idle_s))
                        break;
        }
        srv->stopping = true;
        api_sessions_shutdown(srv);
        MHD_stop_daemon(srv->mhd);
        reap_monitors(srv);
        return 0;
}

int main(int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_free char *path = NULL;
        struct options o = {0};
        struct api_server srv = {.lock = PTHREAD_MUTEX_INITIALIZER};
        struct api_tls tls = {0};
        int fd, r;

        umask(022);
        signal(SIGPIPE, SIG_IGN);
        if (parse_args(argc, argv, &o, &err) < 0)
                goto fail;
        /* CVE-2019-5736: exec runs in-process (engine_container_exec): this binary must not be writable
         * through /proc/self/exe from a container. */
        find_berth();
        if (!exe_is_protected() && exe_reexec_protected(argv, &err) < 0)
                goto fail;
        srv.root = o.root;
        srv.driver = o.driver;
        fd = activation_socket();
        if (o.uri != NULL && str_has_prefix(o.uri, "tcp://")) {
                /* The API is root on this host: never on a network without client certificates. */
                if (!o.tlsverify) {
                        berth_failf(&err, EINVAL, "%s: tcp:// needs --tlsverify with --tlscacert, --tlscert and --tlskey",
                                    o.uri);
                        goto fail;
                }
        } else if (o.tlsverify) {
                berth_failf(&err, EINVAL, "--tlsverify is for tcp://HOST:PORT");
                goto fail;
        }
        if (o.tlsverify) {
                if (api_tls_load(o.tlscacert, o.tlscert, o.tlskey, &tls, &err) < 0)
                        goto fail;
                srv.tls = true;
        }
        if (fd < 0) {
                if (o.uri != NULL && str_has_prefix(o.uri, "tcp://")) {
                        if (api_listen_tcp(o.uri + strlen("tcp://"), &fd, &err) < 0)
                                goto fail;
                } else {
                        if (o.uri != NULL && !str_has_prefix(o.uri, "unix://")) {
                                berth_failf(&err, EINVAL, "%s: the URI must be unix://PATH or tcp://HOST:PORT", o.uri);
                                goto fail;
                        }
                        path = o.uri ? xstrdup(o.uri + strlen("unix://")) : default_path();
                        if (listen_unix(path, &fd, &err) < 0)
                                goto fail;
                }
        }
        r = serve(&srv, fd, o.idle_s, srv.tls ? &tls : NULL, &err);
        api_tls_clear(&tls);
        if (path != NULL)
                unlink(path);
        close(fd);
        free(srv.monitors);
        api_execs_free(&srv);
        if (r < 0)
                goto fail;
        return 0;
fail:
        api_tls_clear(&tls);
        fprintf(stderr, "Error: %s\n", berth_error_message(&err));
        return 125;
}
