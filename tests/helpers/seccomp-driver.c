/* seccomp-driver: exercises src/runtime/seccomp*.c the way the runtime does, without the rest of the runtime.
 *
 *   seccomp-driver [--root DIR] run [--bundle BUNDLE] [--cache DIR] ID
 *       runc's command line, so that OCI_RUNTIME=.../seccomp-driver runs tests/system/seccomp.bats against the
 *       seccomp code alone. Parses BUNDLE/config.json's linux.seccomp, prepares the filter in the parent
 *       (cache: --cache, else ROOT/.seccomp-cache when --root is given), forks a child that enters a mount
 *       namespace (tmpfs on /dev/shm, proc on /proc), pivots into the bundle's root, sets no_new_privs when
 *       process.noNewPrivileges, installs the filter and execs process.args with process.env. A notify
 *       listener is handed to the parent over a socketpair (the child's only syscall under the filter
 *       before execve) and sent on to listenerPath with a container state, as the runtime should do it.
 *       Exits with the child's status (128+signal when killed, as runc reports it).
 *   seccomp-driver [--root DIR] delete [--force] ID    nothing to delete: exits 0
 *   seccomp-driver check FILE        parse only (FILE: a config.json or a bare seccomp object)
 *   seccomp-driver bench [-n N] [--cache DIR] FILE
 *       N times parse+prepare, without the cache and (with --cache) from it; prints µs per start and the size
 *       of the program.
 *   seccomp-driver default | features   print seccomp_default_profile() / seccomp_features()
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/seccomp_profile.h"
#include "runtime/sync.h"
#include "lib/util.h"

static int fail(const berth_error *err)
{
        fprintf(stderr, "seccomp-driver: %s\n", berth_error_message(err));
        return 1;
}

/* A config.json (its linux.seccomp) or a bare seccomp object. */
static json_t *seccomp_section(json_t *doc)
{
        json_t *lx = json_object_get(doc, "linux");

        if (json_object_get(doc, "defaultAction") != NULL)
                return doc;
        return lx != NULL ? json_object_get(lx, "seccomp") : NULL;
}

static int cmd_check(const char *file)
{
        berth_error err = {0};
        cleanup_json json_t *doc = json_load_path(file, &err);
        struct seccomp_profile *p = NULL;

        if (doc == NULL || seccomp_profile_parse(seccomp_section(doc), &p, &err) < 0)
                return fail(&err);
        for (char *const *u = seccomp_profile_unknown_syscalls(p); *u != NULL; u++)
                printf("unknown syscall %s skipped\n", *u);
        seccomp_profile_free(p);
        return 0;
}

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* One start's worth of seccomp work in the parent: parse + prepare. */
static int one_start(json_t *section, const char *cache, struct seccomp_filter **out, berth_error *err)
{
        struct seccomp_profile *p = NULL;
        int r;

        if ((r = seccomp_profile_parse(section, &p, err)) < 0)
                return r;
        r = seccomp_filter_prepare(p, cache, out, err);
        seccomp_profile_free(p);
        return r;
}

static int bench_loop(json_t *section, const char *cache, int n, const char *label)
{
        berth_error err = {0};
        struct seccomp_filter *f = NULL;
        size_t insns = 0;
        bool cached = false;
        double start;

        if (cache != NULL) { /* prime */
                if (one_start(section, cache, &f, &err) < 0)
                        return fail(&err);
                seccomp_filter_free(f);
        }
        start = now_us();
        for (int i = 0; i < n; i++) {
                if (one_start(section, cache, &f, &err) < 0)
                        return fail(&err);
                insns = seccomp_filter_size(f);
                cached = seccomp_filter_from_cache(f);
                seccomp_filter_free(f);
        }
        printf("%-8s %6d starts  %9.1f us/start  from_cache=%s  program=%zu instructions (%zu bytes)\n", label, n,
               (now_us() - start) / n, cached ? "yes" : "no", insns, insns * 8);
        return 0;
}

static int cmd_bench(int argc, char **argv)
{
        static const struct option opts[] = {{"cache", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
        const char *cache = NULL;
        berth_error err = {0};
        int n = 1000, c;

        while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
                if (c == 'n')
                        n = atoi(optarg);
                else if (c == 'c')
                        cache = optarg;
                else
                        return 2;
        }
        if (optind != argc - 1 || n <= 0)
                return fprintf(stderr, "usage: seccomp-driver bench [-n N] [--cache DIR] FILE\n"), 2;
        cleanup_json json_t *doc = json_load_path(argv[optind], &err);
        if (doc == NULL)
                return fail(&err);
        if (bench_loop(seccomp_section(doc), NULL, n, "compile") != 0)
                return 1;
        if (cache != NULL && bench_loop(seccomp_section(doc), cache, n, "cache") != 0)
                return 1;
        return 0;
}

struct run_config {
        char **args;
        char **env;
        const char *cwd;
        bool no_new_privileges;
        char *root;
};

static int load_run_config(json_t *doc, const char *bundle, struct run_config *rc, berth_error *err)
{
        json_t *process = NULL, *root = NULL;
        const char *root_path = NULL;
        int r;

        if ((r = json_field_object(doc, "", "process", true, &process, err)) < 0 ||
            (r = json_field_strv(process, "process", "args", true, &rc->args, err)) < 0 ||
            (r = json_field_strv(process, "process", "env", false, &rc->env, err)) < 0 ||
            (r = json_field_string(process, "process", "cwd", false, &rc->cwd, err)) < 0 ||
            (r = json_field_bool(process, "process", "noNewPrivileges", false, &rc->no_new_privileges, err)) < 0 ||
            (r = json_field_object(doc, "", "root", true, &root, err)) < 0 ||
            (r = json_field_string(root, "root", "path", true, &root_path, err)) < 0)
                return r;
        rc->root = root_path[0] == '/' ? xstrdup(root_path) : xasprintf("%s/%s", bundle, root_path);
        if (rc->cwd == NULL)
                rc->cwd = "/";
        return 0;
}

/* Just enough of a container for the seccomp tests: a private mount namespace with /dev/shm and /proc. */
static int enter_root(const char *root, berth_error *err)
{
        cleanup_free char *shm = xasprintf("%s/dev/shm", root);
        cleanup_free char *proc = xasprintf("%s/proc", root);

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return berth_fail(err, errno, "private mount namespace");
        mkdir(shm, 01777);
        if (mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return berth_fail(err, errno, "mount tmpfs on %s", shm);
        if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return berth_fail(err, errno, "mount proc on %s", proc);
        /* pivot_root, not chroot: a chrooted process may not create user namespaces (unshare(2)), which
         * the default-profile test compares with and without the filter. */
        if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(root) < 0 ||
            syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                return berth_fail(err, errno, "pivot_root into %s", root);
        return 0;
}

static void __attribute__((noreturn)) child(const struct run_config *rc, const struct seccomp_filter *f, int sock)
{
        berth_error err = {0};
        int listener = -1;

        if (enter_root(rc->root, &err) < 0)
                goto fail;
        if (chdir(rc->cwd) < 0) {
                berth_fail(&err, errno, "enter %s", rc->root);
                goto fail;
        }
        if (rc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                berth_fail(&err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
                goto fail;
        }
        if (f != NULL && seccomp_filter_install(f, &listener, &err) < 0)
                goto fail;
        /* As the runtime's init: the listener goes to the parent (sendmsg, the only syscall the init makes
         * under a notifying filter before execve), which sends it on to the agent. */
        if (listener >= 0) {
                if (fd_send(sock, listener, "L", 1, &err) < 0)
                        goto fail;
                close(listener);
        }
        close(sock);
        execvpe(rc->args[0], rc->args, rc->env != NULL ? rc->env : (char *[]){NULL});
        berth_fail(&err, errno, "exec %s", rc->args[0]);
fail:
        fprintf(stderr, "seccomp-driver: %s\n", berth_error_message(&err));
        _exit(127);
}

static int hand_listener_over(const struct seccomp_filter *f, int sock, pid_t pid, const char *id,
                              const char *bundle, berth_error *err)
{
        cleanup_close int listener = -1;
        cleanup_free char *state = NULL;
        cleanup_json json_t *state_json = NULL;

        if (seccomp_filter_listener_path(f) == NULL)
                return 0;
        if (fd_receive(sock, &listener, err) < 0)
                return -err->code;
        state_json = json_pack("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", id, "status", "creating",
                               "pid", (int) pid, "bundle", bundle);
        state = json_to_string(state_json);
        return seccomp_filter_send_listener(f, listener, state, err);
}

static int cmd_run(const char *root, int argc, char **argv)
{
        static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                             {"cache", required_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
        cleanup_free char *default_cache = root != NULL ? xasprintf("%s/.seccomp-cache", root) : NULL;
        const char *cache = default_cache, *bundle = ".", *id;
        struct run_config rc = {0};
        berth_error err = {0};
        struct seccomp_filter *f = NULL;
        json_t *section;
        int c, sp[2], status;
        pid_t pid;

        while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
                if (c == 'b')
                        bundle = optarg;
                else if (c == 'c')
                        cache = optarg;
                else
                        return 2;
        }
        if (optind != argc - 1)
                return fprintf(stderr, "usage: seccomp-driver [--root DIR] run [--bundle B] [--cache DIR] ID\n"), 2;
        id = argv[optind];
        cleanup_free char *config = xasprintf("%s/config.json", bundle);
        cleanup_json json_t *doc = json_load_path(config, &err);
        if (doc == NULL || load_run_config(doc, bundle, &rc, &err) < 0)
                return fail(&err);
        section = seccomp_section(doc);
        if (section != NULL && one_start(section, cache, &f, &err) < 0)
                return fail(&err);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return berth_fail(&err, errno, "socketpair"), fail(&err);
        pid = fork();
        if (pid < 0)
                return berth_fail(&err, errno, "fork"), fail(&err);
        if (pid == 0) {
                close(sp[0]);
                child(&rc, f, sp[1]);
        }
        close(sp[1]);
        if (f != NULL && hand_listener_over(f, sp[0], pid, id, bundle, &err) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return fail(&err);
        }
        close(sp[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_fail(&err, errno, "waitpid"), fail(&err);
        seccomp_filter_free(f);
        strv_free(rc.args);
        strv_free(rc.env);
        free(rc.root);
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static int print_json(json_t *j)
{
        cleanup_free char *s = json_dumps(j, JSON_INDENT(2));

        json_decref(j);
        puts(s);
        return 0;
}

int main(int argc, char **argv)
{
        const char *root = NULL;

        if (argc >= 3 && strcmp(argv[1], "--root") == 0) {
                root = argv[2];
                argc -= 2;
                argv += 2;
        }
        if (argc >= 2 && strcmp(argv[1], "run") == 0)
                return cmd_run(root, argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "delete") == 0)
                return 0;
        if (argc == 3 && strcmp(argv[1], "check") == 0)
                return cmd_check(argv[2]);
        if (argc >= 2 && strcmp(argv[1], "bench") == 0)
                return cmd_bench(argc - 1, argv + 1);
        if (argc == 2 && strcmp(argv[1], "default") == 0)
                return print_json(seccomp_default_profile());
        if (argc == 2 && strcmp(argv[1], "features") == 0)
                return print_json(seccomp_features());
        fprintf(stderr, "usage: seccomp-driver [--root DIR] run|delete|check|bench|default|features ...\n");
        return 2;
}
