#include "runtime/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runtime/mounts.h"
#include "runtime/userns.h"
#include "lib/util.h"

/* A user namespace that carries the given mappings, as an fd: a child is cloned into a new user namespace,
 * its maps are written, its /proc/PID/ns/user opened, and the child is let go. The namespace lives on in
 * the fd. */
static int make_user_namespace(const struct spec_id_mapping *uids, size_t n_uids, const struct spec_id_mapping *gids,
                               size_t n_gids, int *fd_out, berth_error *err)
{
        int pipefd[2];
        char path[64];
        pid_t pid;
        int r = 0;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return berth_fail(err, errno, "pipe");
        pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                r = berth_fail(err, errno, "clone a user namespace for an idmapped mount");
                goto out;
        }
        if (pid == 0) {
                char byte;
                close(pipefd[1]);
                /* Wait until the parent has what it needs (or died): EOF either way. */
                (void) !read(pipefd[0], &byte, 1);
                _exit(0);
        }
        if ((r = userns_write_mappings(pid, uids, n_uids, gids, n_gids, err)) == 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                *fd_out = open(path, O_RDONLY | O_CLOEXEC);
                if (*fd_out < 0)
                        r = berth_fail(err, errno, "open %s", path);
        }
        close(pipefd[1]);
        pipefd[1] = -1;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
out:
        close(pipefd[0]);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        return r;
}

static int idmap_one(const struct runtime_spec *spec, const char *bundle, size_t index, int *tree_out,
                     berth_error *err)
{
        const struct spec_mount *m = &spec->mounts[index];
        const struct spec_linux *lx = &spec->linux_section;
        const struct spec_id_mapping *uids = m->uid_mappings, *gids = m->gid_mappings;
        size_t n_uids = m->n_uid_mappings, n_gids = m->n_gid_mappings;
        cleanup_free char *source = NULL;
        cleanup_close int tree = -1, userns = -1;
        struct mount_options o;
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
        int r;

        if ((r = mount_options_parse(m->options, &o, err)) < 0)
                return r;
        mount_options_clear(&o);
        if (!o.bind && !(m->type && strcmp(m->type, "bind") == 0))
                return berth_failf(err, EINVAL, "only bind mounts can be idmapped");
        /* runtime-spec 1.2: "idmap" without mappings of its own uses the container's user namespace's. */
        if (n_uids == 0) {
                if (lx->n_uid_mappings == 0)
                        return berth_failf(err, EINVAL, "idmap needs uidMappings (of the mount or of a user namespace)");
                uids = lx->uid_mappings;
                n_uids = lx->n_uid_mappings;
                gids = lx->gid_mappings;
                n_gids = lx->n_gid_mappings;
        }
        source = m->source && m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o.recursive_bind ? AT_RECURSIVE : 0));
        if (tree < 0)
                return berth_fail(err, errno, "clone mount of %s", source);
        if ((r = make_user_namespace(uids, n_uids, gids, n_gids, &userns, err)) < 0)
                return r;
        attr.userns_fd = (uint64_t) userns;
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (o.recursive_idmap ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return berth_fail(err, errno, "idmap the mount of %s", source);
        *tree_out = steal_fd(&tree);
        return 0;
}

bool idmap_mount_wanted(const struct spec_mount *m)
{
        if (m->n_uid_mappings > 0)
                return true;
        for (size_t i = 0; m->options && m->options[i]; i++)
                if (strcmp(m->options[i], "idmap") == 0 || strcmp(m->options[i], "ridmap") == 0)
                        return true;
        return false;
}

/* A plain bind mount of a container with a user namespace: its source is cloned here, with the runtime's
 * own access, as runc and crun do: the init, once in its user namespace, may not be able to reach a source
 * under a directory only the host's root can traverse. A runtime that may not clone mounts (rootless) leaves
 * it to the init. */
static int clone_bind_source(const struct spec_mount *m, const char *bundle, int *tree_out, berth_error *err)
{
        cleanup_free char *source = NULL;
        struct mount_options o;
        int r;

        if ((r = mount_options_parse(m->options, &o, err)) < 0)
                return r;
        mount_options_clear(&o);
        if (o.remount || !(o.bind || (m->type && strcmp(m->type, "bind") == 0)) || m->source == NULL ||
            m->source[0] == '\0')
                return 0;
        source = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        *tree_out = open_tree(AT_FDCWD, source,
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o.recursive_bind ? AT_RECURSIVE : 0));
        if (*tree_out < 0 && errno != EPERM && errno != ENOSYS)
                return berth_fail(err, errno, "bind mount source %s", source);
        return 0;
}

int idmap_prepare_mounts(const struct runtime_spec *spec, const char *bundle, int **trees_out, berth_error *err)
{
        bool new_user = spec->linux_section.namespaces[NS_USER].present;
        int *trees = NULL;
        int r;

        for (size_t i = 0; i < spec->n_mounts; i++) {
                bool idmapped = idmap_mount_wanted(&spec->mounts[i]);
                if (!idmapped && !new_user)
                        continue;
                if (trees == NULL) {
                        trees = xmalloc(spec->n_mounts * sizeof(int));
                        for (size_t j = 0; j < spec->n_mounts; j++)
                                trees[j] = -1;
                }
                r = idmapped ? idmap_one(spec, bundle, i, &trees[i], err)
                             : clone_bind_source(&spec->mounts[i], bundle, &trees[i], err);
                if (r < 0) {
                        idmap_close_mounts(trees, spec->n_mounts);
                        return berth_error_prefix(err, "mounts[%zu] (%s): ", i, spec->mounts[i].destination);
                }
        }
        *trees_out = trees;
        return 0;
}

void idmap_close_mounts(int *trees, size_t n)
{
        if (trees == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                if (trees[i] >= 0)
                        close(trees[i]);
        free(trees);
}
