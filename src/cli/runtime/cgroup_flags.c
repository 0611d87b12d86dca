#include "cli/runtime/cgroup_flags.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/size.h"
#include "lib/util.h"

int cgroup_flags_parse_duration_ms(const char *s, uint64_t *out)
{
        static const struct {
                const char *unit;
                double ms;
        } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
        double total = 0;
        const char *p = s;

        if (s == NULL || *s == '\0')
                return -EINVAL;
        while (*p) {
                char *end;
                size_t best = 0, best_len = 0;
                double v;

                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                errno = 0;
                v = strtod(p, &end);
                if (errno != 0 || end == p)
                        return -EINVAL;
                p = end;
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        size_t len = strlen(units[i].unit);
                        if (strncmp(p, units[i].unit, len) == 0 && len > best_len) {
                                best = i;
                                best_len = len;
                        }
                }
                if (best_len == 0)
                        return -EINVAL; /* Go wants a unit on every number but "0" */
                total += v * units[best].ms;
                p += best_len;
        }
        if (total < 1)
                return -EINVAL;
        *out = (uint64_t) total;
        return 0;
}

static const struct {
        const char *flag;
        const char *section;
        const char *key;
        enum { VALUE_SIZE, VALUE_INT, VALUE_UINT, VALUE_STRING } kind;
} update_flags[UPDATE_FLAG_COUNT] = {
        [UPDATE_BLKIO_WEIGHT] = {"--blkio-weight", "blockIO", "weight", VALUE_UINT},
        [UPDATE_CPU_PERIOD] = {"--cpu-period", "cpu", "period", VALUE_UINT},
        [UPDATE_CPU_QUOTA] = {"--cpu-quota", "cpu", "quota", VALUE_INT},
        [UPDATE_CPU_SHARES] = {"--cpu-shares", "cpu", "shares", VALUE_UINT},
        [UPDATE_CPU_RT_PERIOD] = {"--cpu-rt-period", "cpu", "realtimePeriod", VALUE_UINT},
        [UPDATE_CPU_RT_RUNTIME] = {"--cpu-rt-runtime", "cpu", "realtimeRuntime", VALUE_INT},
        [UPDATE_CPUSET_CPUS] = {"--cpuset-cpus", "cpu", "cpus", VALUE_STRING},
        [UPDATE_CPUSET_MEMS] = {"--cpuset-mems", "cpu", "mems", VALUE_STRING},
        [UPDATE_MEMORY] = {"--memory", "memory", "limit", VALUE_SIZE},
        [UPDATE_MEMORY_RESERVATION] = {"--memory-reservation", "memory", "reservation", VALUE_SIZE},
        [UPDATE_MEMORY_SWAP] = {"--memory-swap", "memory", "swap", VALUE_SIZE},
        [UPDATE_PIDS_LIMIT] = {"--pids-limit", "pids", "limit", VALUE_INT},
};

static int flag_value(size_t i, const char *s, json_t **out, berth_error *err)
{
        int64_t i64;
        uint64_t u64;

        switch (update_flags[i].kind) {
        case VALUE_SIZE:
                if (size_parse(s, SIZE_MINUS_ONE, &i64) < 0)
                        return berth_failf(err, EINVAL, "%s: \"%s\" is not a size (like 1024, 256m, 1g, or -1)",
                                           update_flags[i].flag, s);
                *out = json_integer(i64);
                return 0;
        case VALUE_INT:
                if (parse_i64(s, &i64) < 0)
                        return berth_failf(err, EINVAL, "%s: \"%s\" is not an integer", update_flags[i].flag, s);
                *out = json_integer(i64);
                return 0;
        case VALUE_UINT:
                if (parse_u64(s, &u64) < 0 || u64 > INT64_MAX)
                        return berth_failf(err, EINVAL, "%s: \"%s\" is not a non-negative integer", update_flags[i].flag,
                                           s);
                *out = json_integer((json_int_t) u64);
                return 0;
        case VALUE_STRING:
                *out = json_string(s);
                return 0;
        }
        return -EINVAL;
}

int cgroup_flags_update_resources(const char *const values[UPDATE_FLAG_COUNT], json_t **out, berth_error *err)
{
        cleanup_json json_t *res = json_object();
        int r;

        *out = NULL;
        for (size_t i = 0; i < UPDATE_FLAG_COUNT; i++) {
                json_t *v = NULL;
                if (values[i] == NULL)
                        continue;
                if ((r = flag_value(i, values[i], &v, err)) < 0)
                        return r;
                json_t *section = json_object_get(res, update_flags[i].section);
                if (section == NULL) {
                        section = json_object();
                        json_object_set_new(res, update_flags[i].section, section);
                }
                json_object_set_new(section, update_flags[i].key, v);
        }
        *out = steal_pointer(&res);
        return 0;
}
