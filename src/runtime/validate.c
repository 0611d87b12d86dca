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
        if (!lx->namespaces[NS_MOUNT].present)
                return berth_failf(err, EINVAL, "config.json: linux.namespaces: a mount namespace is required "
                                                "(pivot_root would change the host's root)");
        if (lx->namespaces[NS_MOUNT].path != NULL)
                return berth_failf(err, EINVAL, "config.json: linux.namespaces: joining a mount namespace (%s) is not "
                                                "supported: the rootfs is set up in a new one",
                                   lx->namespaces[NS_MOUNT].path);
        if (spec->hostname != NULL && spec->hostname[0] != '\0' && !has_own(lx, NS_UTS))
                return berth_failf(err, EINVAL, "config.json: hostname: needs a UTS namespace of its own");
        if (spec->domainname != NULL && spec->domainname[0] != '\0' && !has_own(lx, NS_UTS))
                return berth_failf(err, EINVAL, "config.json: domainname: needs a UTS namespace of its own");
        for (size_t i = 0; i < lx->n_sysctls; i++)
                if ((r = validate_sysctl(lx, lx->sysctls[i].key, err)) < 0)
                        return berth_error_prefix(err, "config.json: ");
        if (lx->intel_rdt != NULL)
                return berth_failf(err, ENOTSUP, "config.json: linux.intelRdt: Intel RDT is not supported");
        return 0;
}
