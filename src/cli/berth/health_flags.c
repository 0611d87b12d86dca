/* run/create's --health-* flags and --no-healthcheck into docker's Config.Healthcheck (what the values mean
 * is the engine's: engine/health.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "lib/util.h"

/* Go's time.ParseDuration: "1h2m3.5s", "500ms", "10us", "0"; a sign in front. */
static int parse_go_duration(const char *s, int64_t *out)
{
        static const struct {
                const char *unit;
                double ns;
        } units[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
        double total = 0;
        bool negative = false;
        const char *p = s;

        if (*p == '-' || *p == '+')
                negative = *p++ == '-';
        if (strcmp(p, "0") == 0) {
                *out = 0;
                return 0;
        }
        if (*p == '\0')
                return -EINVAL;
        while (*p) {
                char *end = NULL;
                double v;
                size_t best = 0, which = 0;

                if (!((*p >= '0' && *p <= '9') || *p == '.'))
                        return -EINVAL;
                v = strtod(p, &end);
                if (end == p)
                        return -EINVAL;
                p = end;
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        size_t n = strlen(units[i].unit);
                        if (strncmp(p, units[i].unit, n) == 0 && n > best) {
                                best = n;
                                which = i;
                        }
                }
                if (best == 0)
                        return -EINVAL;
                total += v * units[which].ns;
                p += best;
        }
        *out = (int64_t) (negative ? -total : total);
        return 0;
}

static json_t *healthcheck(json_t *config)
{
        json_t *hc = json_object_get(config, "Healthcheck");

        if (hc == NULL) {
                hc = json_object();
                json_object_set_new(config, "Healthcheck", hc);
        }
        return hc;
}

int run_health_flag(struct berth_cli *cli, int opt, const char *arg, json_t *config)
{
        static const struct {
                const char *flag, *key;
        } durations[] = {
                [RUN_OPT_HEALTH_INTERVAL - RUN_OPT_HEALTH_CMD] = {"--health-interval", "Interval"},
                [RUN_OPT_HEALTH_TIMEOUT - RUN_OPT_HEALTH_CMD] = {"--health-timeout", "Timeout"},
                [RUN_OPT_HEALTH_START_PERIOD - RUN_OPT_HEALTH_CMD] = {"--health-start-period", "StartPeriod"},
                [RUN_OPT_HEALTH_START_INTERVAL - RUN_OPT_HEALTH_CMD] = {"--health-start-interval", "StartInterval"},
        };
        int64_t v;

        switch (opt) {
        case RUN_OPT_NO_HEALTHCHECK:
                json_object_set_new(config, "BerthNoHealthcheck", json_true());
                return 0;
        case RUN_OPT_HEALTH_CMD:
                json_object_set_new(healthcheck(config), "Test", json_pack("[s,s]", "CMD-SHELL", arg));
                return 0;
        case RUN_OPT_HEALTH_RETRIES:
                if (parse_i64(arg, &v) < 0 || v != (int) v)
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"--health-retries\" flag: strconv.ParseInt: parsing \"%s\": invalid syntax",
                                              arg, arg);
                if (v < 0)
                        return cli_flag_error(cli, "--health-retries cannot be negative");
                json_object_set_new(healthcheck(config), "Retries", json_integer(v));
                return 0;
        default: {
                const char *flag = durations[opt - RUN_OPT_HEALTH_CMD].flag, *key = durations[opt - RUN_OPT_HEALTH_CMD].key;
                if (parse_go_duration(arg, &v) < 0)
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"%s\" flag: time: invalid duration \"%s\"", arg,
                                              flag, arg);
                if (v < 0)
                        return cli_flag_error(cli, "%s cannot be negative", flag);
                json_object_set_new(healthcheck(config), key, json_integer(v));
                return 0;
        }
        }
}

int run_health_flags_finish(struct berth_cli *cli, json_t *config)
{
        bool none = json_is_true(json_object_get(config, "BerthNoHealthcheck"));

        json_object_del(config, "BerthNoHealthcheck");
        if (!none)
                return 0;
        if (json_object_get(config, "Healthcheck") != NULL)
                return cli_flag_error(cli, "--no-healthcheck conflicts with --health-* options");
        json_object_set_new(config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
        return 0;
}
