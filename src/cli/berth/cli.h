/* The `berth` front end: global options, the command table, and what every command shares (opening the
 * store, printing the one error line, docker's exit codes). Each command lives in its own cmd_*.c file
 * and is listed once in main.c's table. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "image/store.h"

/* docker's exit status for errors of the engine itself (bad flags, unknown image, I/O): 125. */
#define CLI_EXIT_ERROR 125

struct berth_cli {
        const char *program; /* "berth" */
        const char *root;    /* --root, default /var/lib/berth */
        const char *driver;  /* --storage-driver, NULL: the store's own */
        const char *command; /* the command's name, for messages ("images", "image ls") */
        char **argv;         /* berth's own argv, whole (for handing a command to berth-full) */
};

typedef int (*berth_command_fn)(struct berth_cli *cli, int argc, char **argv);

struct berth_command {
        const char *name;    /* "images", or two words: "image ls" */
        berth_command_fn run;
        const char *summary; /* one line for `berth --help` */
};

/* docker's exit status for a command that ran and failed where the docker CLI gives 1 (pull, push: the
 * daemon's error), rather than 125 (its flags, or the engine's own failures around a container). */
#define CLI_EXIT_FAILURE 1

/* Prints "Error: MESSAGE" on stderr, returns 125. */
int cli_fail(struct berth_cli *cli, const berth_error *err);
/* The same line, returning status. */
int cli_fail_status(struct berth_cli *cli, const berth_error *err, int status);
/* Flag and argument errors: the message and docker's "See 'berth CMD --help'." hint, returns 125. */
int cli_usage_error(struct berth_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The lean berth: replaces itself with berth-full (beside it) running the same argv; returns 125 only when
 * that fails (after printing why). berth-full: never called. */
int cli_forward_to_full(struct berth_cli *cli);

/* Opens the store named by --root with the given lock; err on failure. */
int cli_open_store(struct berth_cli *cli, enum store_lock_mode lock, struct image_store **out, berth_error *err);

/* getopt_long wants argv[0] to be the command: every command parses (argc, argv) as given by main. */
#define CLI_HELP_OPTION {"help", no_argument, NULL, 'h'}

/* The image commands (one file each). */
int cmd_images(struct berth_cli *cli, int argc, char **argv);
int cmd_history(struct berth_cli *cli, int argc, char **argv);
int cmd_inspect(struct berth_cli *cli, int argc, char **argv);
int cmd_tag(struct berth_cli *cli, int argc, char **argv);
int cmd_rmi(struct berth_cli *cli, int argc, char **argv);
int cmd_image_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_load(struct berth_cli *cli, int argc, char **argv);
int cmd_save(struct berth_cli *cli, int argc, char **argv);
int cmd_import(struct berth_cli *cli, int argc, char **argv);
int cmd_image_mount(struct berth_cli *cli, int argc, char **argv);
int cmd_image_unmount(struct berth_cli *cli, int argc, char **argv);
int cmd_system_df(struct berth_cli *cli, int argc, char **argv);
int cmd_builder_prune(struct berth_cli *cli, int argc, char **argv);
int cmd_system_check(struct berth_cli *cli, int argc, char **argv);
int cmd_info(struct berth_cli *cli, int argc, char **argv);
int cmd_system_service(struct berth_cli *cli, int argc, char **argv);

/* Display form of a stored name: "docker.io/library/busybox:latest" -> repository "busybox", tag "latest". */
void cli_split_name(const char *stored, char **repository, char **tag);
char *cli_display_name(const char *stored);
/* "sha256:<hex>" -> the first 12 hex digits (docker's short ID), or the whole ID with no_trunc. */
char *cli_short_id(const char *id, bool no_trunc);
