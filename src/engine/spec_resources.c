/* HostConfig's limits as config.json sections: linux.resources (memory, cpu, pids, blkio, device rules),
 * linux.devices (--device, and every host device for --privileged), process.rlimits (--ulimit, and the
 * default RLIMIT_NOFILE), and the user namespace's id mappings. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "engine/spec_build.h"
#include "lib/util.h"

static json_int_t hc_int(const json_t *hc, const char *key)
{
        return json_integer_value(json_object_get(hc, key));
}

static json_t *object_child(json_t *obj, const char *key)
{
        json_t *child = json_object_get(obj, key);

        if (child == NULL) {
                child = json_object();
                json_object_set_new(obj, key, child);
        }
        return child;
}

static void memory_limits(const json_t *hc, json_t *res)
{
        json_int_t memory = hc_int(hc, "Memory"), swap = hc_int(hc, "MemorySwap"), reservation = hc_int(hc, "MemoryReservation");
        json_t *m;

        if (memory <= 0 && swap == 0 && reservation <= 0 && !json_is_true(json_object_get(hc, "OomKillDisable")))
                return;
        m = object_child(res, "memory");
        if (memory > 0)
                json_object_set_new(m, "limit", json_integer(memory));
        if (reservation > 0)
                json_object_set_new(m, "reservation", json_integer(reservation));
        if (swap != 0) /* docker's MemorySwap is memory + swap, as OCI's swap; -1: unlimited */
                json_object_set_new(m, "swap", json_integer(swap));
        if (json_is_true(json_object_get(hc, "OomKillDisable")))
                json_object_set_new(m, "disableOOMKiller", json_true());
}

static void cpu_limits(const json_t *hc, json_t *res)
{
        json_int_t nano = hc_int(hc, "NanoCpus"), shares = hc_int(hc, "CpuShares"), period = hc_int(hc, "CpuPeriod");
        json_int_t quota = hc_int(hc, "CpuQuota");
        const char *cpus = json_string_value(json_object_get(hc, "CpusetCpus"));
        const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
        json_t *c;

        if (nano <= 0 && shares <= 0 && period <= 0 && quota == 0 && (cpus == NULL || *cpus == '\0') &&
            (mems == NULL || *mems == '\0'))
                return;
        c = object_child(res, "cpu");
        if (shares > 0)
                json_object_set_new(c, "shares", json_integer(shares));
        if (nano > 0) {
                /* --cpus N: a quota of N periods of 100 ms (moby daemon/oci_linux.go). */
                json_int_t p = period > 0 ? period : 100000;
                json_object_set_new(c, "period", json_integer(p));
                /* In 128 bits: a record made on a larger host (or one the checks never saw) may ask for more
                 * CPUs than nano * period holds in 64; the quota is then as good as unlimited. */
                __int128 quota128 = (__int128) nano * p / 1000000000;
                json_object_set_new(c, "quota", json_integer(quota128 > INT64_MAX ? INT64_MAX : (json_int_t) quota128));
        } else {
                if (period > 0)
                        json_object_set_new(c, "period", json_integer(period));
                if (quota != 0)
                        json_object_set_new(c, "quota", json_integer(quota));
        }
        if (cpus != NULL && *cpus)
                json_object_set_new(c, "cpus", json_string(cpus));
        if (mems != NULL && *mems)
                json_object_set_new(c, "mems", json_string(mems));
}

static int device_numbers(const char *path, char *type, unsigned *major_out, unsigned *minor_out, mode_t *mode,
                          berth_error *err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return berth_fail(err, errno, "error gathering device information while adding custom device \"%s\"",
                                  path);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                return berth_failf(err, EINVAL, "error gathering device information while adding custom device \"%s\": "
                                                "not a device node",
                                   path);
        *type = S_ISCHR(st.st_mode) ? 'c' : 'b';
        *major_out = major(st.st_rdev);
        *minor_out = minor(st.st_rdev);
        if (mode != NULL)
                *mode = st.st_mode & 07777;
        return 0;
}

static int blkio_list(const json_t *hc, const char *key, const char *oci_key, json_t *res, berth_error *err)
{
        json_t *list = json_object_get(hc, key), *v, *out;
        size_t i;

        if (json_array_size(list) == 0)
                return 0;
        out = json_array();
        json_object_set_new(object_child(res, "blockIO"), oci_key, out);
        json_array_foreach(list, i, v) {
                const char *path = json_string_value(json_object_get(v, "Path"));
                unsigned maj, min;
                char type;
                int r;
                if ((r = device_numbers(path ? path : "", &type, &maj, &min, NULL, err)) < 0)
                        return r;
                if (type != 'b')
                        return berth_failf(err, EINVAL, "%s: %s is not a block device", key, path);
                json_array_append_new(out, json_pack("{s:i,s:i,s:I}", "major", maj, "minor", min, "rate",
                                                     json_integer_value(json_object_get(v, "Rate"))));
        }
        return 0;
}

int engine_spec_resources(const json_t *hc, json_t *linux_obj, berth_error *err)
{
        json_t *res = object_child(linux_obj, "resources");
        json_int_t pids = hc_int(hc, "PidsLimit");
        int r;

        memory_limits(hc, res);
        cpu_limits(hc, res);
        if (pids > 0)
                json_object_set_new(object_child(res, "pids"), "limit", json_integer(pids));
        /* --blkio-weight: the runtime writes blkio.weight or blkio.bfq.weight (v1), io.bfq.weight or io.weight
         * (v2), and refuses it where the kernel has none of them. */
        if (hc_int(hc, "BlkioWeight") > 0)
                json_object_set_new(object_child(res, "blockIO"), "weight", json_integer(hc_int(hc, "BlkioWeight")));
        if ((r = blkio_list(hc, "BlkioDeviceReadBps", "throttleReadBpsDevice", res, err)) < 0 ||
            (r = blkio_list(hc, "BlkioDeviceWriteBps", "throttleWriteBpsDevice", res, err)) < 0 ||
            (r = blkio_list(hc, "BlkioDeviceReadIOps", "throttleReadIOPSDevice", res, err)) < 0 ||
            (r = blkio_list(hc, "BlkioDeviceWriteIOps", "throttleWriteIOPSDevice", res, err)) < 0)
                return r;
        if (json_is_true(json_object_get(hc, "Privileged")))
                json_object_set_new(res, "devices", json_pack("[{s:b,s:s}]", "allow", 1, "access", "rwm"));
        return 0;
}

static json_t *device_entry(const char *path, char type, unsigned maj, unsigned min, mode_t mode)
{
        return json_pack("{s:s,s:s#,s:i,s:i,s:i,s:i,s:i}", "path", path, "type", &type, 1, "major", maj,
                         "minor", min, "fileMode", (int) mode, "uid", 0, "gid", 0);
}

/* Every device node under /dev, as docker's --privileged gives them (devices.HostDevices). */
static void host_devices(const char *dir, json_t *devices)
{
        cleanup_closedir DIR *d = opendir(dir);
        struct dirent *de;

        if (d == NULL)
                return;
        while ((de = readdir(d)) != NULL) {
                cleanup_free char *path = NULL;
                struct stat st;
                if (de->d_name[0] == '.')
                        continue;
                path = xasprintf("%s/%s", dir, de->d_name);
                if (lstat(path, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        /* Filesystems of the container's own, and /dev/fd's links. */
                        if (strcmp(path, "/dev/pts") == 0 || strcmp(path, "/dev/shm") == 0 ||
                            strcmp(path, "/dev/mqueue") == 0 || strcmp(path, "/dev/fd") == 0)
                                continue;
                        host_devices(path, devices);
                } else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && strcmp(path, "/dev/console") != 0) {
                        json_array_append_new(devices, device_entry(path, S_ISCHR(st.st_mode) ? 'c' : 'b',
                                                                    major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777));
                }
        }
}

int engine_spec_devices(const json_t *hc, json_t *linux_obj, berth_error *err)
{
        json_t *list = json_object_get(hc, "Devices"), *devices = json_array(), *v;
        json_t *rules = json_object_get(object_child(linux_obj, "resources"), "devices");
        size_t i;

        json_object_set_new(linux_obj, "devices", devices);
        if (json_is_true(json_object_get(hc, "Privileged")))
                host_devices("/dev", devices);
        json_array_foreach(list, i, v) {
                const char *host = json_string_value(json_object_get(v, "PathOnHost"));
                const char *dest = json_string_value(json_object_get(v, "PathInContainer"));
                const char *perm = json_string_value(json_object_get(v, "CgroupPermissions"));
                unsigned maj, min;
                mode_t mode;
                char type;
                int r;
                if ((r = device_numbers(host ? host : "", &type, &maj, &min, &mode, err)) < 0)
                        return r;
                json_array_append_new(devices, device_entry(dest && *dest ? dest : host, type, maj, min, mode));
                if (rules != NULL)
                        json_array_append_new(rules, json_pack("{s:b,s:s#,s:i,s:i,s:s}", "allow", 1, "type", &type,
                                                               1, "major", maj, "minor", min, "access",
                                                               perm && *perm ? perm : "rwm"));
        }
        return 0;
}

int engine_spec_rlimits(const json_t *hc, json_t *process, berth_error *err)
{
        json_t *rlimits = json_array(), *v;
        struct rlimit nofile;
        bool have_nofile = false;
        size_t i;

        json_array_foreach(json_object_get(hc, "Ulimits"), i, v) {
                const char *name = json_string_value(json_object_get(v, "Name"));
                cleanup_free char *upper = xasprintf("RLIMIT_%s", name ? name : "");
                for (char *p = upper; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                have_nofile |= strcmp(upper, "RLIMIT_NOFILE") == 0;
                json_array_append_new(rlimits, json_pack("{s:s,s:I,s:I}", "type", upper, "soft",
                                                         json_integer_value(json_object_get(v, "Soft")), "hard",
                                                         json_integer_value(json_object_get(v, "Hard"))));
        }
        /* docker/containerd give 1048576 open files; a host whose hard limit is lower (no CAP_SYS_RESOURCE to
         * raise it) gets its own limit, which the runtime can set. */
        if (!have_nofile && getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
                rlim_t n = nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max > 1048576 ? 1048576 : nofile.rlim_max;
                json_array_append_new(rlimits, json_pack("{s:s,s:I,s:I}", "type", "RLIMIT_NOFILE", "soft", (json_int_t) n,
                                                         "hard", (json_int_t) n));
        }
        json_object_set_new(process, "rlimits", rlimits);
        (void) err;
        return 0;
}

/* ---- user namespaces ---- */

static int parse_mapping(const char *s, json_t *out, berth_error *err)
{
        unsigned long long c, h, n;
        char tail;

        if (sscanf(s, "%llu:%llu:%llu%c", &c, &h, &n, &tail) != 3 || n == 0 || c > UINT32_MAX || h > UINT32_MAX ||
            n > UINT32_MAX)
                return berth_failf(err, EINVAL, "invalid id mapping \"%s\": expected CONTAINER_ID:HOST_ID:SIZE", s);
        json_array_append_new(out, json_pack("{s:I,s:I,s:I}", "containerID", (json_int_t) c, "hostID", (json_int_t) h,
                                             "size", (json_int_t) n));
        return 0;
}

/* The first range /etc/subuid (subgid) gives one of the users, "START:COUNT". */
static bool subid_range(const char *file, unsigned long long *start, unsigned long long *count)
{
        static const char *const users[] = {"berth", "dockremap", "root"};
        cleanup_free char *text = NULL;

        if (read_file_at(AT_FDCWD, file, &text, NULL, NULL) < 0)
                return false;
        for (size_t u = 0; u < ARRAY_SIZE(users); u++) {
                size_t n = strlen(users[u]);
                for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                        if (strncmp(line, users[u], n) == 0 && line[n] == ':' &&
                            sscanf(line + n + 1, "%llu:%llu", start, count) == 2 && *count > 0)
                                return true;
        }
        return false;
}

int engine_userns_mappings(const json_t *hc, json_t **uid_maps, json_t **gid_maps, berth_error *err)
{
        json_t *uids = json_array(), *gids = json_array(), *v;
        const char *files[] = {"/etc/subuid", "/etc/subgid"};
        json_t *lists[] = {uids, gids};
        const char *keys[] = {"BerthUidMaps", "BerthGidMaps"};
        size_t i;
        int r;

        for (int k = 0; k < 2; k++) {
                json_array_foreach(json_object_get(hc, keys[k]), i, v)
                        if ((r = parse_mapping(json_string_value(v) ?: "", lists[k], err)) < 0)
                                goto fail;
        }
        /* --uidmap alone maps gids the same way (podman). */
        if (json_array_size(gids) == 0 && json_array_size(uids) > 0)
                json_array_extend(gids, uids);
        for (int k = 0; k < 2; k++) {
                unsigned long long start = 100000, count = 65536;
                if (json_array_size(lists[k]) > 0)
                        continue;
                subid_range(files[k], &start, &count);
                if (count > 65536)
                        count = 65536;
                json_array_append_new(lists[k], json_pack("{s:i,s:I,s:I}", "containerID", 0, "hostID", (json_int_t) start,
                                                          "size", (json_int_t) count));
        }
        *uid_maps = uids;
        *gid_maps = gids;
        return 0;
fail:
        json_decref(uids);
        json_decref(gids);
        return r;
}
