/* What pull, push, login and logout share on the command line: the registry flags (--authfile, --creds,
 * --cert-dir, --tls-verify), Ctrl-C handling (a flag the transfers check, so that the store is cleaned up
 * before berth dies of the signal), and the progress display. */
#pragma once

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "cli/berth/cli.h"
#include "registry/progress.h"
#include "registry/registry.h"

enum {
        REGISTRY_OPT_AUTHFILE = 0x1000,
        REGISTRY_OPT_CERT_DIR,
        REGISTRY_OPT_TLS_VERIFY,
        REGISTRY_OPT_CREDS,
        REGISTRY_OPT_PLATFORM,
        REGISTRY_OPT_PASSWORD_STDIN,
};

#define REGISTRY_CLI_OPTIONS                                                                                          \
        {"authfile", required_argument, NULL, REGISTRY_OPT_AUTHFILE},                                                 \
        {"cert-dir", required_argument, NULL, REGISTRY_OPT_CERT_DIR},                                                 \
        {"tls-verify", optional_argument, NULL, REGISTRY_OPT_TLS_VERIFY},                                             \
        {"creds", required_argument, NULL, REGISTRY_OPT_CREDS}

#define REGISTRY_CLI_HELP                                                                                             \
        "      --authfile string     Path of the authentication file (default $REGISTRY_AUTH_FILE,\n"                 \
        "                            $DOCKER_CONFIG/config.json or ~/.docker/config.json)\n"                          \
        "      --cert-dir string     Certificates directory: *.crt CAs, NAME.cert + NAME.key client pair\n"           \
        "      --creds user:pass     Credentials for the registry (instead of the authentication file)\n"             \
        "      --tls-verify[=bool]   Require HTTPS and verify certificates (default true, or false for\n"             \
        "                            insecure registries in registries.conf)\n"

/* Defaults before flags are parsed (tls_verify -1, tunables from the environment). */
void registry_cli_init(struct registry_options *o);
/* One of the shared flags: 1 when handled, 0 when not one of them, < 0 after printing a usage error (the
 * command returns CLI_EXIT_ERROR). */
int registry_cli_option(struct berth_cli *cli, int c, const char *arg, struct registry_options *o);

/* SIGINT/SIGTERM set the returned flag (the transfers stop, the library cleans up); registry_cli_exit_signal
 * then ends the process by that signal, as an interrupted docker command ends. */
const volatile sig_atomic_t *registry_cli_catch_signals(void);
int registry_cli_caught_signal(void);
void registry_cli_exit_signal(void) __attribute__((noreturn));

/* Sets o->event for docker's progress display on stdout (none when quiet). Free with progress_display_free. */
struct progress_display *registry_cli_progress(struct registry_options *o, bool quiet);

/* The registry commands (cmd_pull.c, cmd_push.c, cmd_login.c), listed in main.c's table. */
int cmd_pull(struct berth_cli *cli, int argc, char **argv);
int cmd_push(struct berth_cli *cli, int argc, char **argv);
int cmd_login(struct berth_cli *cli, int argc, char **argv);
int cmd_logout(struct berth_cli *cli, int argc, char **argv);
