#include "runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/capabilities.h"
#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/seccomp_profile.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "lib/util.h"

struct exec_job {
        const struct runtime_context *ctx;
        const struct exec_options *opts;
        struct container *container;
        struct runtime_spec *spec; /* the container's saved config */
        struct seccomp_profile *seccomp_profile;
        struct seccomp_filter *seccomp;
        int pidfd;
        int sync_parent, sync_child;
        int console_fd, console_peer;
        pid_t child;
};

static void exec_job_free(struct exec_job *j)
{
        int fds[] = {j->pidfd, j->sync_parent, j->sync_child, j->console_fd, j->console_peer};

        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (j->seccomp)
                seccomp_filter_free(j->seccomp);
        if (j->seccomp_profile)
                seccomp_profile_free(j->seccomp_profile);
        if (j->spec)
                spec_free(j->spec);
        if (j->container)
                container_free(j->container);
}

static int load_saved_config(struct container *c, struct runtime_spec **out, berth_error *err)
{
        cleanup_free char *path = xasprintf("%s/config.json", c->state_dir);
        cleanup_json json_t *doc = json_load_path(path, err);

        if (doc == NULL)
                return -err->code;
        return spec_parse(doc, c->bundle, out, err);
}

int exec_default_process(const struct runtime_context *ctx, const char *id, struct spec_process *out,
                         berth_error *err)
{
        cleanup_container struct container *c = NULL;
        cleanup_free char *path = NULL;
        cleanup_json json_t *doc = NULL;
        json_t *process = NULL;
        int r;

        if ((r = container_load(ctx, id, &c, err)) < 0)
                return r;
        path = xasprintf("%s/config.json", c->state_dir);
        doc = json_load_path(path, err);
        if (doc == NULL)
                return -err->code;
        if ((r = json_field_object(doc, "", "process", true, &process, err)) < 0)
                return r;
        return spec_parse_process(process, "process", out, err);
}

static unsigned container_namespace_flags(const struct runtime_spec *spec, bool include_pid)
{
        unsigned flags = 0;

        for (int t = 0; t < NS_COUNT; t++) {
                if (!spec->linux_section.namespaces[t].present)
                        continue;
                if (t == NS_PID && !include_pid)
                        continue;
                flags |= (unsigned) spec_namespace_clone_flag(t);
        }
        return flags;
}

static int prepare(struct exec_job *j, berth_error *err)
{
        enum container_status status;
        uint64_t start_time = 0;
        int pair[2], r;

        if ((r = container_load(j->ctx, j->opts->id, &j->container, err)) < 0 ||
            (r = container_status(j->container, &status, err)) < 0)
                return r;
        if (status == CONTAINER_STOPPED)
                return berth_failf(err, EINVAL, "cannot exec in a stopped container");
        if (status == CONTAINER_PAUSED)
                return berth_failf(err, EINVAL, "cannot exec in a paused container");
        if (status == CONTAINER_CREATING)
                return berth_failf(err, EINVAL, "cannot exec in a container that is being created");
        if ((r = load_saved_config(j->container, &j->spec, err)) < 0)
                return r;
        if (j->spec->linux_section.seccomp != NULL) {
                cleanup_free char *cache = xasprintf("%s/.cache/seccomp", j->ctx->state_root);
                if ((r = seccomp_profile_parse(j->spec->linux_section.seccomp, &j->seccomp_profile, err)) < 0 ||
                    (r = seccomp_filter_prepare(j->seccomp_profile, cache, &j->seccomp, err)) < 0)
                        return r;
        }
        j->pidfd = pidfd_open(j->container->pid, 0);
        if (j->pidfd < 0)
                return berth_fail(err, errno, "open the container's init (pid %d)", (int) j->container->pid);
        if (process_start_time(j->container->pid, &start_time) < 0 || start_time != j->container->start_time)
                return berth_failf(err, ESRCH, "container %s is not running", j->opts->id);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return berth_fail(err, errno, "socketpair");
        j->sync_parent = pair[0];
        j->sync_child = pair[1];
        if (!j->opts->process->terminal)
                return 0;
        return terminal_open_channel(j->opts->console_socket, j->opts->want_terminal_master,
                                     "--tty needs --console-socket when detached", &j->console_fd, &j->console_peer,
                                     err);
}

/* ---- the child ---- */

static int child_enter_container(const struct exec_job *j, berth_error *err)
{
        unsigned flags = container_namespace_flags(j->spec, false);

        /* A container without a mount namespace shares ours: its root is the init's chroot, entered here while
         * we still have the host's CAP_SYS_CHROOT (before any user namespace is joined). */
        if (!j->spec->linux_section.namespaces[NS_MOUNT].present) {
                char path[64];
                cleanup_close int root = -1;
                snprintf(path, sizeof(path), "/proc/%d/root", (int) j->container->pid);
                root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root < 0)
                        return berth_fail(err, errno, "open %s", path);
                if (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
                        return berth_fail(err, errno, "chroot into the container's root (%s)", path);
        }

        /* One setns(2) on the pidfd: the kernel joins all of them in the right order, user namespace
         * included. The pid namespace was joined by the parent (it only affects children). */
        if (flags != 0 && setns(j->pidfd, (int) flags) < 0)
                return berth_fail(err, errno, "join the namespaces of the container (flags %#x)", flags);
        return 0;
}

/* listenerPath is the runtime's path, not the container's: a notify fd goes to the parent, which sends it on. */
static int install_seccomp(const struct exec_job *j, berth_error *err)
{
        int listener = -1, r;

        if ((r = seccomp_filter_install(j->seccomp, &listener, err)) < 0 || listener < 0)
                return r;
        r = sync_send_fd(j->sync_child, SYNC_SECCOMP_LISTENER, listener, err);
        close(listener);
        return r;
}

static int child_setup(const struct exec_job *j, char **executable, char ***env, berth_error *err)
{
        const struct spec_process *p = j->opts->process;
        bool in_userns = j->spec->linux_section.namespaces[NS_USER].present;
        bool filter_now = j->seccomp != NULL && !p->no_new_privileges;
        int keep[] = {j->sync_child};
        int r;

        if ((r = sync_expect(j->sync_child, SYNC_GO, NULL, err)) < 0 || (r = child_enter_container(j, err)) < 0)
                return r;
        if (setsid() < 0)
                return berth_fail(err, errno, "setsid");
        if (p->terminal) {
                cleanup_close int master = -1, slave = -1;
                if ((r = terminal_open_pty(p, false, &master, &slave, err)) < 0 ||
                    (r = terminal_send_master(j->console_fd, master, slave, err)) < 0 ||
                    (r = terminal_make_controlling(slave, err)) < 0)
                        return r;
        }
        if ((r = process_set_exec_labels(p, err)) < 0 || (r = process_set_rlimits(p, err)) < 0 ||
            (r = process_set_scheduler(p, err)) < 0 || (r = process_set_io_priority(p, err)) < 0 ||
            (r = process_set_cpu_affinity(p, "initial", err)) < 0)
                return r;
        /* HOME from the container's /etc/passwd (our root since the mount namespace was joined). */
        *env = process_env_with_home(p->env, p->user.uid);
        /* No fd of ours but the sync socket may survive into the container (CVE-2024-21626). */
        if ((r = process_close_fds_from(3 + j->opts->preserve_fds, keep, ARRAY_SIZE(keep), err)) < 0)
                return r;
        if ((r = capabilities_prepare(&p->capabilities, err)) < 0 ||
            (filter_now && (r = capabilities_keep_across_setuid(err)) < 0) ||
            (r = process_switch_user(p, !in_userns || process_setgroups_allowed(),
                                     process_keep_original_groups(j->spec), err)) < 0)
                return r;
        if (chdir(p->cwd) < 0)
                return berth_fail(err, errno, "process.cwd: chdir %s", p->cwd);
        /* The PATH lookup as the user, from the cwd, before any filter that may deny stat or access. */
        if ((r = process_find_executable(p, executable, err)) < 0)
                return r;
        /* Without no_new_privs the filter needs CAP_SYS_ADMIN (seccomp(2)): as late as that allows, as in
         * the init, so that a profile denying what the switch of user or chdir need still works. */
        if (filter_now) {
                if ((r = capabilities_raise_sys_admin(err)) < 0 || (r = install_seccomp(j, err)) < 0)
                        return r;
                if (!p->capabilities.present && p->user.uid != 0 && (r = capabilities_drop_all(err)) < 0)
                        return r;
        }
        if ((r = capabilities_apply(&p->capabilities, err)) < 0)
                return r;
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        if (j->seccomp != NULL && p->no_new_privileges && (r = install_seccomp(j, err)) < 0)
                return r;
        return process_set_cpu_affinity(p, "final", err);
}

static void __attribute__((noreturn)) child_main(const struct exec_job *j)
{
        berth_error err = {0};
        char *executable = NULL, **env = NULL;
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        /* Non-dumpable until execve: the container's processes must not ptrace us or open /proc/OUR_PID
         * while we hold the runtime's fds and memory (CVE-2016-9962). */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
                berth_fail(&err, errno, "prctl");
                sync_fail_and_exit(j->sync_child, &err);
        }
        if (child_setup(j, &executable, &env, &err) < 0)
                sync_fail_and_exit(j->sync_child, &err);
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        execve(executable, j->opts->process->args, env);
        berth_fail(&err, errno, "exec %s", executable);
        sync_fail_and_exit(j->sync_child, &err);
}

/* ---- the parent ---- */

static int spawn(struct exec_job *j, berth_error *err)
{
        int cgroup_fd = j->container->cgroup ? cgroup_manager_clone_into_fd(j->container->cgroup) : -1;
        int own_pidns = -1;
        bool placed;
        pid_t pid;

        /* The pid namespace only applies to children: we join it, the clone lands in it, we leave. */
        if (j->spec->linux_section.namespaces[NS_PID].present &&
            namespaces_enter_pid_for_children(j->pidfd, &own_pidns, err) < 0)
                return -err->code;
        pid = namespaces_clone(0, cgroup_fd, &placed, err);
        if (pid == 0) {
                close(j->sync_parent);
                child_main(j);
        }
        if (namespaces_leave_pid_for_children(&own_pidns, err) < 0) {
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                }
                return -err->code;
        }
        if (pid < 0)
                return berth_error_prefix(err, "the exec process: ");
        j->child = pid;
        close(j->sync_child);
        j->sync_child = -1;
        if (j->console_fd >= 0) {
                close(j->console_fd);
                j->console_fd = -1;
        }
        if (!placed && j->container->cgroup != NULL && cgroup_manager_enter(j->container->cgroup, pid, err) < 0)
                return -err->code;
        return sync_send(j->sync_parent, SYNC_GO, pid, NULL, err);
}

static int send_listener(struct exec_job *j, int listener, berth_error *err)
{
        json_t *state = container_state_json(j->container, CONTAINER_RUNNING);
        cleanup_free char *text = json_to_string(state);
        int r;

        json_decref(state);
        r = seccomp_filter_send_listener(j->seccomp, listener, text, err);
        close(listener);
        return r < 0 ? berth_error_prefix(err, "linux.seccomp.listenerPath: ") : 0;
}

static int wait_for_execve(struct exec_job *j, berth_error *err)
{
        for (;;) {
                struct sync_message msg;
                int r = sync_receive(j->sync_parent, &msg, err);

                /* The child's end is close-on-exec: EOF is the sign its execve succeeded (or that it died). */
                if (r == -EPIPE)
                        return 0;
                if (r < 0)
                        return r;
                if (msg.type == SYNC_SECCOMP_LISTENER && msg.fd >= 0 && j->seccomp != NULL) {
                        if ((r = send_listener(j, msg.fd, err)) < 0)
                                return r;
                        continue;
                }
                if (msg.fd >= 0)
                        close(msg.fd);
                if (msg.type == SYNC_ERROR)
                        return berth_failf(err, msg.value > 0 ? msg.value : EIO, "%s", msg.text);
                return berth_failf(err, EPROTO, "unexpected message %u from the exec process", msg.type);
        }
}

int container_exec(const struct runtime_context *ctx, const struct exec_options *opts, struct exec_result *out,
                   berth_error *err)
{
        struct exec_job j = {
                .ctx = ctx,
                .opts = opts,
                .pidfd = -1,
                .sync_parent = -1,
                .sync_child = -1,
                .console_fd = -1,
                .console_peer = -1,
        };
        int *fd_placeholders = NULL;
        int r;

        out->pid = 0;
        out->terminal_master = -1;
        if ((r = process_reserve_fd_range(opts->preserve_fds, &fd_placeholders, err)) < 0)
                return r;
        if ((r = prepare(&j, err)) < 0 || (r = spawn(&j, err)) < 0)
                goto fail;
        if (j.console_peer >= 0) {
                /* The master arrives before execve; if the child fails first, its error says why. */
                if ((r = fd_receive(j.console_peer, &out->terminal_master, err)) < 0) {
                        berth_error_clear(err);
                        if ((r = wait_for_execve(&j, err)) == 0)
                                r = berth_failf(err, EIO, "the exec process sent no terminal");
                        goto fail;
                }
        }
        if ((r = wait_for_execve(&j, err)) < 0)
                goto fail;
        if (opts->pid_file != NULL) {
                char buf[16];
                int len = snprintf(buf, sizeof(buf), "%d", (int) j.child);
                if ((r = write_file_atomic_at(AT_FDCWD, opts->pid_file, buf, (size_t) len, 0644, false, err)) < 0)
                        goto fail;
        }
        out->pid = j.child;
        exec_job_free(&j);
        process_release_fd_range(fd_placeholders);
        return 0;
fail:
        if (j.child > 0) {
                kill(j.child, SIGKILL);
                while (waitpid(j.child, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        if (out->terminal_master >= 0) {
                close(out->terminal_master);
                out->terminal_master = -1;
        }
        exec_job_free(&j);
        process_release_fd_range(fd_placeholders);
        return r;
}
