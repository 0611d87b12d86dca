/* berth login [OPTIONS] [SERVER], berth logout [SERVER] (docs/registry.md) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/registry_cli.h"
#include "lib/util.h"

#define PASSWORD_MAX (64u << 10)

static void free_secret(char *s)
{
        if (s != NULL) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* --password-stdin: everything on standard input, without the final newline (docker trims "\n" and "\r\n"). */
static int read_password_stdin(char **out, berth_error *err)
{
        char *buf = xmalloc(PASSWORD_MAX + 1);
        size_t n = 0;
        ssize_t got;

        while (n < PASSWORD_MAX && (got = read(STDIN_FILENO, buf + n, PASSWORD_MAX - n)) != 0) {
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        free_secret(buf);
                        return berth_fail(err, errno, "read the password from standard input");
                }
                n += (size_t) got;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                n--;
        buf[n] = '\0';
        *out = buf;
        return 0;
}

/* A line from the terminal; echo off for passwords. */
static int prompt(const char *what, bool secret, char **out, berth_error *err)
{
        struct termios old, quiet;
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        bool restore = false;

        fprintf(stderr, "%s: ", what);
        fflush(stderr);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t) ECHO;
                restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
        n = getline(&line, &cap, stdin);
        if (restore) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fputc('\n', stderr);
        }
        if (n < 0) {
                free(line);
                return berth_failf(err, EINVAL, "read %s: end of input", what);
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        *out = line;
        return 0;
}

static void login_usage(void)
{
        printf("Usage:  berth login [OPTIONS] [SERVER]\n\nLog in to a registry.\nIf no server is specified, the default is "
               "Docker Hub.\n\nOptions:\n"
               "  -p, --password string     Password\n"
               "      --password-stdin      Take the password from stdin\n"
               "  -u, --username string     Username\n" REGISTRY_CLI_HELP);
}

int cmd_login(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"username", required_argument, NULL, 'u'},
                {"password", required_argument, NULL, 'p'},
                {"password-stdin", no_argument, NULL, REGISTRY_OPT_PASSWORD_STDIN},
                REGISTRY_CLI_OPTIONS,
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_free char *saved = NULL, *username = NULL;
        char *password = NULL;
        struct registry_options o;
        struct image_store *store = NULL;
        bool from_stdin = false;
        int c, r;

        registry_cli_init(&o);
        while ((c = getopt_long(argc, argv, "u:p:h", options, NULL)) != -1) {
                if ((r = registry_cli_option(cli, c, optarg, &o)) != 0) {
                        if (r < 0)
                                goto usage_failed;
                        continue;
                }
                switch (c) {
                case 'u': free(username); username = xstrdup(optarg); break;
                case 'p':
                        free_secret(password);
                        password = xstrdup(optarg);
                        /* The argument stays in /proc/PID/cmdline: wipe our copy of argv at least. */
                        explicit_bzero(optarg, strlen(optarg));
                        break;
                case REGISTRY_OPT_PASSWORD_STDIN: from_stdin = true; break;
                case 'h': login_usage(); free_secret(password); return 0;
                default: free_secret(password); return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind > 1) {
                free_secret(password);
                return cli_usage_error(cli, "\"%s login\" requires at most 1 argument.", cli->program);
        }
        if (o.creds != NULL) {
                free_secret(password);
                return cli_usage_error(cli, "--creds: use --username and --password-stdin with login");
        }
        if (from_stdin) {
                if (password != NULL) {
                        free_secret(password);
                        return cli_usage_error(cli, "--password and --password-stdin are mutually exclusive");
                }
                if (username == NULL)
                        return cli_usage_error(cli, "Must provide --username with --password-stdin");
                if (read_password_stdin(&password, &err) < 0)
                        return cli_fail(cli, &err);
        } else if (password != NULL) {
                fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
        }
        if ((username == NULL || password == NULL) && !isatty(STDIN_FILENO)) {
                free_secret(password);
                berth_failf(&err, EINVAL, "Cannot perform an interactive login from a non TTY device");
                return cli_fail(cli, &err);
        }
        if (username == NULL && prompt("Username", false, &username, &err) < 0)
                goto failed;
        if (password == NULL && prompt("Password", true, &password, &err) < 0)
                goto failed;
        /* registries.conf under the store root says which registries are insecure. */
        if (cli_open_store(cli, STORE_LOCK_NONE, &store, &err) < 0)
                goto failed;
        o.store_root = store->root;
        o.cancel = registry_cli_catch_signals();
        r = registry_login(optind < argc ? argv[optind] : NULL, username, password, &o, &saved, &err);
        store_close(store);
        free_secret(password);
        password = NULL;
        if (r == -ECANCELED && registry_cli_caught_signal())
                registry_cli_exit_signal();
        if (r < 0)
                return cli_fail(cli, &err);
        fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n", saved);
        printf("Login Succeeded\n");
        return 0;
failed:
        free_secret(password);
        return cli_fail(cli, &err);
usage_failed:
        free_secret(password);
        return CLI_EXIT_ERROR;
}

int cmd_logout(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"authfile", required_argument, NULL, REGISTRY_OPT_AUTHFILE},
                {"all", no_argument, NULL, 'a'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_free char *domain = NULL;
        struct registry_options o;
        bool all = false, found = false;
        int c;

        registry_cli_init(&o);
        while ((c = getopt_long(argc, argv, "ah", options, NULL)) != -1) {
                switch (c) {
                case REGISTRY_OPT_AUTHFILE: o.authfile = optarg; break;
                case 'a': all = true; break;
                case 'h':
                        printf("Usage:  berth logout [OPTIONS] [SERVER]\n\nLog out from a registry.\nIf no server is "
                               "specified, the default is Docker Hub.\n\nOptions:\n"
                               "  -a, --all                 Remove the credentials of every registry\n"
                               "      --authfile string     Path of the authentication file\n");
                        return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error(cli, "\"%s logout\" requires at most 1 argument.", cli->program);
        if (registry_logout(optind < argc ? argv[optind] : NULL, all, &o, &found, &domain, &err) < 0)
                return cli_fail(cli, &err);
        if (all)
                printf("Removed login credentials for all registries\n");
        else if (found)
                printf("Removing login credentials for %s\n", strcmp(domain, "docker.io") == 0 ? "https://index.docker.io/v1/" : domain);
        else
                printf("Not logged in to %s\n", strcmp(domain, "docker.io") == 0 ? "https://index.docker.io/v1/" : domain);
        return 0;
}
