/* `run` and `create` flags, with docker's names and messages, into docker's Config and HostConfig (the
 * engine's input, and what inspect shows). The flags' syntax is checked here; what the values mean
 * (policies, modes, limits) is checked by the engine (engine/hostconfig.h) before anything exists, for
 * every front end. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "lib/json.h"
#include "lib/size.h"
#include "engine/engine.h"
#include "engine/pull.h"
#include "lib/util.h"

enum {
        OPT_RM = 1000, OPT_NAME, OPT_ENV_FILE, OPT_ENTRYPOINT, OPT_MOUNT, OPT_TMPFS, OPT_READ_ONLY, OPT_MEMORY_SWAP,
        OPT_MEMORY_RESERVATION, OPT_OOM_KILL_DISABLE, OPT_CPUS, OPT_CPU_PERIOD, OPT_CPU_QUOTA, OPT_CPUSET_CPUS, OPT_CPUSET_MEMS, OPT_BLKIO_WEIGHT,
        OPT_PIDS_LIMIT, OPT_DEVICE, OPT_READ_BPS, OPT_WRITE_BPS, OPT_READ_IOPS, OPT_WRITE_IOPS, OPT_ULIMIT, OPT_CAP_ADD,
        OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY_OPT, OPT_PID, OPT_IPC, OPT_UTS, OPT_NETWORK, OPT_USERNS, OPT_UIDMAP,
        OPT_GIDMAP, OPT_INIT, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_RESTART, OPT_LOG_DRIVER, OPT_LOG_OPT,
        OPT_SIG_PROXY, OPT_ADD_HOST, OPT_DNS, OPT_DNS_SEARCH, OPT_DNS_OPTION, OPT_SHM_SIZE, OPT_PLATFORM, OPT_PULL,
        OPT_HELP, OPT_PUBLISH, OPT_EXPOSE, OPT_IP, OPT_MAC_ADDRESS, OPT_NETWORK_ALIAS, OPT_LABEL_FILE, OPT_AUTHFILE, OPT_CERT_DIR, OPT_CREDS, OPT_TLS_VERIFY,
        OPT_PROC_VIEW, OPT_TIME_OFFSET,
};

static const struct option OPTIONS[] = {
        {"detach", no_argument, NULL, 'd'},
        {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},
        {"rm", no_argument, NULL, OPT_RM},
        {"name", required_argument, NULL, OPT_NAME},
        {"env", required_argument, NULL, 'e'},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"workdir", required_argument, NULL, 'w'},
        {"user", required_argument, NULL, 'u'},
        {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
        {"hostname", required_argument, NULL, 'h'},
        {"volume", required_argument, NULL, 'v'},
        {"mount", required_argument, NULL, OPT_MOUNT},
        {"tmpfs", required_argument, NULL, OPT_TMPFS},
        {"read-only", no_argument, NULL, OPT_READ_ONLY},
        {"memory", required_argument, NULL, 'm'},
        {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
        {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
        {"oom-kill-disable", no_argument, NULL, OPT_OOM_KILL_DISABLE},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"cpu-shares", required_argument, NULL, 'c'},
        {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
        {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
        {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
        {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
        {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"device-read-bps", required_argument, NULL, OPT_READ_BPS},
        {"device-write-bps", required_argument, NULL, OPT_WRITE_BPS},
        {"device-read-iops", required_argument, NULL, OPT_READ_IOPS},
        {"device-write-iops", required_argument, NULL, OPT_WRITE_IOPS},
        {"ulimit", required_argument, NULL, OPT_ULIMIT},
        {"cap-add", required_argument, NULL, OPT_CAP_ADD},
        {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
        {"privileged", no_argument, NULL, OPT_PRIVILEGED},
        {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
        {"pid", required_argument, NULL, OPT_PID},
        {"ipc", required_argument, NULL, OPT_IPC},
        {"uts", required_argument, NULL, OPT_UTS},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"net", required_argument, NULL, OPT_NETWORK},
        {"userns", required_argument, NULL, OPT_USERNS},
        {"uidmap", required_argument, NULL, OPT_UIDMAP},
        {"gidmap", required_argument, NULL, OPT_GIDMAP},
        {"init", no_argument, NULL, OPT_INIT},
        {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
        {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
        {"restart", required_argument, NULL, OPT_RESTART},
        {"label", required_argument, NULL, 'l'},
        {"label-file", required_argument, NULL, OPT_LABEL_FILE},
        {"cidfile", required_argument, NULL, RUN_OPT_CIDFILE},
        {"detach-keys", required_argument, NULL, RUN_OPT_DETACH_KEYS},
        {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
        {"log-opt", required_argument, NULL, OPT_LOG_OPT},
        {"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
        {"add-host", required_argument, NULL, OPT_ADD_HOST},
        {"dns", required_argument, NULL, OPT_DNS},
        {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
        {"dns-option", required_argument, NULL, OPT_DNS_OPTION},
        {"shm-size", required_argument, NULL, OPT_SHM_SIZE},
        {"attach", required_argument, NULL, 'a'},
        {"platform", required_argument, NULL, OPT_PLATFORM},
        {"pull", required_argument, NULL, OPT_PULL},
        {"authfile", required_argument, NULL, OPT_AUTHFILE},
        {"cert-dir", required_argument, NULL, OPT_CERT_DIR},
        {"creds", required_argument, NULL, OPT_CREDS},
        {"tls-verify", optional_argument, NULL, OPT_TLS_VERIFY},
        {"proc-view", optional_argument, NULL, OPT_PROC_VIEW},
        {"time-offset", required_argument, NULL, OPT_TIME_OFFSET},
        {"quiet", no_argument, NULL, 'q'},
        {"publish", required_argument, NULL, 'p'},
        {"publish-all", no_argument, NULL, 'P'},
        {"expose", required_argument, NULL, OPT_EXPOSE},
        {"ip", required_argument, NULL, OPT_IP},
        {"mac-address", required_argument, NULL, OPT_MAC_ADDRESS},
        {"health-cmd", required_argument, NULL, RUN_OPT_HEALTH_CMD},
        {"health-interval", required_argument, NULL, RUN_OPT_HEALTH_INTERVAL},
        {"health-timeout", required_argument, NULL, RUN_OPT_HEALTH_TIMEOUT},
        {"health-start-period", required_argument, NULL, RUN_OPT_HEALTH_START_PERIOD},
        {"health-start-interval", required_argument, NULL, RUN_OPT_HEALTH_START_INTERVAL},
        {"health-retries", required_argument, NULL, RUN_OPT_HEALTH_RETRIES},
        {"no-healthcheck", no_argument, NULL, RUN_OPT_NO_HEALTHCHECK},
        {"network-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

static void usage(bool is_run)
{
        printf("Usage:  berth %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n%s\n\n", is_run ? "run" : "create",
               is_run ? "Create and run a new container from an image" : "Create a new container");
        printf("Options (docker's): -d -i -t --rm --name -e --env-file -w -u --entrypoint -h -v --mount --tmpfs\n"
               "  --read-only -m --memory-swap --memory-reservation --oom-kill-disable --cpus -c --cpu-period\n"
               "  --cpu-quota --cpuset-cpus --cpuset-mems --pids-limit --blkio-weight --device\n"
               "  --device-{read,write}-{bps,iops} --ulimit\n"
               "  --cap-add --cap-drop --privileged --security-opt --pid --ipc --uts --network bridge|none|host\n"
               "  --userns host|remap --uidmap --gidmap --init --stop-signal --stop-timeout --restart -l\n"
               "  --log-driver json-file|none --log-opt max-size=,max-file= --sig-proxy --add-host --dns\n"
               "  --ip --mac-address --network-alias --dns-search --dns-option\n"
               "  --shm-size -a -q -p [ip:][hostPort[-range]:]containerPort[/tcp|udp|sctp] -P --expose\n"
               "  --health-cmd --health-interval --health-timeout --health-retries\n"
               "  --health-start-period --health-start-interval --no-healthcheck\n"
               "  --pull missing|always|never   Pull the image before creating (default missing: when absent)\n"
               "  --platform os/arch[/variant]  The image of that platform (picked from an index when pulling)\n"
               "  --authfile --cert-dir --creds --tls-verify[=bool]   podman's registry flags, for that pull\n"
               "  --proc-view[=bool]            /proc and /sys/devices/system/cpu/online show the container's limits\n"
               "                                (default true; docs/proc.md)\n"
               "  --time-offset boottime|monotonic=SECONDS   the container's clock starts at SECONDS (time namespace)\n"
               "The default network is bridge (berth0, docs/networking.md).\n");
}

/* The words --tls-verify takes (registry_cli.c parse_bool). */
static bool is_bool_word(const char *s)
{
        static const char *const words[] = {"1", "t", "true", "TRUE", "True", "0", "f", "false", "FALSE", "False"};

        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strcmp(s, words[i]) == 0)
                        return true;
        return false;
}

static json_t *child_array(json_t *obj, const char *key)
{
        json_t *a = json_object_get(obj, key);
        if (a == NULL) {
                a = json_array();
                json_object_set_new(obj, key, a);
        }
        return a;
}

static json_t *child_object(json_t *obj, const char *key)
{
        json_t *o = json_object_get(obj, key);
        if (o == NULL) {
                o = json_object();
                json_object_set_new(obj, key, o);
        }
        return o;
}

static void append_string(json_t *obj, const char *key, const char *value)
{
        json_array_append_new(child_array(obj, key), json_string(value));
}

static int flag_error(struct berth_cli *cli, const char *value, const char *flag, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return cli_flag_error(cli, "invalid argument \"%s\" for \"%s\" flag: %s", value, flag, msg);
}

static int parse_size(struct berth_cli *cli, const char *s, const char *flag, bool allow_minus_one, int64_t *out)
{
        if (size_parse(s, allow_minus_one ? SIZE_MINUS_ONE : 0, out) < 0)
                return flag_error(cli, s, flag, "invalid size: '%s'", s);
        return 0;
}

static int parse_flag_int(struct berth_cli *cli, const char *s, const char *flag, int64_t *out)
{
        if (parse_i64(s, out) < 0)
                return flag_error(cli, s, flag, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
        return 0;
}

/* KEY=VALUE, or KEY alone: the value from our environment (dropped when unset), as docker does. */
static void add_env(json_t *config, const char *s)
{
        if (strchr(s, '=') != NULL) {
                append_string(config, "Env", s);
        } else if (getenv(s) != NULL) {
                cleanup_free char *kv = xasprintf("%s=%s", s, getenv(s));
                append_string(config, "Env", kv);
        }
}

static int read_env_file(struct berth_cli *cli, const char *path, json_t *config)
{
        cleanup_free char *text = NULL;
        char *save = NULL;

        if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
                return cli_flag_error(cli, "open %s: %s", path, strerror(errno));
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                while (isspace((unsigned char) *line))
                        line++;
                if (*line == '\0' || *line == '#')
                        continue;
                add_env(config, line);
        }
        return 0;
}

/* docker's --label-file: KEY=VALUE (or KEY) per line, blank lines and # comments skipped; a -l flag of the
 * same key wins, wherever it stands. */
static int read_label_file(struct berth_cli *cli, const char *path, json_t *config)
{
        cleanup_free char *text = NULL;
        char *save = NULL;
        json_t *labels = child_object(config, "Labels");

        if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
                return cli_flag_error(cli, "open %s: %s", path, strerror(errno));
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                cleanup_free char *key = NULL;
                char *eq;
                while (isspace((unsigned char) *line))
                        line++;
                if (*line == '\0' || *line == '#')
                        continue;
                eq = strchr(line, '=');
                key = eq ? xstrndup(line, (size_t) (eq - line)) : xstrdup(line);
                if (json_object_get(json_object_get(config, "BerthLabelFlags"), key) == NULL)
                        json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
        }
        return 0;
}

static int parse_cpus(struct berth_cli *cli, const char *s, json_t *hc)
{
        char *end = NULL;
        double v = strtod(s, &end);

        if (end == s || *end != '\0' || v < 0 || !isfinite(v))
                return flag_error(cli, s, "--cpus", "failed to parse %s as a rational number", s);
        json_object_set_new(hc, "NanoCpus", json_integer((json_int_t) llround(v * 1e9)));
        return 0;
}

static int parse_restart(struct berth_cli *cli, const char *s, json_t *hc)
{
        cleanup_free char *name = xstrndup(s, strcspn(s, ":"));
        const char *colon = strchr(s, ':');
        int64_t max = 0;

        /* NAME[:MAX]; what the name and the count mean is the engine's to check (hostconfig.h). */
        if (colon != NULL && parse_i64(colon + 1, &max) < 0)
                return cli_flag_error(cli, "invalid restart policy format: maximum retry count must be an integer");
        json_object_set_new(hc, "RestartPolicy", json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", (json_int_t) max));
        return 0;
}

static int parse_ulimit(struct berth_cli *cli, const char *s, json_t *hc)
{
        cleanup_free char *name = xstrndup(s, strcspn(s, "="));
        const char *value = strchr(s, '=');
        int64_t soft, hard;

        /* NAME=SOFT[:HARD]; the name and soft <= hard are the engine's to check (hostconfig.h). */
        if (value == NULL)
                return flag_error(cli, s, "--ulimit", "invalid ulimit argument: %s", s);
        value++;
        if (strchr(value, ':') != NULL) {
                cleanup_free char *a = xstrndup(value, strcspn(value, ":"));
                if (parse_i64(a, &soft) < 0 || parse_i64(strchr(value, ':') + 1, &hard) < 0)
                        return flag_error(cli, s, "--ulimit", "invalid ulimit argument: %s", s);
        } else if (parse_i64(value, &soft) < 0) {
                return flag_error(cli, s, "--ulimit", "invalid ulimit argument: %s", s);
        } else {
                hard = soft;
        }
        json_array_append_new(child_array(hc, "Ulimits"),
                              json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", (json_int_t) soft, "Hard", (json_int_t) hard));
        return 0;
}

/* A port or a range of ports ("80", "8000-8010"): 1-65535, low <= high. */
static bool parse_port_range(const char *s, unsigned *lo, unsigned *hi)
{
        char *end;
        unsigned long a, b;

        if (!isdigit((unsigned char) s[0]))
                return false;
        a = strtoul(s, &end, 10);
        b = a;
        if (*end == '-') {
                if (!isdigit((unsigned char) end[1]))
                        return false;
                b = strtoul(end + 1, &end, 10);
        }
        if (*end != '\0' || a == 0 || a > 65535 || b < a || b > 65535)
                return false;
        *lo = (unsigned) a;
        *hi = (unsigned) b;
        return true;
}

/* -p [ip:][hostPort[-range]:]containerPort[-range][/tcp|udp|sctp] (docker's nat.ParsePortSpec): the ports
 * into Config.ExposedPorts and HostConfig.PortBindings, docker's messages for what it refuses. */
static int parse_publish(struct berth_cli *cli, const char *arg, json_t *cfg, json_t *hc)
{
        cleanup_free char *copy = xstrdup(arg);
        char *proto = strrchr(copy, '/'), *parts[3] = {NULL, NULL, NULL}, *p = copy;
        const char *ip = "", *host = "", *cport;
        unsigned clo, chi, hlo = 0, hhi = 0;
        int n = 0;

        if (proto != NULL && strchr(proto, ':') == NULL) {
                *proto++ = '\0';
                if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
                        return flag_error(cli, arg, "--publish", "invalid proto: %s", proto);
        } else {
                proto = "tcp";
        }
        if (copy[0] == '[')
                return flag_error(cli, arg, "--publish", "invalid IP address %s: berth publishes ports on IPv4 addresses only",
                                  copy);
        for (char *c; n < 3 && (c = strchr(p, ':')) != NULL; p = c + 1) {
                *c = '\0';
                parts[n++] = p;
        }
        if (strchr(p, ':') != NULL)
                return flag_error(cli, arg, "--publish", "invalid port format: %s", arg);
        cport = p;
        if (n == 1) {
                host = parts[0];
        } else if (n == 2) {
                ip = parts[0];
                host = parts[1];
        } else if (n > 2) {
                return flag_error(cli, arg, "--publish", "invalid port format: %s", arg);
        }
        if (*ip != '\0') {
                unsigned char buf[4];
                if (inet_pton(AF_INET, ip, buf) != 1)
                        return flag_error(cli, arg, "--publish", "invalid IP address: %s", ip);
        }
        if (*cport == '\0' || !parse_port_range(cport, &clo, &chi))
                return flag_error(cli, arg, "--publish", "invalid containerPort: %s", cport);
        if (*host != '\0' && !parse_port_range(host, &hlo, &hhi))
                return flag_error(cli, arg, "--publish", "invalid hostPort: %s", host);
        if (*host != '\0' && chi != clo && hhi - hlo != chi - clo)
                return flag_error(cli, arg, "--publish", "invalid ranges specified for container and host Ports: %s and %s",
                                  cport, host);
        for (unsigned port = clo; port <= chi; port++) {
                cleanup_free char *key = xasprintf("%u/%s", port, proto), *hp = NULL;
                json_t *list;
                if (*host == '\0')
                        hp = xstrdup("");
                else if (chi != clo)
                        hp = xasprintf("%u", hlo + (port - clo));
                else if (hlo != hhi)
                        hp = xasprintf("%u-%u", hlo, hhi);
                else
                        hp = xasprintf("%u", hlo);
                json_object_set_new(child_object(cfg, "ExposedPorts"), key, json_object());
                list = json_object_get(child_object(hc, "PortBindings"), key);
                if (list == NULL) {
                        list = json_array();
                        json_object_set_new(json_object_get(hc, "PortBindings"), key, list);
                }
                json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", hp));
        }
        return 0;
}

/* --expose PORT[-PORT][/PROTO]: exposed, published only with -P. */
static int parse_expose(struct berth_cli *cli, const char *arg, json_t *cfg)
{
        cleanup_free char *copy = xstrdup(arg);
        char *proto = strchr(copy, '/');
        unsigned lo, hi;

        if (proto != NULL) {
                *proto++ = '\0';
                if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
                        return flag_error(cli, arg, "--expose", "invalid proto: %s", proto);
        } else {
                proto = "tcp";
        }
        if (!parse_port_range(copy, &lo, &hi))
                return flag_error(cli, arg, "--expose", "invalid range format for --expose: %s", arg);
        for (unsigned port = lo; port <= hi; port++) {
                cleanup_free char *key = xasprintf("%u/%s", port, proto);
                json_object_set_new(child_object(cfg, "ExposedPorts"), key, json_object());
        }
        return 0;
}

static int parse_device(struct berth_cli *cli, const char *s, json_t *hc)
{
        cleanup_free char *copy = xstrdup(s);
        char *parts[3] = {0}, *save = NULL;
        size_t n = 0;

        for (char *t = strtok_r(copy, ":", &save); t && n < 3; t = strtok_r(NULL, ":", &save))
                parts[n++] = t;
        if (n == 0)
                return flag_error(cli, s, "--device", "invalid device mode: %s", s);
        /* HOST[:CONTAINER][:PERMISSIONS]: a second part of r/w/m letters is the permissions. */
        if (n == 2 && strspn(parts[1], "rwm") == strlen(parts[1])) {
                parts[2] = parts[1];
                parts[1] = NULL;
        }
        json_array_append_new(child_array(hc, "Devices"),
                              json_pack("{s:s,s:s,s:s}", "PathOnHost", parts[0], "PathInContainer",
                                        parts[1] ? parts[1] : parts[0], "CgroupPermissions", parts[2] ? parts[2] : "rwm"));
        return 0;
}

static int parse_throttle(struct berth_cli *cli, const char *s, const char *flag, const char *key, bool bytes, json_t *hc)
{
        const char *colon = strrchr(s, ':');
        cleanup_free char *path = colon ? xstrndup(s, (size_t) (colon - s)) : NULL;
        int64_t rate;

        if (colon == NULL)
                return flag_error(cli, s, flag, "bad format: %s", s);
        if (bytes ? size_parse(colon + 1, 0, &rate) < 0 : parse_i64(colon + 1, &rate) < 0 || rate < 0)
                return flag_error(cli, s, flag, "invalid rate for device: %s", s);
        json_array_append_new(child_array(hc, key), json_pack("{s:s,s:I}", "Path", path, "Rate", (json_int_t) rate));
        return 0;
}

/* --mount type=bind,source=/a,target=/b,readonly | type=volume,... | type=tmpfs,tmpfs-size=... */
static int parse_mount(struct berth_cli *cli, const char *s, json_t *hc)
{
        cleanup_free char *copy = xstrdup(s);
        json_t *m = json_object();
        char *save = NULL;

        json_object_set_new(m, "Type", json_string("volume"));
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(t, '=');
                const char *v = eq ? eq + 1 : "";
                if (eq)
                        *eq = '\0';
                if (strcmp(t, "type") == 0)
                        json_object_set_new(m, "Type", json_string(v));
                else if (strcmp(t, "source") == 0 || strcmp(t, "src") == 0)
                        json_object_set_new(m, "Source", json_string(v));
                else if (strcmp(t, "target") == 0 || strcmp(t, "dst") == 0 || strcmp(t, "destination") == 0)
                        json_object_set_new(m, "Target", json_string(v));
                else if (strcmp(t, "readonly") == 0 || strcmp(t, "ro") == 0)
                        json_object_set_new(m, "ReadOnly", json_boolean(!eq || strcmp(v, "true") == 0 || strcmp(v, "1") == 0));
                else if (strcmp(t, "tmpfs-size") == 0) {
                        int64_t size;
                        if (size_parse(v, 0, &size) < 0) {
                                json_decref(m);
                                return flag_error(cli, s, "--mount", "invalid tmpfs-size: %s", v);
                        }
                        json_object_set_new(m, "TmpfsSize", json_integer(size));
                } else if (strcmp(t, "tmpfs-mode") == 0)
                        json_object_set_new(m, "TmpfsMode", json_integer(strtol(v, NULL, 8)));
                else if (strcmp(t, "bind-propagation") == 0 || strcmp(t, "consistency") == 0 ||
                         strcmp(t, "volume-nocopy") == 0)
                        continue;
                else {
                        json_decref(m);
                        return flag_error(cli, s, "--mount", "unexpected key '%s' in '%s'", t, s);
                }
        }
        json_array_append_new(child_array(hc, "Mounts"), m);
        return 0;
}

static int handle(struct berth_cli *cli, int c, const char *arg, struct run_flags *f)
{
        json_t *cfg = f->config, *hc = f->host_config;
        int64_t n;

        switch (c) {
        case 'd': f->detach = true; break;
        case 'i': json_object_set_new(cfg, "OpenStdin", json_true()); break;
        case 't': json_object_set_new(cfg, "Tty", json_true()); break;
        case OPT_RM: f->rm = true; json_object_set_new(hc, "AutoRemove", json_true()); break;
        case OPT_NAME: f->name = arg; break;
        case RUN_OPT_CIDFILE: f->cidfile = arg; break;
        case RUN_OPT_DETACH_KEYS: f->detach_keys = arg; break;
        case 'e': add_env(cfg, arg); break;
        case OPT_ENV_FILE: return read_env_file(cli, arg, cfg);
        case 'w':
                json_object_set_new(cfg, "WorkingDir", json_string(arg));
                break;
        case 'u': json_object_set_new(cfg, "User", json_string(arg)); break;
        case OPT_ENTRYPOINT:
                json_object_set_new(cfg, "Entrypoint", *arg ? json_pack("[s]", arg) : json_array());
                break;
        case 'h': json_object_set_new(cfg, "Hostname", json_string(arg)); break;
        case 'v': append_string(hc, "Binds", arg); break;
        case OPT_MOUNT: return parse_mount(cli, arg, hc);
        case OPT_TMPFS: {
                const char *colon = strchr(arg, ':');
                cleanup_free char *path = colon ? xstrndup(arg, (size_t) (colon - arg)) : xstrdup(arg);
                json_object_set_new(child_object(hc, "Tmpfs"), path, json_string(colon ? colon + 1 : ""));
                break;
        }
        case OPT_READ_ONLY: json_object_set_new(hc, "ReadonlyRootfs", json_true()); break;
        case 'm':
                if (parse_size(cli, arg, "-m, --memory", false, &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "Memory", json_integer(n));
                break;
        case OPT_MEMORY_SWAP:
                if (parse_size(cli, arg, "--memory-swap", true, &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "MemorySwap", json_integer(n));
                break;
        case OPT_MEMORY_RESERVATION:
                if (parse_size(cli, arg, "--memory-reservation", false, &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "MemoryReservation", json_integer(n));
                break;
        case OPT_OOM_KILL_DISABLE: json_object_set_new(hc, "OomKillDisable", json_true()); break;
        case OPT_CPUS: return parse_cpus(cli, arg, hc);
        case 'c':
                if (parse_flag_int(cli, arg, "-c, --cpu-shares", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "CpuShares", json_integer(n));
                break;
        case OPT_CPU_PERIOD:
                if (parse_flag_int(cli, arg, "--cpu-period", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "CpuPeriod", json_integer(n));
                break;
        case OPT_CPU_QUOTA:
                if (parse_flag_int(cli, arg, "--cpu-quota", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "CpuQuota", json_integer(n));
                break;
        case OPT_CPUSET_CPUS: json_object_set_new(hc, "CpusetCpus", json_string(arg)); break;
        case OPT_CPUSET_MEMS: json_object_set_new(hc, "CpusetMems", json_string(arg)); break;
        case OPT_BLKIO_WEIGHT: /* docker's range (10-1000, or 0) is the engine's check */
                if (parse_flag_int(cli, arg, "--blkio-weight", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "BlkioWeight", json_integer(n));
                break;
        case OPT_PIDS_LIMIT:
                if (parse_flag_int(cli, arg, "--pids-limit", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "PidsLimit", json_integer(n));
                break;
        case OPT_DEVICE: return parse_device(cli, arg, hc);
        case OPT_READ_BPS: return parse_throttle(cli, arg, "--device-read-bps", "BlkioDeviceReadBps", true, hc);
        case OPT_WRITE_BPS: return parse_throttle(cli, arg, "--device-write-bps", "BlkioDeviceWriteBps", true, hc);
        case OPT_READ_IOPS: return parse_throttle(cli, arg, "--device-read-iops", "BlkioDeviceReadIOps", false, hc);
        case OPT_WRITE_IOPS: return parse_throttle(cli, arg, "--device-write-iops", "BlkioDeviceWriteIOps", false, hc);
        case OPT_ULIMIT: return parse_ulimit(cli, arg, hc);
        case OPT_CAP_ADD: append_string(hc, "CapAdd", arg); break;
        case OPT_CAP_DROP: append_string(hc, "CapDrop", arg); break;
        case OPT_PRIVILEGED: json_object_set_new(hc, "Privileged", json_true()); break;
        case OPT_SECURITY_OPT: append_string(hc, "SecurityOpt", arg); break;
        /* Modes, networks, signals, log drivers: what they mean is checked by the engine (hostconfig.h). */
        case OPT_PID: json_object_set_new(hc, "PidMode", json_string(arg)); break;
        case OPT_IPC: json_object_set_new(hc, "IpcMode", json_string(arg)); break;
        case OPT_UTS: json_object_set_new(hc, "UTSMode", json_string(arg)); break;
        case OPT_NETWORK: json_object_set_new(hc, "NetworkMode", json_string(arg)); break;
        case OPT_USERNS: json_object_set_new(hc, "UsernsMode", json_string(arg)); break;
        case OPT_UIDMAP:
        case OPT_GIDMAP: {
                unsigned long long a, b, cnt;
                char tail;
                if (sscanf(arg, "%llu:%llu:%llu%c", &a, &b, &cnt, &tail) != 3 || cnt == 0)
                        return flag_error(cli, arg, c == OPT_UIDMAP ? "--uidmap" : "--gidmap",
                                          "expected CONTAINER_ID:HOST_ID:SIZE");
                append_string(hc, c == OPT_UIDMAP ? "BerthUidMaps" : "BerthGidMaps", arg);
                json_object_set_new(hc, "UsernsMode", json_string("remap"));
                break;
        }
        case OPT_INIT: json_object_set_new(hc, "Init", json_true()); break;
        case OPT_STOP_SIGNAL: json_object_set_new(cfg, "StopSignal", json_string(arg)); break;
        case OPT_STOP_TIMEOUT:
                if (parse_flag_int(cli, arg, "--stop-timeout", &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(cfg, "StopTimeout", json_integer(n));
                break;
        case OPT_RESTART: return parse_restart(cli, arg, hc);
        case 'l': {
                const char *eq = strchr(arg, '=');
                cleanup_free char *k = eq ? xstrndup(arg, (size_t) (eq - arg)) : xstrdup(arg);
                json_object_set_new(child_object(cfg, "Labels"), k, json_string(eq ? eq + 1 : ""));
                /* Keys set by -l, which a --label-file given later does not override (dropped after parsing). */
                json_object_set_new(child_object(cfg, "BerthLabelFlags"), k, json_true());
                break;
        }
        case OPT_LOG_DRIVER:
                json_object_set_new(child_object(hc, "LogConfig"), "Type", json_string(arg));
                break;
        case OPT_LOG_OPT: {
                const char *eq = strchr(arg, '=');
                cleanup_free char *k = eq ? xstrndup(arg, (size_t) (eq - arg)) : NULL;
                if (k == NULL)
                        return cli_flag_error(cli, "invalid key value pair format in log-opt: %s", arg);
                json_object_set_new(child_object(child_object(hc, "LogConfig"), "Config"), k, json_string(eq + 1));
                break;
        }
        case OPT_SIG_PROXY: f->sig_proxy = arg == NULL || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0; break;
        case OPT_ADD_HOST: {
                const char *sep = strchr(arg, ':') ? strchr(arg, ':') : strchr(arg, '=');
                cleanup_free char *host = sep ? xstrndup(arg, (size_t) (sep - arg)) : NULL;
                cleanup_free char *norm = NULL;
                if (sep == NULL || host[0] == '\0' || sep[1] == '\0')
                        return flag_error(cli, arg, "--add-host", "bad format for add-host: \"%s\"", arg);
                norm = xasprintf("%s:%s", host, sep + 1);
                append_string(hc, "ExtraHosts", norm);
                break;
        }
        case OPT_DNS: append_string(hc, "Dns", arg); break;
        case OPT_DNS_SEARCH: append_string(hc, "DnsSearch", arg); break;
        case OPT_DNS_OPTION: append_string(hc, "DnsOptions", arg); break;
        case OPT_SHM_SIZE:
                if (parse_size(cli, arg, "--shm-size", false, &n) != 0)
                        return CLI_EXIT_ERROR;
                json_object_set_new(hc, "ShmSize", json_integer(n));
                break;
        case 'a':
                f->attach_set = true;
                if (strcasecmp(arg, "stdin") == 0)
                        f->attach_stdin = true;
                else if (strcasecmp(arg, "stdout") == 0)
                        f->attach_stdout = true;
                else if (strcasecmp(arg, "stderr") == 0)
                        f->attach_stderr = true;
                else
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"-a, --attach\" flag: valid streams are STDIN, "
                                                   "STDOUT and STDERR", arg);
                break;
        case OPT_PLATFORM:
                if (*arg == '\0')
                        return cli_flag_error(cli, "invalid argument \"\" for \"--platform\" flag: empty platform");
                f->platform = arg;
                break;
        case OPT_PULL: {
                berth_error err = {0};
                if (engine_pull_policy_parse(arg, &f->pull, &err) < 0) {
                        int r = cli_flag_error(cli, "%s", berth_error_message(&err));
                        berth_error_clear(&err);
                        return r;
                }
                break;
        }
        case OPT_AUTHFILE:
        case OPT_TIME_OFFSET: {
                /* berth's own (docs/proc.md): where the container's CLOCK_BOOTTIME or CLOCK_MONOTONIC starts, in
                 * a time namespace; the view starts boottime at 0 without it. */
                const char *eq = strchr(arg, '=');
                cleanup_free char *clock = eq ? xstrndup(arg, (size_t) (eq - arg)) : NULL;
                json_t *offsets = json_object_get(hc, "BerthTimeOffsets");
                int64_t secs;
                if (clock == NULL || (strcmp(clock, "boottime") != 0 && strcmp(clock, "monotonic") != 0) ||
                    parse_i64(eq + 1, &secs) < 0 || secs < 0)
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"--time-offset\" flag: expected boottime=SECONDS or monotonic=SECONDS (SECONDS >= 0)",
                                              arg);
                if (!json_is_object(offsets)) {
                        offsets = json_object();
                        json_object_set_new(hc, "BerthTimeOffsets", offsets);
                }
                json_object_set_new(offsets, clock, json_integer(secs));
                break;
        }
        case OPT_PROC_VIEW:
                /* berth's own: the container's view of /proc (docs/proc.md). Only "off" is recorded, so that a
                 * HostConfig from elsewhere (docker's API) gets the default. */
                if (arg != NULL && !is_bool_word(arg))
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"--proc-view\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
                                              arg, arg);
                if (arg != NULL && strchr("0fF", arg[0]) != NULL)
                        json_object_set_new(hc, "BerthProcView", json_false());
                else
                        json_object_del(hc, "BerthProcView");
                break;
        case OPT_CERT_DIR:
        case OPT_CREDS:
        case OPT_TLS_VERIFY:
                /* podman's registry flags, for a pull on run (used by berth-full: run_image.c). */
                if (c == OPT_TLS_VERIFY && arg != NULL && !is_bool_word(arg))
                        return cli_flag_error(cli, "invalid argument \"%s\" for \"--tls-verify\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
                                              arg, arg);
                if (f->n_registry_flags == RUN_REGISTRY_FLAGS_MAX)
                        return cli_flag_error(cli, "too many registry flags");
                f->registry_flags[f->n_registry_flags].name = c == OPT_AUTHFILE ? "authfile" : c == OPT_CERT_DIR ? "cert-dir"
                                                              : c == OPT_CREDS  ? "creds" : "tls-verify";
                f->registry_flags[f->n_registry_flags++].value = arg;
                break;
        case 'q': f->quiet = true; break;
        case 'p': return parse_publish(cli, arg, cfg, hc);
        case 'P': json_object_set_new(hc, "PublishAllPorts", json_true()); break;
        case OPT_EXPOSE: return parse_expose(cli, arg, cfg);
        case OPT_IP: {
                unsigned char buf[4];
                if (inet_pton(AF_INET, arg, buf) != 1)
                        return flag_error(cli, arg, "--ip", "invalid IPv4 address: %s", arg);
                /* docker's NetworkingConfig.EndpointsConfig[network].IPAMConfig.IPv4Address: the API's third
                 * body part; berth's HostConfig carries it. */
                json_object_set_new(hc, "BerthIPv4Address", json_string(arg));
                break;
        }
        case OPT_NETWORK_ALIAS:
                /* docker's NetworkingConfig.EndpointsConfig[network].Aliases, carried in berth's HostConfig. */
                if (*arg == '\0' || strpbrk(arg, " \t/:") != NULL)
                        return flag_error(cli, arg, "--network-alias", "invalid alias: %s", arg);
                append_string(hc, "BerthNetworkAliases", arg);
                break;
        case OPT_MAC_ADDRESS: {
                unsigned v[6];
                char tail;
                if (sscanf(arg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 ||
                    strlen(arg) != 17)
                        return flag_error(cli, arg, "--mac-address", "%s is not a valid mac address", arg);
                if (v[0] & 1)
                        return flag_error(cli, arg, "--mac-address", "%s is a multicast address", arg);
                json_object_set_new(cfg, "MacAddress", json_string(arg));
                break;
        }
        case OPT_LABEL_FILE: return read_label_file(cli, arg, cfg);
        default: return CLI_EXIT_ERROR;
        }
        return 0;
}

int run_flags_parse(struct berth_cli *cli, int argc, char **argv, bool is_run, struct run_flags *f)
{
        json_t *cmd;
        int c, r;

        memset(f, 0, sizeof(*f));
        f->config = json_object();
        f->host_config = json_pack("{s:s,s:{s:s,s:{}},s:{s:s,s:i}}", "NetworkMode", "default", "LogConfig", "Type",
                                   "json-file", "Config", "RestartPolicy", "Name", "no", "MaximumRetryCount", 0);
        f->sig_proxy = true;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+dith:e:w:u:v:m:c:l:a:qp:P", OPTIONS, NULL)) != -1) {
                if (c == OPT_HELP) {
                        usage(is_run);
                        return 1;
                }
                if (c == '?' || c == ':') {
                        if (optopt != 0 && optopt < 256 && strchr("hewuvmclap", optopt) && c == '?' &&
                            argv[optind - 1][1] != '-')
                                return cli_flag_error(cli, "flag needs an argument: '%c' in -%c", optopt, optopt);
                        return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
                if (c >= RUN_OPT_HEALTH_CMD && c <= RUN_OPT_NO_HEALTHCHECK)
                        r = run_health_flag(cli, c, optarg, f->config);
                else
                        r = handle(cli, c, optarg, f);
                if (r != 0)
                        return r;
        }
        if ((r = run_health_flags_finish(cli, f->config)) != 0)
                return r;
        json_object_del(f->config, "BerthLabelFlags");
        if (!is_run && f->detach)
                return cli_flag_error(cli, "unknown shorthand flag: 'd' in -d");
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth %s\" requires at least 1 argument.", is_run ? "run" : "create");
        f->image = argv[optind++];
        if (optind < argc) {
                cmd = json_array();
                for (int i = optind; i < argc; i++)
                        json_array_append_new(cmd, json_string(argv[i]));
                json_object_set_new(f->config, "Cmd", cmd);
        }
        /* What run attaches: docker's defaults (stdout and stderr; stdin with -i), unless -d or -a. */
        if (!f->attach_set && is_run && !f->detach) {
                f->attach_stdout = f->attach_stderr = true;
                f->attach_stdin = json_is_true(json_object_get(f->config, "OpenStdin"));
        }
        if (f->detach && f->attach_set)
                return cli_flag_error(cli, "Conflicting options: -a and -d");
        json_object_set_new(f->config, "AttachStdin", json_boolean(f->attach_stdin));
        json_object_set_new(f->config, "AttachStdout", json_boolean(f->attach_stdout));
        json_object_set_new(f->config, "AttachStderr", json_boolean(f->attach_stderr));
        json_object_set_new(f->config, "StdinOnce", json_boolean(f->attach_stdin && json_is_true(json_object_get(f->config, "OpenStdin"))));
        if (json_object_get(f->config, "Tty") == NULL)
                json_object_set_new(f->config, "Tty", json_false());
        if (json_object_get(f->config, "OpenStdin") == NULL)
                json_object_set_new(f->config, "OpenStdin", json_false());
        return 0;
}

void run_flags_clear(struct run_flags *f)
{
        if (f->config)
                json_decref(f->config);
        if (f->host_config)
                json_decref(f->host_config);
        memset(f, 0, sizeof(*f));
}
