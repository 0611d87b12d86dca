/* docker's Config/HostConfig checks (hostconfig.h), from daemon/container.go's verifyContainerSettings and
 * runconfig's validators, with docker's messages. */
#include "engine/hostconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "lib/size.h"
#include "lib/util.h"

int engine_restart_policy_parse(const char *name, enum engine_restart_policy *out)
{
        if (name == NULL || *name == '\0' || strcmp(name, "no") == 0)
                *out = ENGINE_RESTART_NO;
        else if (strcmp(name, "always") == 0)
                *out = ENGINE_RESTART_ALWAYS;
        else if (strcmp(name, "unless-stopped") == 0)
                *out = ENGINE_RESTART_UNLESS_STOPPED;
        else if (strcmp(name, "on-failure") == 0)
                *out = ENGINE_RESTART_ON_FAILURE;
        else
                return -EINVAL;
        return 0;
}

bool engine_restart_wanted(const json_t *host_config, int exit_code, int restart_count, bool manual_stop)
{
        const json_t *policy = json_object_get(host_config, "RestartPolicy");
        json_int_t max = json_integer_value(json_object_get(policy, "MaximumRetryCount"));
        enum engine_restart_policy p;

        if (manual_stop || engine_restart_policy_parse(json_string_value(json_object_get(policy, "Name")), &p) < 0)
                return false;
        switch (p) {
        case ENGINE_RESTART_ALWAYS:
        case ENGINE_RESTART_UNLESS_STOPPED:
                return true;
        case ENGINE_RESTART_ON_FAILURE:
                return exit_code != 0 && (max <= 0 || restart_count < max);
        default:
                return false;
        }
}

long engine_restart_delay_ms(int restart_count)
{
        unsigned shift = restart_count > 10 ? 10 : restart_count < 1 ? 0 : (unsigned) restart_count - 1;
        long ms = 100L << shift;

        return ms > 60000 ? 60000 : ms;
}

static const char *string_of(const json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

static int check_restart(const json_t *hc, berth_error *err)
{
        const json_t *policy = json_object_get(hc, "RestartPolicy");
        const char *name = string_of(policy, "Name");
        json_int_t max = json_integer_value(json_object_get(policy, "MaximumRetryCount"));
        enum engine_restart_policy p;

        if (engine_restart_policy_parse(name, &p) < 0)
                return berth_failf(err, EINVAL,
                                   "invalid restart policy: unknown policy '%s'; use one of 'no', 'always', 'on-failure', "
                                   "or 'unless-stopped'", name);
        if (max < 0)
                return berth_failf(err, EINVAL, "invalid restart policy: maximum retry count cannot be negative");
        if (max > 0 && p != ENGINE_RESTART_ON_FAILURE)
                return berth_failf(err, EINVAL, "invalid restart policy: maximum retry count can only be used with 'on-failure'");
        if (p != ENGINE_RESTART_NO && json_is_true(json_object_get(hc, "AutoRemove")))
                return berth_failf(err, EINVAL, "Conflicting options: cannot specify both --restart and --rm");
        return 0;
}

static int check_ulimits(const json_t *hc, berth_error *err)
{
        static const char *const names[] = {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice",
                                            "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"};
        size_t i;
        json_t *u;

        json_array_foreach(json_object_get(hc, "Ulimits"), i, u) {
                const char *name = string_of(u, "Name");
                json_int_t soft = json_integer_value(json_object_get(u, "Soft")), hard = json_integer_value(json_object_get(u, "Hard"));
                bool known = false;
                for (size_t k = 0; name != NULL && k < ARRAY_SIZE(names); k++)
                        known |= strcmp(names[k], name) == 0;
                if (!known)
                        return berth_failf(err, EINVAL, "invalid ulimit type: %s", name ? name : "");
                if (soft > hard)
                        return berth_failf(err, EINVAL, "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                                           (long long) soft, (long long) hard);
        }
        return 0;
}

static int check_paths(const json_t *hc, berth_error *err)
{
        static const char *const throttles[] = {"BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                                                "BlkioDeviceWriteIOps"};
        const char *path;
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(hc, "Devices"), i, v) {
                path = string_of(v, "PathOnHost");
                if (path == NULL || path[0] != '/')
                        return berth_failf(err, EINVAL, "invalid device mode: %s", path ? path : "");
        }
        json_object_foreach((json_t *) json_object_get(hc, "Tmpfs"), path, v)
                if (path[0] != '/')
                        return berth_failf(err, EINVAL, "invalid mount path: %s", path);
        for (size_t k = 0; k < ARRAY_SIZE(throttles); k++)
                json_array_foreach(json_object_get(hc, throttles[k]), i, v) {
                        path = string_of(v, "Path");
                        if (path == NULL || path[0] != '/' || json_integer_value(json_object_get(v, "Rate")) < 0)
                                return berth_failf(err, EINVAL, "invalid rate for device: %s", path ? path : "");
                }
        json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
                const char *type = string_of(v, "Type");
                if (type == NULL || (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0))
                        return berth_failf(err, EINVAL, "invalid mount config for type \"%s\": mount type unknown", type ? type : "");
        }
        return 0;
}

static int check_modes(const json_t *hc, berth_error *err)
{
        static const struct {
                const char *key, *word;
        } ns[] = {{"PidMode", "pid"}, {"IpcMode", "ipc"}, {"UTSMode", "uts"}};
        const char *s;

        for (size_t k = 0; k < ARRAY_SIZE(ns); k++) {
                s = string_of(hc, ns[k].key);
                if (s == NULL || *s == '\0' || strcmp(s, "host") == 0 || str_has_prefix(s, "container:") ||
                    strcmp(s, "private") == 0 || (k == 1 && (strcmp(s, "shareable") == 0 || strcmp(s, "none") == 0)))
                        continue;
                return berth_failf(err, EINVAL, "invalid %s mode: %s", ns[k].word, s);
        }
        s = string_of(hc, "NetworkMode");
        /* A user network's name: whether it exists is the store's to say (engine_network_check, at create). */
        if (s != NULL && *s != '\0' && strcmp(s, "none") != 0 && strcmp(s, "host") != 0 && !str_has_prefix(s, "container:") &&
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(s))
                return berth_failf(err, EINVAL, "network %s not found", s);
        /* docker: ports are published on a bridge network; with --network host they are the host's already. */
        if (json_object_size(json_object_get(hc, "PortBindings")) > 0 && s != NULL &&
            (strcmp(s, "none") == 0 || str_has_prefix(s, "container:")))
                return berth_failf(err, EINVAL, "conflicting options: port publishing and the container type network mode");
        if (json_array_size(json_object_get(hc, "BerthNetworkAliases")) > 0 &&
            (s == NULL || *s == '\0' || strcmp(s, "bridge") == 0 || strcmp(s, "default") == 0 || strcmp(s, "none") == 0 ||
             strcmp(s, "host") == 0 || str_has_prefix(s, "container:")))
                return berth_failf(err, EINVAL, "network-scoped alias is supported only for containers in user defined networks");
        if (json_string_value(json_object_get(hc, "BerthIPv4Address")) != NULL && s != NULL &&
            (strcmp(s, "none") == 0 || strcmp(s, "host") == 0 || str_has_prefix(s, "container:")))
                return berth_failf(err, EINVAL, "conflicting options: --ip needs a bridge network (--network %s)", s);
        s = string_of(hc, "UsernsMode");
        if (s != NULL && strcmp(s, "host") != 0 && strcmp(s, "remap") != 0 && *s != '\0')
                return berth_failf(err, EINVAL, "invalid USER mode: %s (host or remap)", s);
        return 0;
}

static int check_log_config(const json_t *hc, berth_error *err)
{
        const json_t *lc = json_object_get(hc, "LogConfig");
        const char *type = string_of(lc, "Type"), *k;
        json_t *v;

        if (type != NULL && *type != '\0' && strcmp(type, "json-file") != 0 && strcmp(type, "none") != 0)
                return berth_failf(err, EINVAL, "logger: no log driver named '%s' is registered (json-file or none)", type);
        json_object_foreach((json_t *) json_object_get(lc, "Config"), k, v) {
                const char *s = json_string_value(v);
                int64_t n;
                if (strcmp(k, "max-size") == 0) {
                        /* docker's json-file reads max-size with FromHumanSize: decimal units. */
                        if (s == NULL || size_parse(s, SIZE_DECIMAL, &n) < 0)
                                return berth_failf(err, EINVAL, "invalid max-size: %s", s ? s : "");
                } else if (strcmp(k, "max-file") == 0) {
                        if (s == NULL || parse_i64(s, &n) < 0 || n < 1)
                                return berth_failf(err, EINVAL, "invalid max-file: %s", s ? s : "");
                } else if (strcmp(k, "compress") != 0) {
                        return berth_failf(err, EINVAL, "unknown log opt '%s' for json-file log driver", k);
                }
        }
        return 0;
}

/* A cpuset list ("0-2,4") as a bit per node below max; false when it is not one (docker's syntax: ranges and
 * numbers, comma separated). */
static bool cpuset_list_parse(const char *s, bool *bits, unsigned max)
{
        const char *p = s;

        if (*p == '\0')
                return false;
        while (*p != '\0') {
                char *end;
                unsigned long lo, hi;
                if (*p < '0' || *p > '9')
                        return false;
                lo = hi = strtoul(p, &end, 10);
                if (*end == '-') {
                        if (end[1] < '0' || end[1] > '9')
                                return false;
                        hi = strtoul(end + 1, &end, 10);
                }
                if (hi < lo || hi >= max || (*end != ',' && *end != '\0'))
                        return false;
                for (unsigned long i = lo; i <= hi; i++)
                        bits[i] = true;
                p = *end == ',' ? end + 1 : end;
                if (*end == ',' && *p == '\0')
                        return false;
        }
        return true;
}

#define ENGINE_MAX_MEM_NODES 1024

/* --cpuset-mems: docker's syntax check, then every node must be one the host has online. */
static int check_cpuset_mems(const json_t *hc, berth_error *err)
{
        const char *mems = json_string_value(json_object_get(hc, "CpusetMems"));
        bool want[ENGINE_MAX_MEM_NODES] = {false}, have[ENGINE_MAX_MEM_NODES] = {false};
        cleanup_free char *online = NULL;

        if (mems == NULL || *mems == '\0')
                return 0;
        if (!cpuset_list_parse(mems, want, ENGINE_MAX_MEM_NODES))
                return berth_failf(err, EINVAL, "Invalid value %s for cpuset mems", mems);
        /* A kernel without NUMA has no node directory: node 0 is all the memory. */
        if (read_file_at(AT_FDCWD, "/sys/devices/system/node/online", &online, NULL, NULL) < 0)
                online = xstrdup("0");
        online[strcspn(online, "\n")] = '\0';
        if (!cpuset_list_parse(online, have, ENGINE_MAX_MEM_NODES))
                return berth_failf(err, EINVAL, "/sys/devices/system/node/online: not a node list: %s", online);
        for (unsigned i = 0; i < ENGINE_MAX_MEM_NODES; i++)
                if (want[i] && !have[i])
                        return berth_failf(err, EINVAL, "Requested memory nodes are not available - requested %s, available: %s",
                                           mems, online);
        return 0;
}

static int check_resources(const json_t *hc, berth_error *err)
{
        json_int_t memory = json_integer_value(json_object_get(hc, "Memory"));
        json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));

        if (memory > 0 && memory < 6 * 1024 * 1024)
                return berth_failf(err, EINVAL, "Minimum memory limit allowed is 6MB");
        if (memory < 0)
                return berth_failf(err, EINVAL, "invalid memory limit: %lld", (long long) memory);
        if (swap < -1)
                return berth_failf(err, EINVAL, "invalid memory swap limit: %lld", (long long) swap);
        if (swap > 0 && memory > 0 && swap < memory)
                return berth_failf(err, EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
        if (json_integer_value(json_object_get(hc, "MemoryReservation")) < 0)
                return berth_failf(err, EINVAL, "invalid memory reservation");
        if (json_integer_value(json_object_get(hc, "NanoCpus")) < 0)
                return berth_failf(err, EINVAL, "invalid value for NanoCpus: it cannot be negative");
        {
                /* dockerd's bound: no more CPUs than the host has online. */
                long online = sysconf(_SC_NPROCESSORS_ONLN);
                if (online > 0 && json_integer_value(json_object_get(hc, "NanoCpus")) > (json_int_t) online * 1000000000)
                        return berth_failf(err, EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
                                           online, online);
        }
        if (json_integer_value(json_object_get(hc, "ShmSize")) < 0)
                return berth_failf(err, EINVAL, "SHM size can not be less than 0");
        {
                json_int_t w = json_integer_value(json_object_get(hc, "BlkioWeight"));
                if (w != 0 && (w < 10 || w > 1000))
                        return berth_failf(err, EINVAL, "Range of blkio weight is from 10 to 1000");
        }
        return check_cpuset_mems(hc, err);
}

static int check_security_opts(const json_t *hc, berth_error *err)
{
        size_t i;
        json_t *v;

        json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
                const char *s = json_string_value(v) ?: "";
                if (str_has_prefix(s, "seccomp") || str_has_prefix(s, "no-new-privileges") ||
                    str_has_prefix(s, "label") || strcmp(s, "apparmor=unconfined") == 0 || strcmp(s, "apparmor:unconfined") == 0)
                        continue;
                return berth_failf(err, EINVAL, "invalid --security-opt: %s", s);
        }
        return 0;
}

int engine_config_validate(const json_t *config, const json_t *host_config, berth_error *err)
{
        const char *workdir = string_of(config, "WorkingDir"), *stop = string_of(config, "StopSignal");
        int sig, r;

        if ((r = engine_config_check_types(config, host_config, err)) < 0)
                return r;
        if (workdir != NULL && *workdir != '\0' && workdir[0] != '/')
                return berth_failf(err, EINVAL, "the working directory '%s' is invalid, it needs to be an absolute path", workdir);
        if (stop != NULL && *stop != '\0' && signal_parse(stop, &sig) < 0)
                return berth_failf(err, EINVAL, "Invalid signal: %s", stop);
        if ((r = check_resources(host_config, err)) < 0 || (r = check_restart(host_config, err)) < 0 ||
            (r = check_ulimits(host_config, err)) < 0 || (r = check_paths(host_config, err)) < 0 ||
            (r = check_modes(host_config, err)) < 0 || (r = check_log_config(host_config, err)) < 0 ||
            (r = check_security_opts(host_config, err)) < 0)
                return r;
        return 0;
}
