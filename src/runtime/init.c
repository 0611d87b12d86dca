#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/capabilities.h"
#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "runtime/devices.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "lib/path.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp_profile.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "lib/util.h"

char *init_hook_state(const struct runtime_spec *spec, const char *id, const char *bundle, pid_t pid,
                      const char *status)
{
        json_t *j = json_object();
        char *text;

        json_object_set_new(j, "ociVersion", json_string(spec->oci_version));
        json_object_set_new(j, "id", json_string(id));
        json_object_set_new(j, "status", json_string(status));
        json_object_set_new(j, "pid", json_integer(pid));
        json_object_set_new(j, "bundle", json_string(bundle));
        if (spec->annotations != NULL)
                json_object_set(j, "annotations", spec->annotations);
        text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (text == NULL)
                abort();
        return text;
}

/* ---- steps ---- */

static void reset_signals(void)
{
        sigset_t all;

        /* The runtime may have blocked signals to forward them (run); the container starts clean. */
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
}

/* Stage 1 of a two-stage init: join what has a path (with the host's privileges), make the user
 * namespace and have the parent map it, make the other namespaces, and fork the process that will be the
 * container's init (PID 1 of a new pid namespace has to be a child of the unsharer). Returns in stage 2. */
static int run_stage_one(const struct init_config *ic, berth_error *err)
{
        const struct spec_linux *lx = &ic->spec->linux_section;
        int flags = namespaces_new_clone_flags(lx) & ~CLONE_NEWUSER;
        bool new_user = lx->namespaces[NS_USER].present && lx->namespaces[NS_USER].path == NULL;
        bool new_time = lx->namespaces[NS_TIME].present && lx->namespaces[NS_TIME].path == NULL;
        pid_t stage_two;
        int r;

        if ((r = sync_expect(ic->sync_fd, SYNC_GO, NULL, err)) < 0)
                return r;
        /* The pid namespace with a path was joined by the parent (setns affects children only). */
        if ((r = namespaces_join_paths(lx, 1u << NS_PID, true, err)) < 0)
                return r;
        if (new_user) {
                if (unshare(CLONE_NEWUSER) < 0)
                        return berth_fail(err, errno, "unshare user namespace");
                if ((r = sync_send(ic->sync_fd, SYNC_USERNS_READY, 0, NULL, err)) < 0 ||
                    (r = sync_expect(ic->sync_fd, SYNC_USERNS_MAPPED, NULL, err)) < 0)
                        return r;
        }
        if (new_time)
                flags |= CLONE_NEWTIME;
        if (flags && unshare(flags) < 0)
                return berth_fail(err, errno, "unshare namespaces (flags %#x)", flags);
        if (new_time && (r = namespaces_write_time_offsets(lx, err)) < 0)
                return r;
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
        stage_two = fork();
        if (stage_two < 0)
                return berth_fail(err, errno, "fork the container's init");
        if (stage_two == 0) {
                /* No parent-death signal here: our parent is stage 1, which exits right away by design. If
                 * the runtime dies instead, its end of the sync socket closes and our next read ends us. */
                return 0;
        }
        /* Stage 1's work is done; the parent learns who the init is and reaps us. */
        if (sync_send(ic->sync_fd, SYNC_CHILD_PID, stage_two, NULL, err) < 0)
                sync_fail_and_exit(ic->sync_fd, err);
        _exit(EXIT_SUCCESS);
}

static int join_single_stage_namespaces(const struct init_config *ic, berth_error *err)
{
        /* Only reached without a new user namespace or without joined ones (namespaces_single_clone), so
         * these setns calls still run with the privileges they need. pid was handled by the parent. */
        return namespaces_join_paths(&ic->spec->linux_section, 1u << NS_PID, false, err);
}

static int become_root_in_user_namespace(const struct init_config *ic, berth_error *err)
{
        const struct spec_linux *lx = &ic->spec->linux_section;

        if (!ic->in_user_namespace)
                return 0;
        /* Files made while setting up (devices, mount targets) belong to the container's root. When 0 is
         * not mapped, we keep the ids we have: clone gave us every capability in the new namespace. */
        if (lx->namespaces[NS_USER].path == NULL &&
            (lx->n_uid_mappings == 0 || lx->uid_mappings[0].container_id != 0))
                return 0;
        if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
                return berth_fail(err, errno, "setresgid(0) in the user namespace");
        if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
                return berth_fail(err, errno, "setresuid(0) in the user namespace");
        return 0;
}

static int enter_cgroup_namespace(const struct init_config *ic, berth_error *err)
{
        const struct spec_linux *lx = &ic->spec->linux_section;

        /* Unshared only now that the parent put us in our cgroup: that cgroup becomes the namespace's root. */
        if (lx->namespaces[NS_CGROUP].present && lx->namespaces[NS_CGROUP].path == NULL &&
            unshare(CLONE_NEWCGROUP) < 0)
                return berth_fail(err, errno, "unshare cgroup namespace");
        return 0;
}

static int build_rootfs(const struct init_config *ic, int *rootfd, berth_error *err)
{
        const struct spec_linux *lx = &ic->spec->linux_section;
        struct mount_context mc = {
                .spec = ic->spec,
                .bundle = ic->opts->bundle,
                .in_user_namespace = ic->in_user_namespace,
                .own_cgroup_namespace = lx->namespaces[NS_CGROUP].present,
                .own_network_namespace = lx->namespaces[NS_NETWORK].present,
                .own_ipc_namespace = lx->namespaces[NS_IPC].present,
                .cgroup = ic->cgroup,
                .idmapped_trees = ic->idmapped_trees,
        };
        int r;

        if (!lx->namespaces[NS_MOUNT].present) {
                /* The runtime's mount namespace: nothing is mounted (validate.c refused what would be). */
                *rootfd = open(ic->spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*rootfd < 0)
                        return berth_fail(err, errno, "open rootfs %s", ic->spec->root_path);
                return 0;
        }
        if ((r = rootfs_prepare(ic->spec, rootfd, err)) < 0)
                return r;
        mc.rootfd = *rootfd;
        if ((r = mounts_apply(&mc, err)) < 0)
                return r;
        if ((r = devices_create(*rootfd, lx, ic->in_user_namespace, err)) < 0)
                return r;
        return devices_create_links(*rootfd, err);
}

static int run_create_hooks(const struct init_config *ic, pid_t host_pid, berth_error *err)
{
        const struct spec_hooks *hooks = &ic->spec->hooks;
        cleanup_free char *state = NULL;
        int r;

        /* prestart and createRuntime run in the runtime's namespaces: the parent runs them. */
        if (hooks->count[HOOK_PRESTART] || hooks->count[HOOK_CREATE_RUNTIME]) {
                if ((r = sync_send(ic->sync_fd, SYNC_HOOKS_REQUEST, 0, NULL, err)) < 0 ||
                    (r = sync_expect(ic->sync_fd, SYNC_HOOKS_DONE, NULL, err)) < 0)
                        return r;
        }
        if (hooks->count[HOOK_CREATE_CONTAINER] == 0)
                return 0;
        /* createContainer: in the container's namespaces, before pivot_root, paths of the runtime's view. */
        state = init_hook_state(ic->spec, ic->opts->id, ic->opts->bundle, host_pid, "creating");
        return hooks_run(hooks, HOOK_CREATE_CONTAINER, state, err);
}

static int setup_terminal(const struct init_config *ic, berth_error *err)
{
        cleanup_close int master = -1, slave = -1;
        int r;

        if (!ic->spec->process.terminal)
                return 0;
        if (ic->console_fd < 0)
                return berth_failf(err, EINVAL, "process.terminal is set but no --console-socket was given");
        if ((r = terminal_open_pty(&ic->spec->process, true, &master, &slave, err)) < 0 ||
            (r = terminal_send_master(ic->console_fd, master, slave, err)) < 0 ||
            (r = terminal_make_controlling(slave, err)) < 0)
                return r;
        return 0;
}

static int finish_rootfs(const struct init_config *ic, berth_error *err)
{
        const struct spec_linux *lx = &ic->spec->linux_section;
        cleanup_close int null_fd = -1;
        int r;

        if ((r = rootfs_finish_propagation(ic->spec, err)) < 0)
                return r;
        if ((r = rootfs_write_sysctls(lx, err)) < 0)
                return r;
        if (lx->masked_paths != NULL && lx->masked_paths[0] != NULL) {
                if ((r = rootfs_open_null(&null_fd, err)) < 0 ||
                    (r = rootfs_mask_paths(lx->masked_paths, null_fd, err)) < 0)
                        return r;
        }
        if ((r = rootfs_readonly_paths(lx->readonly_paths, err)) < 0)
                return r;
        if (ic->spec->root_readonly && (r = rootfs_make_readonly(err)) < 0)
                return r;
        return 0;
}

static int set_process_attributes(const struct init_config *ic, berth_error *err)
{
        const struct spec_process *p = &ic->spec->process;
        int r;

        if ((r = process_set_hostname(ic->spec, err)) < 0 ||
            (r = process_set_personality(&ic->spec->linux_section, err)) < 0 ||
            (r = process_set_exec_labels(p, err)) < 0 || (r = process_set_rlimits(p, err)) < 0 ||
            (r = process_set_scheduler(p, err)) < 0 || (r = process_set_io_priority(p, err)) < 0 ||
            (r = process_set_cpu_affinity(p, "initial", err)) < 0)
                return r;
        if (!ic->opts->no_new_keyring && (r = process_join_session_keyring(ic->opts->id, err)) < 0)
                return r;
        return 0;
}

static int close_runtime_fds(const struct init_config *ic, berth_error *err)
{
        int keep[] = {ic->sync_fd, ic->fifo_fd};

        /* Everything the runtime (or its caller) had open, except the preserved fds and our two channels,
         * is closed before we chdir into process.cwd: a host directory fd reachable as /proc/self/fd/N
         * would let a cwd of /proc/self/fd/N escape the root (CVE-2024-21626). */
        return process_close_fds_from(3 + ic->opts->preserve_fds, keep, ARRAY_SIZE(keep), err);
}

static int change_to_cwd(const struct spec_process *p, berth_error *err)
{
        char buf[4096];

        if (chdir(p->cwd) < 0)
                return berth_fail(err, errno, "process.cwd: chdir %s", p->cwd);
        /* The kernel reports a cwd outside our root as "(unreachable)/..." or ENOENT: refuse to run there. */
        if (getcwd(buf, sizeof(buf)) == NULL) {
                if (errno == ENOENT)
                        return berth_failf(err, EPERM, "process.cwd: %s is outside the container's root", p->cwd);
                if (errno != ERANGE)
                        return berth_fail(err, errno, "process.cwd: getcwd");
        } else if (buf[0] != '/') {
                return berth_failf(err, EPERM, "process.cwd: %s is outside the container's root", p->cwd);
        }
        return 0;
}

static int make_cwd(int rootfd, const struct spec_process *p, berth_error *err)
{
        cleanup_close int fd = path_mkdir_in_root(rootfd, p->cwd, 0755, err);

        /* As runc: a missing cwd is created (images' WORKDIR may not exist yet), inside the root. */
        return fd < 0 ? berth_error_prefix(err, "process.cwd: ") : 0;
}

static int drop_privileges(const struct init_config *ic, char **executable, int *listener, berth_error *err)
{
        const struct spec_process *p = &ic->spec->process;
        bool setgroups_allowed = !ic->in_user_namespace || process_setgroups_allowed();
        bool filter_now = ic->seccomp != NULL && !p->no_new_privileges;
        int r;

        if ((r = capabilities_prepare(&p->capabilities, err)) < 0 ||
            (filter_now && (r = capabilities_keep_across_setuid(err)) < 0) ||
            (r = process_switch_user(p, setgroups_allowed, process_keep_original_groups(ic->spec), err)) < 0 ||
            (r = change_to_cwd(p, err)) < 0)
                return r;
        /* The PATH lookup (stat, access) as the container's user from its cwd, and before any filter: a profile
         * may deny what it needs (faccessat, newfstatat), as crun allows. */
        if ((r = process_find_executable(p, executable, err)) < 0)
                return r;
        /* Without no_new_privs the filter needs CAP_SYS_ADMIN (seccomp(2)): it goes in as late as that allows,
         * after the switch of user and the cwd check, so that a profile denying what those steps need
         * (getcwd, chdir, setgroups...) still works; only setting the capabilities and execve run under it. */
        if (filter_now) {
                if ((r = capabilities_raise_sys_admin(err)) < 0 ||
                    (r = seccomp_filter_install(ic->seccomp, listener, err)) < 0)
                        return r;
                if (!p->capabilities.present && p->user.uid != 0 && (r = capabilities_drop_all(err)) < 0)
                        return r;
        }
        return capabilities_apply(&p->capabilities, err);
}

static int wait_for_start(const struct init_config *ic, berth_error *err)
{
        char byte;
        ssize_t n;

        do
                n = read(ic->fifo_fd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                return berth_fail(err, n < 0 ? errno : EPIPE, "wait for start on exec.fifo");
        return 0;
}

static int install_late_seccomp(const struct init_config *ic, int *listener, berth_error *err)
{
        if (ic->seccomp == NULL || !ic->spec->process.no_new_privileges)
                return 0;
        /* With no_new_privs the filter goes in as late as it can while the parent still listens, so that
         * a notify fd can reach it: only reading exec.fifo, startContainer hooks and execve run under it. */
        return seccomp_filter_install(ic->seccomp, listener, err);
}

/* The notify fd must reach listenerPath, which names a path in the runtime's mount namespace, not ours:
 * the parent sends it on. */
static int hand_listener_to_parent(const struct init_config *ic, int listener, berth_error *err)
{
        int r;

        if (listener < 0)
                return 0;
        r = sync_send_fd(ic->sync_fd, SYNC_SECCOMP_LISTENER, listener, err);
        close(listener);
        return r;
}

/* ---- the sequence ---- */

static int init_run(const struct init_config *ic, char **executable, char ***env, pid_t *host_pid, berth_error *err)
{
        int listener = -1;
        const struct spec_process *p = &ic->spec->process;
        cleanup_close int rootfd = -1;
        int32_t pid_value = 0;
        int r;

        if (ic->two_stages && (r = run_stage_one(ic, err)) < 0)
                return r;
        /* GO: our id maps are written and we are in our cgroup; it also tells us our pid as the host sees it. */
        if ((r = sync_expect(ic->sync_fd, SYNC_GO, &pid_value, err)) < 0)
                return r;
        *host_pid = pid_value;
        if (!ic->two_stages) {
                if (!ic->privileged_parent && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        return berth_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
                if ((r = join_single_stage_namespaces(ic, err)) < 0)
                        return r;
        }
        if ((r = enter_cgroup_namespace(ic, err)) < 0 || (r = become_root_in_user_namespace(ic, err)) < 0)
                return r;
        if (setsid() < 0)
                return berth_fail(err, errno, "setsid");
        if ((r = build_rootfs(ic, &rootfd, err)) < 0 || (r = make_cwd(rootfd, p, err)) < 0 ||
            (r = run_create_hooks(ic, *host_pid, err)) < 0)
                return r;
        close(steal_fd(&rootfd));
        if (ic->spec->linux_section.namespaces[NS_MOUNT].present)
                r = rootfs_pivot(ic->spec->root_path, ic->opts->no_pivot, err);
        else
                r = rootfs_chroot(ic->spec->root_path, err);
        if (r < 0 ||
            (r = setup_terminal(ic, err)) < 0 || (r = finish_rootfs(ic, err)) < 0 ||
            (r = set_process_attributes(ic, err)) < 0 || (r = close_runtime_fds(ic, err)) < 0)
                goto out;
        /* HOME from the container's /etc/passwd (now our root), before any filter could deny reading it. */
        *env = process_env_with_home(p->env, p->user.uid);
        if (ic->opts->listen_fds > 0) {
                /* systemd socket activation passed on (crun): the fds are 3.., the process is PID 1. */
                cleanup_free char *count = xasprintf("LISTEN_FDS=%d", ic->opts->listen_fds);
                *env = strv_env_set(*env, count);
                *env = strv_env_set(*env, "LISTEN_PID=1");
        }
        if ((r = drop_privileges(ic, executable, &listener, err)) < 0)
                goto out;
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                r = berth_fail(err, errno, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
                goto out;
        }
        if ((r = install_late_seccomp(ic, &listener, err)) < 0)
                goto out;
        r = hand_listener_to_parent(ic, listener, err);
        listener = -1;
out:
        if (listener >= 0)
                close(listener);
        return r;
}

void init_main(const struct init_config *ic)
{
        const struct spec_process *p = &ic->spec->process;
        cleanup_free char *executable = NULL;
        cleanup_strv char **env = NULL;
        berth_error err = {0};
        pid_t host_pid = 0;

        reset_signals();
        /* While the runtime is there to hear about it, a dying runtime takes the half-made init along. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
                berth_fail(&err, errno, "prctl(PR_SET_PDEATHSIG)");
                sync_fail_and_exit(ic->sync_fd, &err);
        }
        /* Nothing in the container may ptrace us or open our /proc files while we hold host resources. */
        if (ic->privileged_parent && !ic->two_stages && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                berth_fail(&err, errno, "prctl(PR_SET_DUMPABLE)");
                sync_fail_and_exit(ic->sync_fd, &err);
        }
        if (init_run(ic, &executable, &env, &host_pid, &err) < 0)
                sync_fail_and_exit(ic->sync_fd, &err);

        /* Once `create` returns the init must outlive it. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (sync_send(ic->sync_fd, SYNC_CREATED, 0, NULL, &err) < 0)
                _exit(EXIT_FAILURE);
        close(ic->sync_fd);

        if (wait_for_start(ic, &err) < 0)
                goto fail_after_create;
        if (ic->spec->hooks.count[HOOK_START_CONTAINER] > 0) {
                cleanup_free char *state = init_hook_state(ic->spec, ic->opts->id, ic->opts->bundle, host_pid, "running");
                if (hooks_run(&ic->spec->hooks, HOOK_START_CONTAINER, state, &err) < 0)
                        goto fail_after_create;
        }
        if (process_set_cpu_affinity(p, "final", &err) < 0)
                goto fail_after_create;
        close(ic->fifo_fd);
        execve(executable, p->args, env);
        berth_fail(&err, errno, "exec %s", executable);
fail_after_create:
        /* `create` has returned: the container's stderr is the only place left to say what went wrong. */
        dprintf(STDERR_FILENO, "berth-runtime: %s\n", berth_error_message(&err));
        _exit(errno == ENOENT ? 127 : 126);
}
