#include "runtime/validate.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "lib/util.h"

static bool has_own(const struct spec_linux *lx, enum spec_namespace_type t)
{
        return lx->namespaces[t].present;
}

int validate_sysctl(const struct spec_linux *lx, const char *key, berth_error *err)
{
        static const char *const ipc_sysctls[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                                  "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                                  "kernel.shmmni", "kernel.shm_rmid_forced"};

        for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
                if (strcmp(key, ipc_sysctls[i]) == 0) {
                        if (!has_own(lx, NS_IPC))
                                return berth_failf(err, EINVAL, "linux.sysctl: %s needs an IPC namespace of its own", key);
                        return 0;
                }
        if (str_has_prefix(key, "fs.mqueue.")) {
                if (!has_own(lx, NS_IPC))
                        return berth_failf(err, EINVAL, "linux.sysctl: %s needs an IPC namespace of its own", key);
                return 0;
        }
        if (str_has_prefix(key, "net.")) {
                if (!has_own(lx, NS_NETWORK))
                        return berth_failf(err, EINVAL, "linux.sysctl: %s needs a network namespace of its own", key);
                return 0;
        }
        if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
                if (!has_own(lx, NS_UTS))
                        return berth_failf(err, EINVAL, "linux.sysctl: %s needs a UTS namespace of its own", key);
                return 0;
        }
        return berth_failf(err, EINVAL, "linux.sysctl: %s is not in a namespace of the container's own: setting it "
                                        "would change the host",
                           key);
}

/* No mount namespace: the container runs in the runtime's, its root set by chroot (as runc). Whatever would
 * mount something would mount it on the host, where nothing removes it: refused rather than done. */
static int validate_without_mount_namespace(const struct runtime_spec *spec, berth_error *err)
{
        const struct spec_linux *lx = &spec->linux_section;
        const char *what = NULL;

        if (spec->n_mounts > 0)
                what = "mounts";
        else if (lx->masked_paths != NULL && lx->masked_paths[0] != NULL)
                what = "linux.maskedPaths";
        else if (lx->readonly_paths != NULL && lx->readonly_paths[0] != NULL)
                what = "linux.readonlyPaths";
        else if (spec->root_readonly)
                what = "root.readonly";
        else if (lx->rootfs_propagation != NULL && lx->rootfs_propagation[0] != '\0')
                what = "linux.rootfsPropagation";
        else if (lx->n_devices > 0)
                what = "linux.devices";
        if (what == NULL)
                return 0;
        return berth_failf(err, EINVAL, "config.json: %s needs a mount namespace of the container's own (without "
                                        "one in linux.namespaces, it would change the host's mounts)",
                           what);
}

int validate_for_create(const struct runtime_spec *spec, const struct runtime_context *ctx, berth_error *err)
{
        const struct spec_linux *lx = &spec->linux_section;
        struct stat st;
        int r;

        (void) ctx;
        if (!spec->has_process)
                return berth_failf(err, EINVAL, "config.json: process: required to create a container");
        if (stat(spec->root_path, &st) < 0) {
                if (errno == ENOENT)
                        return berth_failf(err, ENOENT, "config.json: root.path: rootfs %s does not exist",
                                           spec->root_path);
                return berth_fail(err, errno, "config.json: root.path: rootfs %s", spec->root_path);
        }
        if (!S_ISDIR(st.st_mode))
                return berth_failf(err, ENOTDIR, "config.json: root.path: rootfs %s is not a directory", spec->root_path);
        if (!lx->namespaces[NS_MOUNT].present && (r = validate_without_mount_namespace(spec, err)) < 0)
                return r;
        if (spec->hostname != NULL && spec->hostname[0] != '\0' && !has_own(lx, NS_UTS))
                return berth_failf(err, EINVAL, "config.json: hostname: needs a UTS namespace of its own");
        if (spec->domainname != NULL && spec->domainname[0] != '\0' && !has_own(lx, NS_UTS))
                return berth_failf(err, EINVAL, "config.json: domainname: needs a UTS namespace of its own");
        for (size_t i = 0; i < lx->n_sysctls; i++) {
                if ((r = validate_sysctl(lx, lx->sysctls[i].key, err)) < 0)
                        return berth_error_prefix(err, "config.json: ");
                /* As runc and crun: two sources for one value is a conflict, whichever would win. */
                if (strcmp(lx->sysctls[i].key, "kernel.hostname") == 0 && spec->hostname != NULL &&
                    spec->hostname[0] != '\0')
                        return berth_failf(err, EINVAL, "config.json: linux.sysctl: kernel.hostname conflicts with "
                                                        "hostname \"%s\": set one of them",
                                           spec->hostname);
        }
        if (lx->intel_rdt != NULL)
                return berth_failf(err, ENOTSUP, "config.json: linux.intelRdt: Intel RDT is not supported");
        return 0;
}
