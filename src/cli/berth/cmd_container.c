/* The container lifecycle commands: start, stop, restart, kill, rm, wait, pause, unpause, rename,
 * container prune, and the monitor's exit command (container cleanup); plus what the container commands
 * share (opening the engine, the CVE-2019-5736 re-execution, one-line flag errors). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "engine/create.h"
#include "engine/list.h"
#include "runtime/exe_protect.h"
#include "engine/lifecycle.h"
#include "engine/run.h"
#include "lib/util.h"

/* docker exits 1 when the daemon refused one of several containers (stop, rm, kill, ...). */
#define CLI_EXIT_FAILED 1

int cli_engine_open(struct berth_cli *cli, struct engine **out, berth_error *err)
{
        return engine_open(cli->root, cli->driver, out, err);
}

int cli_engine_protect(struct berth_cli *cli, berth_error *err)
{
        cleanup_free char *cmdline = NULL;
        char **argv = NULL;
        size_t len = 0, n = 0;
        int r;

        (void) cli;
        if (exe_is_protected())
                return 0;
        /* The monitor's exit command runs berth by path: remember it before the path becomes a detached
         * mount's. */
        if (getenv("BERTH_EXE") == NULL) {
                char self[4096];
                ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (k > 0) {
                        self[k] = '\0';
                        setenv("BERTH_EXE", self, 1);
                }
        }
        if ((r = read_file_at(AT_FDCWD, "/proc/self/cmdline", &cmdline, &len, err)) < 0)
                return r;
        argv = xzalloc((len + 2) * sizeof(char *));
        for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
                argv[n++] = cmdline + i;
        argv[n] = NULL;
        r = exe_reexec_protected(argv, err);
        free(argv);
        return r;
}

static int usage_simple(struct berth_cli *cli, const char *usage, int argc, char **argv, const char *shorts,
                        const struct option *options, int (*handle)(int c, const char *arg, void *data), void *data)
{
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, shorts, options, NULL)) != -1) {
                if (c == 'H') {
                        printf("Usage:  berth %s\n", usage);
                        return 1;
                }
                if (c == '?' || c == ':')
                        return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                if (handle != NULL && (r = handle(c, optarg, data)) != 0)
                        return r < 0 ? CLI_EXIT_ERROR /* the handler said why */
                                     : cli_flag_error(cli, "invalid argument \"%s\" for \"%s\"", optarg ? optarg : "",
                                                      cli_bad_option(argv, optind));
        }
        return 0;
}

static int for_each(struct berth_cli *cli, struct engine *e, int argc, char **argv, int first,
                    int (*fn)(struct engine *e, const char *id, void *data, berth_error *err), void *data, bool print)
{
        int status = 0;

        if (first >= argc)
                return cli_flag_error(cli, "\"berth %s\" requires at least 1 argument.", cli->command);
        for (int i = first; i < argc; i++) {
                cleanup_free char *id = NULL;
                berth_error err = {0};
                if (engine_container_resolve(e, argv[i], &id, &err) < 0 || fn(e, id, data, &err) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                        berth_error_clear(&err);
                        status = CLI_EXIT_FAILED;
                        continue;
                }
                if (print)
                        printf("%s\n", argv[i]);
        }
        return status;
}

/* ---- start ---- */

struct start_flags {
        bool attach, interactive;
        const char *detach_keys;
};

static int start_handle(int c, const char *arg, void *data)
{
        struct start_flags *f = data;

        if (c == 'K')
                f->detach_keys = arg;
        else if (c == 'a')
                f->attach = true;
        else if (c == 'i')
                f->interactive = true;
        return 0;
}

int cmd_start(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"attach", no_argument, NULL, 'a'}, {"interactive", no_argument, NULL, 'i'},
                {"detach-keys", required_argument, NULL, 'K'}, {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct start_flags f = {0};
        int r, status = 0;

        if ((r = usage_simple(cli, "start [OPTIONS] CONTAINER [CONTAINER...]", argc, argv, "+ai", options, start_handle, &f)) != 0)
                return r == 1 ? 0 : r;
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth start\" requires at least 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        if (f.attach || f.interactive) {
                cleanup_free char *id = NULL;
                if (argc - optind > 1)
                        return cli_flag_error(cli, "you cannot start and attach multiple containers at once");
                if (engine_container_resolve(e, argv[optind], &id, &err) < 0)
                        return cli_fail(cli, &err);
                struct engine_run_result res = {0};
                r = engine_container_start_attached(e, id, f.interactive, f.detach_keys, &res, &err);
                engine_run_result_clear(&res);
                if (r < 0) {
                        fprintf(stderr, "Error: %s\n", berth_error_message(&err));
                        return res.exit_code;
                }
                return res.detached ? 0 : res.exit_code;
        }
        for (int i = optind; i < argc; i++) {
                cleanup_free char *id = NULL;
                berth_error e2 = {0};
                bool already = false;
                struct engine_start_options opts = {.attach_fd = -1};
                if (engine_container_resolve(e, argv[i], &id, &e2) < 0 || engine_container_start(e, id, &opts, &already, &e2) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&e2));
                        berth_error_clear(&e2);
                        status = CLI_EXIT_FAILED;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return status;
}

/* ---- stop, restart, kill ---- */

struct stop_flags {
        int timeout;
        int signal;
};

static int stop_handle(int c, const char *arg, void *data)
{
        struct stop_flags *f = data;

        if (c == 't')
                return parse_int(arg, &f->timeout);
        if (c == 's')
                return signal_parse(arg, &f->signal);
        return 0;
}

static int do_stop(struct engine *e, const char *id, void *data, berth_error *err)
{
        return engine_container_stop(e, id, ((struct stop_flags *) data)->timeout, err);
}

static int do_restart(struct engine *e, const char *id, void *data, berth_error *err)
{
        return engine_container_restart(e, id, ((struct stop_flags *) data)->timeout, err);
}

static int do_kill(struct engine *e, const char *id, void *data, berth_error *err)
{
        return engine_container_kill(e, id, ((struct stop_flags *) data)->signal, err);
}

static int stop_like(struct berth_cli *cli, int argc, char **argv, const char *usage,
                     int (*fn)(struct engine *, const char *, void *, berth_error *), bool kill_flags, bool protect)
{
        static const struct option options[] = {
                {"time", required_argument, NULL, 't'},   {"timeout", required_argument, NULL, 't'},
                {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct stop_flags f = {.timeout = -1, .signal = SIGKILL};
        int r;

        if ((r = usage_simple(cli, usage, argc, argv, kill_flags ? "+s:" : "+t:s:", options, stop_handle, &f)) != 0)
                return r == 1 ? 0 : r;
        if (protect && cli_engine_protect(cli, &err) < 0)
                return cli_fail(cli, &err);
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        return for_each(cli, e, argc, argv, optind, fn, &f, true);
}

int cmd_stop(struct berth_cli *cli, int argc, char **argv)
{
        return stop_like(cli, argc, argv, "stop [OPTIONS] CONTAINER [CONTAINER...]", do_stop, false, false);
}

int cmd_restart(struct berth_cli *cli, int argc, char **argv)
{
        return stop_like(cli, argc, argv, "restart [OPTIONS] CONTAINER [CONTAINER...]", do_restart, false, false);
}

int cmd_kill(struct berth_cli *cli, int argc, char **argv)
{
        return stop_like(cli, argc, argv, "kill [OPTIONS] CONTAINER [CONTAINER...]", do_kill, true, false);
}

/* ---- rm ---- */

struct rm_flags {
        bool force, volumes;
};

static int rm_handle(int c, const char *arg, void *data)
{
        struct rm_flags *f = data;

        (void) arg;
        if (c == 'l') {
                /* Not ignored: there are no legacy links to remove. */
                fprintf(stderr, "Error: --link is not supported: berth has no container links\n");
                return -1;
        }
        if (c == 'f')
                f->force = true;
        else if (c == 'v')
                f->volumes = true;
        return 0;
}

static int do_rm(struct engine *e, const char *id, void *data, berth_error *err)
{
        struct rm_flags *f = data;
        return engine_container_remove(e, id, f->force, f->volumes, err);
}

int cmd_rm(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'}, {"volumes", no_argument, NULL, 'v'},
                {"link", no_argument, NULL, 'l'},  {"help", no_argument, NULL, 'H'},
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct rm_flags f = {0};
        int r;

        if ((r = usage_simple(cli, "rm [OPTIONS] CONTAINER [CONTAINER...]", argc, argv, "+fvl", options, rm_handle, &f)) != 0)
                return r == 1 ? 0 : r;
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        return for_each(cli, e, argc, argv, optind, do_rm, &f, true);
}

/* ---- wait, pause, unpause, rename ---- */

static int do_wait(struct engine *e, const char *id, void *data, berth_error *err)
{
        int code = 0, r = engine_container_wait(e, id, &code, err);

        (void) data;
        if (r == 0)
                printf("%d\n", code);
        return r;
}

static int simple_command(struct berth_cli *cli, int argc, char **argv, const char *usage,
                          int (*fn)(struct engine *, const char *, void *, berth_error *), bool print)
{
        static const struct option options[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        int r;

        if ((r = usage_simple(cli, usage, argc, argv, "+", options, NULL, NULL)) != 0)
                return r == 1 ? 0 : r;
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        return for_each(cli, e, argc, argv, optind, fn, NULL, print);
}

int cmd_wait(struct berth_cli *cli, int argc, char **argv)
{
        return simple_command(cli, argc, argv, "wait CONTAINER [CONTAINER...]", do_wait, false);
}

static int do_pause(struct engine *e, const char *id, void *data, berth_error *err)
{
        (void) data;
        return engine_container_pause(e, id, true, err);
}

static int do_unpause(struct engine *e, const char *id, void *data, berth_error *err)
{
        (void) data;
        return engine_container_pause(e, id, false, err);
}

int cmd_pause(struct berth_cli *cli, int argc, char **argv)
{
        return simple_command(cli, argc, argv, "pause CONTAINER [CONTAINER...]", do_pause, true);
}

int cmd_unpause(struct berth_cli *cli, int argc, char **argv)
{
        return simple_command(cli, argc, argv, "unpause CONTAINER [CONTAINER...]", do_unpause, true);
}

int cmd_rename(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {{"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        int r;

        if ((r = usage_simple(cli, "rename CONTAINER NEW_NAME", argc, argv, "+", options, NULL, NULL)) != 0)
                return r == 1 ? 0 : r;
        if (argc - optind != 2)
                return cli_flag_error(cli, "\"berth rename\" requires exactly 2 arguments.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_container_rename(e, argv[optind], argv[optind + 1], &err) < 0) {
                fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&err));
                return CLI_EXIT_FAILED;
        }
        return 0;
}

/* ---- prune, cleanup ---- */

static void prune_warn(const berth_error *err, void *data)
{
        (void) data;
        fprintf(stderr, "Error: %s\n", berth_error_message(err));
}

static int prune_handle(int c, const char *arg, void *data)
{
        char ***filters = data;

        if (c == 'F')
                *filters = strv_append(*filters, arg);
        return 0;
}

int cmd_container_prune(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'H'},  {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **ids = NULL;
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct engine_prune_filter f = {0};
        uint64_t reclaimed = 0;
        char size[32];
        int r;

        if ((r = usage_simple(cli, "container prune [OPTIONS]", argc, argv, "+f", options, prune_handle, &filters)) != 0)
                return r == 1 ? 0 : r;
        if (engine_prune_filter_parse(filters, true, &f, &err) < 0)
                return cli_fail(cli, &err);
        r = cli_engine_open(cli, &e, &err) < 0 ? -1 : engine_container_prune(e, &f, &ids, &reclaimed, prune_warn, NULL, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return cli_fail(cli, &err);
        if (ids[0] != NULL)
                printf("Deleted Containers:\n");
        for (char **id = ids; *id; id++)
                printf("%s\n", *id);
        format_human_size((double) reclaimed, size, sizeof(size));
        printf("%sTotal reclaimed space: %s\n", ids[0] != NULL ? "\n" : "", size);
        return 0;
}

int cmd_container_cleanup(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;

        if (argc != 2)
                return cli_flag_error(cli, "usage: berth container cleanup ID (the monitor's exit command)");
        if (cli_engine_open(cli, &e, &err) < 0 ||
            engine_container_cleanup(e, argv[1], &err) < 0)
                return cli_fail(cli, &err);
        return 0;
}
