#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/init.h"
#include "lib/json.h"
#include "lib/log.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/seccomp_profile.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "runtime/userns.h"
#include "lib/util.h"
#include "runtime/validate.h"

/* Everything create makes, so that a failure at any step can take it all back. */
struct creation {
        const struct runtime_context *ctx;
        const struct create_options *opts;
        struct runtime_spec *spec;
        struct cgroup_resources *resources;
        struct cgroup_manager *cgroup;
        struct seccomp_profile *seccomp_profile;
        struct seccomp_filter *seccomp;
        int *idmapped_trees; /* idmap.h */
        char *state_dir;
        int state_dirfd;
        bool state_dir_made;
        int fifo_fd;
        int sync_parent, sync_child;
        int console_fd;     /* passed to the init */
        int console_peer;   /* our end when the caller wants the master */
        pid_t child;        /* what we cloned (the init, or stage 1) */
        pid_t init_pid;     /* the container's init */
        bool two_stages;
        bool in_user_namespace;
};

static void creation_undo(struct creation *c)
{
        /* Reverse order of making. The init's mounts live in its own mount namespace and go with it. */
        if (c->init_pid > 0)
                kill(c->init_pid, SIGKILL);
        if (c->child > 0 && c->child != c->init_pid)
                kill(c->child, SIGKILL);
        if (c->child > 0)
                while (waitpid(c->child, NULL, 0) < 0 && errno == EINTR)
                        ;
        if (c->init_pid > 0 && c->init_pid != c->child)
                (void) container_wait_pid_gone(c->init_pid, 0, 2000, NULL);
        if (c->cgroup != NULL)
                (void) cgroup_manager_destroy(c->cgroup, NULL);
        if (c->state_dir_made) {
                int root = open(c->ctx->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root >= 0) {
                        if (c->state_dirfd >= 0)
                                (void) container_remove_record(c->state_dirfd, c->state_dir, NULL);
                        unlinkat(root, c->opts->id, AT_REMOVEDIR);
                        close(root);
                }
        }
}

static void creation_free(struct creation *c)
{
        if (c->sync_parent >= 0)
                close(c->sync_parent);
        if (c->sync_child >= 0)
                close(c->sync_child);
        if (c->fifo_fd >= 0)
                close(c->fifo_fd);
        if (c->console_fd >= 0)
                close(c->console_fd);
        if (c->console_peer >= 0)
                close(c->console_peer);
        if (c->state_dirfd >= 0)
                close(c->state_dirfd);
        if (c->spec != NULL)
                idmap_close_mounts(c->idmapped_trees, c->spec->n_mounts);
        free(c->state_dir);
        if (c->seccomp)
                seccomp_filter_free(c->seccomp);
        if (c->seccomp_profile)
                seccomp_profile_free(c->seccomp_profile);
        if (c->cgroup)
                cgroup_manager_free(c->cgroup);
        if (c->resources)
                cgroup_resources_free(c->resources);
        if (c->spec)
                spec_free(c->spec);
}

/* ---- steps ---- */

static int make_state_dir(struct creation *c, berth_error *err)
{
        if (mkdir(c->ctx->state_root, 0711) < 0 && errno != EEXIST &&
            mkdir_parents(c->ctx->state_root, 0711, err) < 0)
                return berth_error_prefix(err, "state root: ");
        c->state_dir = xasprintf("%s/%s", c->ctx->state_root, c->opts->id);
        /* mkdir is the atomic claim on the id: two creates of one id cannot both get here. */
        if (mkdir(c->state_dir, 0711) < 0) {
                if (errno == EEXIST)
                        return berth_failf(err, EEXIST, "container with id exists: %s", c->opts->id);
                return berth_fail(err, errno, "create state directory %s", c->state_dir);
        }
        c->state_dir_made = true;
        c->state_dirfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->state_dirfd < 0)
                return berth_fail(err, errno, "open %s", c->state_dir);
        /* Held until the record is complete: start/delete/kill on a half-made container wait for us. */
        if (flock(c->state_dirfd, LOCK_EX) < 0)
                return berth_fail(err, errno, "lock %s", c->state_dir);
        return 0;
}

static int prepare_cgroup(struct creation *c, berth_error *err)
{
        const struct spec_linux *lx = &c->spec->linux_section;
        struct cgroup_config config = {
                .id = c->opts->id,
                .cgroups_path = lx->cgroups_path,
                .resources = c->resources,
                .devices = lx->devices,
                .n_devices = lx->n_devices,
                .rootless = c->ctx->rootless,
        };

        /* --cgroup-manager disabled (crun): the init stays in the runtime's cgroup, nothing is made. */
        if (c->ctx->no_cgroup)
                return 0;
        return cgroup_manager_create(&config, &c->cgroup, err);
}

static int prepare_seccomp(struct creation *c, berth_error *err)
{
        cleanup_free char *cache = NULL;

        if (c->seccomp_profile == NULL)
                return 0;
        cache = xasprintf("%s/.cache/seccomp", c->ctx->state_root);
        return seccomp_filter_prepare(c->seccomp_profile, cache, &c->seccomp, err);
}

static int prepare_channels(struct creation *c, berth_error *err)
{
        int pair[2];

        if (mkfifoat(c->state_dirfd, "exec.fifo", 0600) < 0)
                return berth_fail(err, errno, "mkfifo %s/exec.fifo", c->state_dir);
        /* O_RDWR: the open does not wait for a writer, and the init's read blocks until start writes. */
        c->fifo_fd = openat(c->state_dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
        if (c->fifo_fd < 0)
                return berth_fail(err, errno, "open %s/exec.fifo", c->state_dir);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return berth_fail(err, errno, "socketpair");
        c->sync_parent = pair[0];
        c->sync_child = pair[1];
        if (!c->spec->process.terminal)
                return 0;
        return terminal_open_channel(c->opts->console_socket, c->opts->want_terminal_master,
                                     "process.terminal is set: --console-socket is required (or run it in the "
                                     "foreground)",
                                     &c->console_fd, &c->console_peer, err);
}

static pid_t clone_init(struct creation *c, int flags, berth_error *err)
{
        int cgroup_fd = c->cgroup ? cgroup_manager_clone_into_fd(c->cgroup) : -1;
        bool placed;
        pid_t pid = namespaces_clone(flags, cgroup_fd, &placed, err);

        if (pid <= 0)
                return pid < 0 ? berth_error_prefix(err, "the container's init: ") : 0;
        /* Without CLONE_INTO_CGROUP (cgroup v1 or hybrid), move it before it runs anything of ours. */
        if (!placed && c->cgroup != NULL && cgroup_manager_enter(c->cgroup, pid, err) < 0) {
                c->child = pid;
                return -err->code;
        }
        return pid;
}

static int spawn_init(struct creation *c, berth_error *err)
{
        const struct spec_linux *lx = &c->spec->linux_section;
        cleanup_close int own_pidns = -1;
        int own_timens = -1;
        struct init_config ic = {
                .ctx = c->ctx,
                .opts = c->opts,
                .spec = c->spec,
                .cgroup = c->cgroup,
                .seccomp = c->seccomp,
                .idmapped_trees = c->idmapped_trees,
                .state_dir = c->state_dir,
                .fifo_fd = c->fifo_fd,
                .console_fd = c->console_fd,
                .two_stages = c->two_stages,
                .in_user_namespace = c->in_user_namespace,
                .privileged_parent = geteuid() == 0,
        };
        int flags = c->two_stages ? 0 : namespaces_new_clone_flags(lx);
        pid_t pid;

        /* Joining a pid namespace changes only where our children go: do it here, and come back after. */
        if (lx->namespaces[NS_PID].path != NULL) {
                cleanup_close int target = open(lx->namespaces[NS_PID].path, O_RDONLY | O_CLOEXEC);
                if (target < 0)
                        return berth_fail(err, errno, "open pid namespace %s", lx->namespaces[NS_PID].path);
                if (namespaces_enter_pid_for_children(target, &own_pidns, err) < 0)
                        return berth_error_prefix(err, "%s: ", lx->namespaces[NS_PID].path);
        }
        if (!c->two_stages && namespaces_enter_time_for_children(lx, &own_timens, err) < 0) {
                berth_error ignored = {0};
                namespaces_leave_pid_for_children(&own_pidns, &ignored);
                berth_error_clear(&ignored);
                return -err->code;
        }
        pid = clone_init(c, flags, err);
        if (pid == 0) {
                close(c->sync_parent);
                if (own_timens >= 0)
                        close(own_timens);
                ic.sync_fd = c->sync_child;
                init_main(&ic);
        }
        {
                int left_time = namespaces_leave_time_for_children(&own_timens, pid > 0 ? err : NULL);
                int left_pid = left_time < 0 ? namespaces_leave_pid_for_children(&own_pidns, NULL)
                                             : namespaces_leave_pid_for_children(&own_pidns, pid > 0 ? err : NULL);
                if ((left_time < 0 || left_pid < 0) && pid > 0) {
                        c->child = pid;
                        return -err->code;
                }
        }
        if (pid < 0)
                return pid;
        c->child = pid;
        close(c->sync_child);
        c->sync_child = -1;
        if (c->console_fd >= 0) {
                close(c->console_fd);
                c->console_fd = -1;
        }
        return 0;
}

static int write_id_maps(struct creation *c, pid_t pid, berth_error *err)
{
        const struct spec_linux *lx = &c->spec->linux_section;

        return userns_write_mappings(pid, lx->uid_mappings, lx->n_uid_mappings, lx->gid_mappings,
                                     lx->n_gid_mappings, err);
}

static int set_oom_score_adj(struct creation *c, pid_t pid, berth_error *err)
{
        char path[64], value[16];
        int len;

        /* From here, not from the init: lowering it needs CAP_SYS_RESOURCE in the host's namespace, and
         * the init's /proc files may not be writable to itself inside a user namespace. */
        if (!c->spec->process.has_oom_score_adj)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
        len = snprintf(value, sizeof(value), "%d", c->spec->process.oom_score_adj);
        if (write_file_at(AT_FDCWD, path, value, (size_t) len, err) < 0)
                return berth_error_prefix(err, "process.oomScoreAdj: ");
        return 0;
}

/* Brings the init from its birth to "GO": id maps, the two-stage dance, the oom score. */
static int guide_init_to_go(struct creation *c, berth_error *err)
{
        const struct spec_linux *lx = &c->spec->linux_section;
        int32_t value = 0;
        int r;

        if (!c->two_stages) {
                c->init_pid = c->child;
                if (c->in_user_namespace && lx->namespaces[NS_USER].path == NULL &&
                    (r = write_id_maps(c, c->child, err)) < 0)
                        return r;
        } else {
                if ((r = sync_send(c->sync_parent, SYNC_GO, 0, NULL, err)) < 0)
                        return r;
                if (lx->namespaces[NS_USER].present && lx->namespaces[NS_USER].path == NULL) {
                        if ((r = sync_expect(c->sync_parent, SYNC_USERNS_READY, NULL, err)) < 0 ||
                            (r = write_id_maps(c, c->child, err)) < 0 ||
                            (r = sync_send(c->sync_parent, SYNC_USERNS_MAPPED, 0, NULL, err)) < 0)
                                return r;
                }
                if ((r = sync_expect(c->sync_parent, SYNC_CHILD_PID, &value, err)) < 0)
                        return r;
                c->init_pid = value;
                while (waitpid(c->child, NULL, 0) < 0 && errno == EINTR)
                        ;
                c->child = c->init_pid; /* stage 1 is reaped; the init is what's left to undo */
        }
        if ((r = set_oom_score_adj(c, c->init_pid, err)) < 0)
                return r;
        return sync_send(c->sync_parent, SYNC_GO, c->init_pid, NULL, err);
}

static int run_runtime_hooks(struct creation *c, berth_error *err)
{
        cleanup_free char *state = init_hook_state(c->spec, c->opts->id, c->opts->bundle, c->init_pid, "creating");
        int r;

        /* prestart (deprecated) and createRuntime: same moment, the runtime's namespaces. */
        if ((r = hooks_run(&c->spec->hooks, HOOK_PRESTART, state, err)) < 0 ||
            (r = hooks_run(&c->spec->hooks, HOOK_CREATE_RUNTIME, state, err)) < 0)
                return r;
        return sync_send(c->sync_parent, SYNC_HOOKS_DONE, 0, NULL, err);
}

static int send_seccomp_listener(struct creation *c, int listener, berth_error *err)
{
        cleanup_free char *state = init_hook_state(c->spec, c->opts->id, c->opts->bundle, c->init_pid, "creating");
        int r;

        if (listener < 0)
                return berth_failf(err, EPROTO, "the container's init sent no seccomp listener fd");
        if (c->seccomp == NULL) {
                close(listener);
                return berth_failf(err, EPROTO, "the container's init sent a seccomp listener without a profile");
        }
        r = seccomp_filter_send_listener(c->seccomp, listener, state, err);
        close(listener);
        return r < 0 ? berth_error_prefix(err, "linux.seccomp.listenerPath: ") : 0;
}

static int wait_until_created(struct creation *c, berth_error *err)
{
        for (;;) {
                struct sync_message msg;
                int r = sync_receive(c->sync_parent, &msg, err);

                if (r == -EPIPE)
                        return berth_failf(err, EPIPE, "the container's init exited before it was ready");
                if (r < 0)
                        return r;
                if (msg.fd >= 0 && msg.type != SYNC_SECCOMP_LISTENER) {
                        close(msg.fd);
                        msg.fd = -1;
                }
                switch (msg.type) {
                case SYNC_CREATED:
                        return 0;
                case SYNC_HOOKS_REQUEST:
                        if ((r = run_runtime_hooks(c, err)) < 0)
                                return r;
                        break;
                case SYNC_SECCOMP_LISTENER:
                        if ((r = send_seccomp_listener(c, msg.fd, err)) < 0)
                                return r;
                        break;
                case SYNC_ERROR:
                        return berth_failf(err, msg.value > 0 ? msg.value : EIO, "%s", msg.text);
                default:
                        return berth_failf(err, EPROTO, "unexpected message %u from the container's init", msg.type);
                }
        }
}

static int receive_terminal_master(struct creation *c, struct created_container *out, berth_error *err)
{
        if (c->console_peer < 0)
                return 0;
        return fd_receive(c->console_peer, &out->terminal_master, err);
}

/* The state's "owner": the user name of our uid from /etc/passwd, read directly (as runc does) rather than
 * through NSS, which a static binary cannot load. */
static char *owner_name(void)
{
        cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
        char line[1024];
        uid_t uid = geteuid();

        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
                char *name = line, *colon = strchr(line, ':'), *uid_field;
                uint64_t value;
                if (colon == NULL)
                        continue;
                *colon = '\0';
                uid_field = strchr(colon + 1, ':');
                if (uid_field == NULL)
                        continue;
                uid_field++;
                uid_field[strcspn(uid_field, ":")] = '\0';
                if (parse_u64(uid_field, &value) == 0 && value == uid)
                        return xstrdup(name);
        }
        return xstrdup("");
}

static int write_state(struct creation *c, berth_error *err)
{
        cleanup_free char *owner = owner_name(), *config = NULL;
        struct timespec now;
        char created[64];
        uint64_t start_time = 0;
        int r;

        clock_gettime(CLOCK_REALTIME, &now);
        format_rfc3339_nano(&now, created, sizeof(created));
        if ((r = process_start_time(c->init_pid, &start_time)) < 0)
                return berth_fail(err, -r, "read the start time of the init (pid %d)", (int) c->init_pid);
        /* The config as created: exec takes its defaults from it and delete its poststop hooks, even when
         * the bundle has changed or gone since. Its bytes as read, not re-serialised. */
        if (c->spec->raw != NULL)
                r = write_file_atomic_at(c->state_dirfd, "config.json", c->spec->raw, c->spec->raw_len, 0600, false, err);
        else {
                config = json_to_string(c->spec->document);
                r = write_file_atomic_at(c->state_dirfd, "config.json", config, strlen(config), 0600, false, err);
        }
        if (r < 0)
                return r;
        /* The record borrows what creation owns (strings, the cgroup manager); container_save copies. */
        const struct container record = {
                .id = (char *) c->opts->id,
                .oci_version = (char *) c->spec->oci_version,
                .bundle = (char *) c->opts->bundle,
                .rootfs = (char *) c->spec->root_path,
                .created = created,
                .owner = owner,
                .pid = c->init_pid,
                .start_time = start_time,
                .annotations = c->spec->annotations,
                .cgroup = c->cgroup,
                .poststart_hooks = c->spec->hooks.count[HOOK_POSTSTART] > 0,
                .poststop_hooks = c->spec->hooks.count[HOOK_POSTSTOP] > 0,
        };
        return container_save(&record, c->state_dirfd, err);
}

static int write_pid_file(const char *path, pid_t pid, berth_error *err)
{
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "%d", (int) pid);

        /* Atomic: a watcher (containerd's shim, conmon) never reads a half-written pid. */
        return write_file_atomic_at(AT_FDCWD, path, buf, (size_t) len, 0644, false, err);
}

static int load_and_validate(struct creation *c, berth_error *err)
{
        const struct spec_linux *lx;
        int r;

        if ((r = container_id_validate(c->opts->id, err)) < 0 ||
            (r = spec_load_file(c->opts->bundle, c->opts->config_path, &c->spec, err)) < 0)
                return r;
        if ((r = validate_for_create(c->spec, c->ctx, err)) < 0)
                return r;
        for (size_t i = 0; c->spec->process.capabilities.unknown && c->spec->process.capabilities.unknown[i]; i++)
                log_warning(c->ctx->log, "process.capabilities: unknown capability \"%s\" left out",
                            c->spec->process.capabilities.unknown[i]);
        lx = &c->spec->linux_section;
        if ((r = cgroup_resources_parse(lx->resources, &c->resources, err)) < 0)
                return berth_error_prefix(err, "config.json: ");
        if (lx->seccomp != NULL && (r = seccomp_profile_parse(lx->seccomp, &c->seccomp_profile, err)) < 0)
                return berth_error_prefix(err, "config.json: ");
        c->two_stages = !namespaces_single_clone(lx);
        c->in_user_namespace = lx->namespaces[NS_USER].present;
        return 0;
}

int container_create(const struct runtime_context *ctx, const struct create_options *opts,
                     struct created_container *out, berth_error *err)
{
        struct creation c = {
                .ctx = ctx,
                .opts = opts,
                .state_dirfd = -1,
                .fifo_fd = -1,
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
        if ((r = load_and_validate(&c, err)) < 0)
                goto done;
        if (opts->caller_waits && c.two_stages && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                r = berth_fail(err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
                goto done;
        }
        if ((r = make_state_dir(&c, err)) < 0 || (r = prepare_cgroup(&c, err)) < 0 ||
            (r = prepare_seccomp(&c, err)) < 0 ||
            (r = idmap_prepare_mounts(c.spec, opts->bundle, &c.idmapped_trees, err)) < 0 ||
            (r = prepare_channels(&c, err)) < 0 ||
            (r = spawn_init(&c, err)) < 0 || (r = guide_init_to_go(&c, err)) < 0 ||
            (r = wait_until_created(&c, err)) < 0 || (r = receive_terminal_master(&c, out, err)) < 0 ||
            (r = write_state(&c, err)) < 0)
                goto undo;
        if (opts->pid_file != NULL && (r = write_pid_file(opts->pid_file, c.init_pid, err)) < 0)
                goto undo;
        out->pid = c.init_pid;
        r = 0;
        goto done;
undo:
        if (out->terminal_master >= 0) {
                close(out->terminal_master);
                out->terminal_master = -1;
        }
        creation_undo(&c);
done:
        creation_free(&c);
        process_release_fd_range(fd_placeholders);
        return r;
}
