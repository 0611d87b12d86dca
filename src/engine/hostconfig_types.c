/* The JSON types of docker's Config and HostConfig fields, as dockerd's decoder (Go's encoding/json) holds
 * them: a value of another type is refused with Go's words ("json: cannot unmarshal array into Go struct
 * field HostConfig.Memory of type int64") instead of being read as zero. null is every field's zero value
 * and unknown fields are ignored, as Go does. Checked first by engine_config_validate (hostconfig.h): the
 * checks of what the values mean read them with jansson's accessors, which answer 0 or NULL for another
 * type. */
#include <errno.h>
#include <stddef.h>

#include "engine/hostconfig.h"
#include "lib/cleanup.h"
#include "lib/util.h"

enum field_type {
        FIELD_INT,     /* Go's integers */
        FIELD_BOOL,
        FIELD_STRING,
        FIELD_STRINGS, /* []string */
        FIELD_STRSLICE, /* docker's strslice: a string or []string */
        FIELD_ARRAY,   /* of structs (checked where they are used) */
        FIELD_OBJECT,  /* a struct or a map */
};

struct field {
        const char *name;
        enum field_type type;
        const char *go_type; /* as Go's message names it */
};

static const struct field CONFIG_FIELDS[] = {
        {"Hostname", FIELD_STRING, "string"},         {"Domainname", FIELD_STRING, "string"},
        {"User", FIELD_STRING, "string"},             {"Image", FIELD_STRING, "string"},
        {"WorkingDir", FIELD_STRING, "string"},       {"MacAddress", FIELD_STRING, "string"},
        {"StopSignal", FIELD_STRING, "string"},       {"AttachStdin", FIELD_BOOL, "bool"},
        {"AttachStdout", FIELD_BOOL, "bool"},         {"AttachStderr", FIELD_BOOL, "bool"},
        {"Tty", FIELD_BOOL, "bool"},                  {"OpenStdin", FIELD_BOOL, "bool"},
        {"StdinOnce", FIELD_BOOL, "bool"},            {"ArgsEscaped", FIELD_BOOL, "bool"},
        {"NetworkDisabled", FIELD_BOOL, "bool"},      {"Env", FIELD_STRINGS, "[]string"},
        {"OnBuild", FIELD_STRINGS, "[]string"},       {"Shell", FIELD_STRINGS, "strslice.StrSlice"},
        {"Cmd", FIELD_STRSLICE, "strslice.StrSlice"}, {"Entrypoint", FIELD_STRSLICE, "strslice.StrSlice"},
        {"ExposedPorts", FIELD_OBJECT, "nat.PortSet"}, {"Volumes", FIELD_OBJECT, "map[string]struct {}"},
        {"Labels", FIELD_OBJECT, "map[string]string"}, {"Healthcheck", FIELD_OBJECT, "container.HealthConfig"},
        {"StopTimeout", FIELD_INT, "int"},
};

static const struct field HOST_CONFIG_FIELDS[] = {
        {"Memory", FIELD_INT, "int64"},              {"MemoryReservation", FIELD_INT, "int64"},
        {"MemorySwap", FIELD_INT, "int64"},          {"NanoCpus", FIELD_INT, "int64"},
        {"CpuShares", FIELD_INT, "int64"},           {"CpuPeriod", FIELD_INT, "int64"},
        {"CpuQuota", FIELD_INT, "int64"},            {"CpuRealtimePeriod", FIELD_INT, "int64"},
        {"CpuRealtimeRuntime", FIELD_INT, "int64"},  {"KernelMemory", FIELD_INT, "int64"},
        {"KernelMemoryTCP", FIELD_INT, "int64"},     {"PidsLimit", FIELD_INT, "int64"},
        {"MemorySwappiness", FIELD_INT, "int64"},    {"ShmSize", FIELD_INT, "int64"},
        {"CpuCount", FIELD_INT, "int64"},            {"CpuPercent", FIELD_INT, "int64"},
        {"IOMaximumIOps", FIELD_INT, "uint64"},      {"IOMaximumBandwidth", FIELD_INT, "uint64"},
        {"OomScoreAdj", FIELD_INT, "int"},           {"BlkioWeight", FIELD_INT, "uint16"},
        {"Privileged", FIELD_BOOL, "bool"},          {"PublishAllPorts", FIELD_BOOL, "bool"},
        {"ReadonlyRootfs", FIELD_BOOL, "bool"},      {"AutoRemove", FIELD_BOOL, "bool"},
        {"OomKillDisable", FIELD_BOOL, "bool"},      {"Init", FIELD_BOOL, "bool"},
        {"NetworkMode", FIELD_STRING, "container.NetworkMode"}, {"ContainerIDFile", FIELD_STRING, "string"},
        {"VolumeDriver", FIELD_STRING, "string"},    {"IpcMode", FIELD_STRING, "container.IpcMode"},
        {"Cgroup", FIELD_STRING, "container.CgroupSpec"}, {"PidMode", FIELD_STRING, "container.PidMode"},
        {"UTSMode", FIELD_STRING, "container.UTSMode"}, {"UsernsMode", FIELD_STRING, "container.UsernsMode"},
        {"CgroupnsMode", FIELD_STRING, "container.CgroupnsMode"}, {"Runtime", FIELD_STRING, "string"},
        {"Isolation", FIELD_STRING, "container.Isolation"}, {"CgroupParent", FIELD_STRING, "string"},
        {"CpusetCpus", FIELD_STRING, "string"},      {"CpusetMems", FIELD_STRING, "string"},
        {"Binds", FIELD_STRINGS, "[]string"},        {"CapAdd", FIELD_STRINGS, "strslice.StrSlice"},
        {"CapDrop", FIELD_STRINGS, "strslice.StrSlice"}, {"Dns", FIELD_STRINGS, "[]string"},
        {"DnsOptions", FIELD_STRINGS, "[]string"},   {"DnsSearch", FIELD_STRINGS, "[]string"},
        {"ExtraHosts", FIELD_STRINGS, "[]string"},   {"GroupAdd", FIELD_STRINGS, "[]string"},
        {"Links", FIELD_STRINGS, "[]string"},        {"SecurityOpt", FIELD_STRINGS, "[]string"},
        {"VolumesFrom", FIELD_STRINGS, "[]string"},  {"DeviceCgroupRules", FIELD_STRINGS, "[]string"},
        {"MaskedPaths", FIELD_STRINGS, "[]string"},  {"ReadonlyPaths", FIELD_STRINGS, "[]string"},
        {"Devices", FIELD_ARRAY, "[]container.DeviceMapping"},
        {"DeviceRequests", FIELD_ARRAY, "[]container.DeviceRequest"},
        {"Ulimits", FIELD_ARRAY, "[]*container.Ulimit"}, {"Mounts", FIELD_ARRAY, "[]mount.Mount"},
        {"BlkioWeightDevice", FIELD_ARRAY, "[]*blkiodev.WeightDevice"},
        {"BlkioDeviceReadBps", FIELD_ARRAY, "[]*blkiodev.ThrottleDevice"},
        {"BlkioDeviceWriteBps", FIELD_ARRAY, "[]*blkiodev.ThrottleDevice"},
        {"BlkioDeviceReadIOps", FIELD_ARRAY, "[]*blkiodev.ThrottleDevice"},
        {"BlkioDeviceWriteIOps", FIELD_ARRAY, "[]*blkiodev.ThrottleDevice"},
        {"ConsoleSize", FIELD_ARRAY, "[2]uint"},      {"LogConfig", FIELD_OBJECT, "container.LogConfig"},
        {"PortBindings", FIELD_OBJECT, "nat.PortMap"}, {"RestartPolicy", FIELD_OBJECT, "container.RestartPolicy"},
        {"StorageOpt", FIELD_OBJECT, "map[string]string"}, {"Tmpfs", FIELD_OBJECT, "map[string]string"},
        {"Sysctls", FIELD_OBJECT, "map[string]string"}, {"Annotations", FIELD_OBJECT, "map[string]string"},
};

/* Go's name of a JSON value's kind, as its decoder's messages say it. */
static const char *json_kind(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER:
        case JSON_REAL: return "number";
        default: return "bool";
        }
}

static bool strings_only(const json_t *array)
{
        size_t i;
        json_t *v;

        json_array_foreach(array, i, v)
                if (!json_is_string(v))
                        return false;
        return true;
}

static bool type_matches(const json_t *v, enum field_type type)
{
        switch (type) {
        case FIELD_INT: return json_is_integer(v);
        case FIELD_BOOL: return json_is_boolean(v);
        case FIELD_STRING: return json_is_string(v);
        case FIELD_STRINGS: return json_is_array(v) && strings_only(v);
        case FIELD_STRSLICE: return json_is_string(v) || (json_is_array(v) && strings_only(v));
        case FIELD_ARRAY: return json_is_array(v);
        case FIELD_OBJECT: return json_is_object(v);
        }
        return false;
}

static int check_fields(const json_t *obj, const char *struct_name, const struct field *fields, size_t n,
                        berth_error *err)
{
        if (obj == NULL || json_is_null(obj))
                return 0;
        if (!json_is_object(obj))
                return berth_failf(err, EINVAL, "json: cannot unmarshal %s into Go value of type container.%s",
                                   json_kind(obj), struct_name);
        for (size_t i = 0; i < n; i++) {
                const json_t *v = json_object_get(obj, fields[i].name);
                if (v == NULL || json_is_null(v) || type_matches(v, fields[i].type))
                        continue;
                /* An array of the right kind holding something else: Go names the element. */
                if (json_is_array(v) && (fields[i].type == FIELD_STRINGS || fields[i].type == FIELD_STRSLICE))
                        return berth_failf(err, EINVAL, "json: cannot unmarshal %s into Go struct field %s.%s of type string",
                                           "non-string", struct_name, fields[i].name);
                if (json_is_real(v) && fields[i].type == FIELD_INT)
                        return berth_failf(err, EINVAL, "json: cannot unmarshal number %g into Go struct field %s.%s of type %s",
                                           json_real_value(v), struct_name, fields[i].name, fields[i].go_type);
                return berth_failf(err, EINVAL, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                                   json_kind(v), struct_name, fields[i].name, fields[i].go_type);
        }
        return 0;
}

int engine_config_check_types(const json_t *config, const json_t *host_config, berth_error *err)
{
        int r;

        if ((r = check_fields(config, "Config", CONFIG_FIELDS, ARRAY_SIZE(CONFIG_FIELDS), err)) < 0)
                return r;
        return check_fields(host_config, "HostConfig", HOST_CONFIG_FIELDS, ARRAY_SIZE(HOST_CONFIG_FIELDS), err);
}
