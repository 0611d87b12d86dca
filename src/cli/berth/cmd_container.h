/* The container commands of `berth` (run, create, start, ps, logs, exec, ...): one cmd_*.c file each
 * (some group a family: cmd_container.c), over src/engine. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "cli/berth/cli.h"
#include "engine/engine.h"
#include "engine/pull.h"

/* Opens the engine on --root / --storage-driver. */
int cli_engine_open(struct berth_cli *cli, struct engine **out, berth_error *err);

/* CVE-2019-5736: commands that make container processes (run, start, restart, exec, the monitor's exit
 * command) run from a protected copy of berth. Re-executes the whole command line (from /proc/self/cmdline)
 * when needed; returns 0 when already protected, else only on failure. */
int cli_engine_protect(struct berth_cli *cli, berth_error *err);

/* One-line usage error for the container commands: "Error: MESSAGE" (and 125). */
int cli_flag_error(struct berth_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The name of the option getopt_long refused at argv[optind - 1]. */
const char *cli_bad_option(char **argv, int optind_now);

/* run / create flags (cmd_run_flags.c): docker's Config and HostConfig. */
#define RUN_REGISTRY_FLAGS_MAX 8

struct run_flags {
        json_t *config;
        json_t *host_config;
        const char *name;
        const char *image;
        const char *cidfile; /* --cidfile */
        const char *detach_keys; /* --detach-keys */
        bool detach, rm, sig_proxy, quiet;
        bool attach_set; /* -a given */
        bool attach_stdin, attach_stdout, attach_stderr;
        enum engine_pull_policy pull; /* --pull */
        const char *platform;         /* --platform */
        struct {
                const char *name; /* "authfile", "cert-dir", "creds", "tls-verify" */
                const char *value;
        } registry_flags[RUN_REGISTRY_FLAGS_MAX]; /* for a pull, in order */
        size_t n_registry_flags;
};
/* Returns 0, 1 for --help (printed), or the exit code of a usage error (printed). */
int run_flags_parse(struct berth_cli *cli, int argc, char **argv, bool is_run, struct run_flags *out);

/* --health-* and --no-healthcheck (cmd_health.c): getopt values, each flag into Config.Healthcheck, then the
 * check of the whole (--no-healthcheck with another). Return 0 or the exit code of a usage error (printed). */
enum {
        RUN_OPT_HEALTH_CMD = 2000, RUN_OPT_HEALTH_INTERVAL, RUN_OPT_HEALTH_TIMEOUT, RUN_OPT_HEALTH_START_PERIOD,
        RUN_OPT_HEALTH_START_INTERVAL, RUN_OPT_HEALTH_RETRIES, RUN_OPT_NO_HEALTHCHECK,
        RUN_OPT_CIDFILE, RUN_OPT_DETACH_KEYS, /* handled by cmd_run_flags.c */
};
int run_health_flag(struct berth_cli *cli, int opt, const char *arg, json_t *config);
int run_health_flags_finish(struct berth_cli *cli, json_t *config);
int cmd_container_healthcheck(struct berth_cli *cli, int argc, char **argv);
void run_flags_clear(struct run_flags *f);

/* run_image.c: the image run/create use (engine/pull.h). berth-full pulls it when needed; the lean berth
 * returns RUN_IMAGE_FORWARD instead, and the command is handed to berth-full (cli_forward_to_full) before
 * anything is made. */
#define RUN_IMAGE_FORWARD 1
int run_image_ensure(struct berth_cli *cli, struct engine *e, const struct run_flags *f, char **image_id,
                     berth_error *err);

int cmd_run(struct berth_cli *cli, int argc, char **argv);
int cmd_create(struct berth_cli *cli, int argc, char **argv);
int cmd_start(struct berth_cli *cli, int argc, char **argv);
int cmd_stop(struct berth_cli *cli, int argc, char **argv);
int cmd_restart(struct berth_cli *cli, int argc, char **argv);
int cmd_kill(struct berth_cli *cli, int argc, char **argv);
int cmd_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_wait(struct berth_cli *cli, int argc, char **argv);
int cmd_pause(struct berth_cli *cli, int argc, char **argv);
int cmd_unpause(struct berth_cli *cli, int argc, char **argv);
int cmd_rename(struct berth_cli *cli, int argc, char **argv);
int cmd_container_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_container_cleanup(struct berth_cli *cli, int argc, char **argv);
int cmd_ps(struct berth_cli *cli, int argc, char **argv);
int cmd_logs(struct berth_cli *cli, int argc, char **argv);
int cmd_events(struct berth_cli *cli, int argc, char **argv);
int cmd_system_boot(struct berth_cli *cli, int argc, char **argv);
int cmd_update(struct berth_cli *cli, int argc, char **argv);
int cmd_export(struct berth_cli *cli, int argc, char **argv); /* berth-full */
int cmd_exec(struct berth_cli *cli, int argc, char **argv);
int cmd_attach(struct berth_cli *cli, int argc, char **argv);
int cmd_top(struct berth_cli *cli, int argc, char **argv);
int cmd_port(struct berth_cli *cli, int argc, char **argv);
int cmd_network_create(struct berth_cli *cli, int argc, char **argv);
int cmd_network_ls(struct berth_cli *cli, int argc, char **argv);
int cmd_network_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_network_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_network_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_network_reload(struct berth_cli *cli, int argc, char **argv);
int cmd_network_connect(struct berth_cli *cli, int argc, char **argv);
int cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv);
int cmd_stats(struct berth_cli *cli, int argc, char **argv);
int cmd_cp(struct berth_cli *cli, int argc, char **argv);
int cmd_diff(struct berth_cli *cli, int argc, char **argv);
int cmd_commit(struct berth_cli *cli, int argc, char **argv);
int cmd_build(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_create(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_ls(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_rm(struct berth_cli *cli, int argc, char **argv);
int cmd_volume_prune(struct berth_cli *cli, int argc, char **argv);
