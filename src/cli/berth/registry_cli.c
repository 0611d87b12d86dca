/* Shared pieces of the registry commands (registry_cli.h). */
#include "cli/berth/registry_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* The only global state of the registry commands: the signal that interrupted them (src/cli may hold some). */
static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
        caught_signal = sig;
}

void registry_cli_init(struct registry_options *o)
{
        const char *chunk = getenv("BERTH_PUSH_CHUNK_SIZE");
        uint64_t v;

        memset(o, 0, sizeof(*o));
        o->tls_verify = -1;
        /* Push chunk size (bytes): blobs larger than this are uploaded in PATCH chunks of this size. */
        if (chunk != NULL && parse_u64(chunk, &v) == 0 && v > 0)
                o->chunk_size = v;
}

static int parse_bool(const char *s, bool *out)
{
        if (s == NULL || strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "t") == 0 || strcmp(s, "TRUE") == 0 ||
            strcmp(s, "True") == 0) {
                *out = true;
                return 0;
        }
        if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "f") == 0 || strcmp(s, "FALSE") == 0 ||
            strcmp(s, "False") == 0) {
                *out = false;
                return 0;
        }
        return -EINVAL;
}

int registry_cli_option(struct berth_cli *cli, int c, const char *arg, struct registry_options *o)
{
        bool b;

        switch (c) {
        case REGISTRY_OPT_AUTHFILE: o->authfile = arg; return 1;
        case REGISTRY_OPT_CERT_DIR: o->cert_dir = arg; return 1;
        case REGISTRY_OPT_CREDS: o->creds = arg; return 1;
        case REGISTRY_OPT_TLS_VERIFY:
                if (parse_bool(arg, &b) < 0) {
                        cli_usage_error(cli, "invalid argument \"%s\" for \"--tls-verify\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
                                        arg, arg);
                        return -EINVAL;
                }
                o->tls_verify = b ? 1 : 0;
                return 1;
        default:
                return 0;
        }
}

const volatile sig_atomic_t *registry_cli_catch_signals(void)
{
        struct sigaction sa = {.sa_handler = on_signal};

        /* SA_RESTART: file work in progress (an unpack) is not disturbed; the network loop polls the flag. */
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        return &caught_signal;
}

int registry_cli_caught_signal(void)
{
        return caught_signal;
}

void registry_cli_exit_signal(void)
{
        int sig = caught_signal ? caught_signal : SIGINT;

        fflush(stdout);
        signal(sig, SIG_DFL);
        raise(sig);
        _exit(128 + sig);
}

struct progress_display *registry_cli_progress(struct registry_options *o, bool quiet)
{
        struct progress_display *d;

        if (quiet)
                return NULL;
        d = progress_display_new(stdout, isatty(STDOUT_FILENO));
        o->event = progress_display_event;
        o->event_data = d;
        return d;
}
