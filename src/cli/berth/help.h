/* berth's help text, grouped as docker's (help.c). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "cli/berth/cli.h"

/* Is word a management command ("container", "image", "system", "volume")? */
bool cli_help_is_group(const char *word);
/* `berth --help`: usage, the global options (options_text), management commands, commands. */
void cli_print_help(FILE *f, const struct berth_command *const *cmds, size_t n, const char *options_text);
/* `berth GROUP --help`: the group's subcommands. */
void cli_print_group_help(FILE *f, const struct berth_command *const *cmds, size_t n, const char *group);
