#include "runtime/spec_default.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/mounts.h"
#include "runtime/seccomp_profile.h"
#include "runtime/spec.h"
#include "lib/util.h"

static json_t *strings(const char *const *v)
{
        json_t *a = json_array();
        for (; *v != NULL; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *mount_entry(const char *destination, const char *type, const char *source, const char *const *options)
{
        json_t *m = json_pack("{s:s,s:s,s:s}", "destination", destination, "type", type, "source", source);
        if (options != NULL)
                json_object_set_new(m, "options", strings(options));
        return m;
}

static json_t *default_mounts(bool rootless)
{
        static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
        static const char *const pts_opts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
        static const char *const pts_rootless_opts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL};
        static const char *const shm_opts[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
        static const char *const mqueue_opts[] = {"nosuid", "noexec", "nodev", NULL};
        static const char *const sys_opts[] = {"nosuid", "noexec", "nodev", "ro", NULL};
        static const char *const sys_rootless_opts[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
        static const char *const cgroup_opts[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
        json_t *mounts = json_array();

        json_array_append_new(mounts, mount_entry("/proc", "proc", "proc", NULL));
        json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev_opts));
        json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts", rootless ? pts_rootless_opts : pts_opts));
        json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm", shm_opts));
        json_array_append_new(mounts, mount_entry("/dev/mqueue", "mqueue", "mqueue", mqueue_opts));
        if (rootless) {
                /* sysfs cannot be mounted without owning the network namespace's user namespace. */
                json_array_append_new(mounts, mount_entry("/sys", "none", "/sys", sys_rootless_opts));
        } else {
                json_array_append_new(mounts, mount_entry("/sys", "sysfs", "sysfs", sys_opts));
                json_array_append_new(mounts, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts));
        }
        return mounts;
}

json_t *spec_default(bool rootless)
{
        static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL};
        static const char *const env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                          "TERM=xterm", NULL};
        static const char *const masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                             "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                             "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL};
        static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                               "/proc/sysrq-trigger", NULL};
        static const char *const namespaces[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
        json_t *spec = json_object(), *process, *linux_obj, *ns = json_array(), *seccomp;

        json_object_set_new(spec, "ociVersion", json_string("1.2.0"));
        process = json_pack("{s:b,s:{s:i,s:i},s:[s],s:o,s:s,s:{s:o,s:o,s:o,s:o},s:[{s:s,s:i,s:i}],s:b}",
                            "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env", strings(env), "cwd", "/",
                            "capabilities", "bounding", strings(caps), "effective", strings(caps), "permitted",
                            strings(caps), "ambient", strings(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024,
                            "soft", 1024, "noNewPrivileges", 1);
        json_object_set_new(spec, "process", process);
        json_object_set_new(spec, "root", json_pack("{s:s,s:b}", "path", "rootfs", "readonly", 1));
        json_object_set_new(spec, "hostname", json_string("berth"));
        json_object_set_new(spec, "mounts", default_mounts(rootless));

        linux_obj = json_object();
        for (const char *const *n = namespaces; *n != NULL; n++)
                json_array_append_new(ns, json_pack("{s:s}", "type", *n));
        if (rootless) {
                json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
                json_object_set_new(linux_obj, "uidMappings",
                                    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (int) getuid(), "size", 1));
                json_object_set_new(linux_obj, "gidMappings",
                                    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (int) getgid(), "size", 1));
        } else {
                json_object_set_new(linux_obj, "resources",
                                    json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm"));
        }
        json_object_set_new(linux_obj, "namespaces", ns);
        json_object_set_new(linux_obj, "maskedPaths", strings(masked));
        json_object_set_new(linux_obj, "readonlyPaths", strings(readonly));
        seccomp = seccomp_default_profile();
        if (seccomp != NULL)
                json_object_set_new(linux_obj, "seccomp", seccomp);
        json_object_set_new(spec, "linux", linux_obj);
        return spec;
}

json_t *runtime_features(void)
{
        static const char *const hooks[] = {"prestart", "createRuntime", "createContainer", "startContainer",
                                            "poststart", "poststop", NULL};
        static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL};
        json_t *f = json_object(), *linux_obj = json_object(), *caps = json_array(), *cgroup;
        struct stat st;
        int last = spec_capability_last();

        json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
        json_object_set_new(f, "ociVersionMax", json_string("1.2.0"));
        json_object_set_new(f, "hooks", strings(hooks));
        json_object_set_new(f, "mountOptions", mount_option_names());
        json_object_set_new(linux_obj, "namespaces", strings(namespaces));
        for (int cap = 0; cap <= last; cap++)
                json_array_append_new(caps, json_string(spec_capability_name(cap)));
        json_object_set_new(linux_obj, "capabilities", caps);
        cgroup = json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0);
        json_object_set_new(linux_obj, "cgroup", cgroup);
        json_object_set_new(linux_obj, "seccomp", seccomp_features());
        json_object_set_new(linux_obj, "apparmor",
                            json_pack("{s:b}", "enabled", stat("/sys/kernel/security/apparmor", &st) == 0));
        json_object_set_new(linux_obj, "selinux", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(linux_obj, "intelRdt", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(linux_obj, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
        json_object_set_new(linux_obj, "netDevices", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(f, "linux", linux_obj);
        {
                char *libseccomp_version = seccomp_library_version();
                json_object_set_new(f, "annotations",
                                    json_pack("{s:s,s:s,s:s}", "io.github.berth.version", BERTH_VERSION,
                                              "io.github.berth.cgroup.layout", cgroup_host_layout_name(),
                                              "io.github.seccomp.libseccomp.version", libseccomp_version));
                free(libseccomp_version);
        }
        return f;
}
