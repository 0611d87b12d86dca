/* One-line flag errors of the container commands (cmd_container.h), apart so that the flag parsers
 * (cmd_run_flags.c) build into the unit tests without the commands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/berth/cmd_container.h"

int cli_flag_error(struct berth_cli *cli, const char *fmt, ...)
{
        va_list ap;

        (void) cli;
        fputs("Error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return CLI_EXIT_ERROR;
}

const char *cli_bad_option(char **argv, int optind_now)
{
        const char *a = argv[optind_now - 1];
        static char buf[256];

        if (a == NULL)
                return "";
        snprintf(buf, sizeof(buf), "%.*s", (int) strcspn(a, "="), a);
        return buf;
}
