/* `berth --help` and `berth GROUP --help`, grouped as docker groups them: the management commands (container,
 * image, system, volume: each a word that starts two-word commands), then the one-word commands, each once
 * (aliases such as "image list" and "image remove" are not listed again), alphabetical. */
#include "cli/berth/help.h"

#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

static const struct {
        const char *word, *summary;
} GROUPS[] = {
        {"container", "Manage containers"},
        {"image", "Manage images"},
        {"system", "Manage berth"},
        {"volume", "Manage volumes"},
};

bool cli_help_is_group(const char *word)
{
        for (size_t i = 0; i < ARRAY_SIZE(GROUPS); i++)
                if (strcmp(GROUPS[i].word, word) == 0)
                        return true;
        return false;
}

struct shown {
        const char *name; /* within the group */
        const struct berth_command *cmd;
};

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct shown *) a)->name, ((const struct shown *) b)->name);
}

/* The commands of a group (group NULL: the one-word commands), each once, sorted. */
static void print_commands(FILE *f, const struct berth_command *const *cmds, size_t n, const char *group)
{
        cleanup_free struct shown *list = xzalloc((n + 1) * sizeof(*list));
        size_t k = 0, glen = group ? strlen(group) : 0;

        for (size_t i = 0; i < n; i++) {
                const struct berth_command *c = cmds[i];
                const char *name;
                bool alias = false;
                if (group == NULL && strchr(c->name, ' ') == NULL)
                        name = c->name;
                else if (group != NULL && strncmp(c->name, group, glen) == 0 && c->name[glen] == ' ')
                        name = c->name + glen + 1;
                else
                        continue;
                if (strncmp(c->summary, "(internal)", 10) == 0)
                        continue;
                /* An alias: the same command with the same summary, already listed under its first name. */
                for (size_t j = 0; j < k && !alias; j++)
                        alias = list[j].cmd->run == c->run && strcmp(list[j].cmd->summary, c->summary) == 0;
                if (!alias)
                        list[k++] = (struct shown){.name = name, .cmd = c};
        }
        qsort(list, k, sizeof(*list), by_name);
        for (size_t i = 0; i < k; i++)
                fprintf(f, "  %-11s %s\n", list[i].name, list[i].cmd->summary);
}

void cli_print_help(FILE *f, const struct berth_command *const *cmds, size_t n, const char *options_text)
{
        fprintf(f, "Usage:  berth [OPTIONS] COMMAND\n\n"
                   "A container engine with docker's command line, without a daemon\n\n"
                   "Options:\n%s\nManagement Commands:\n",
                options_text);
        for (size_t i = 0; i < ARRAY_SIZE(GROUPS); i++)
                fprintf(f, "  %-11s %s\n", GROUPS[i].word, GROUPS[i].summary);
        fprintf(f, "\nCommands:\n");
        print_commands(f, cmds, n, NULL);
        fprintf(f, "\nRun 'berth COMMAND --help' for more information on a command.\n");
}

void cli_print_group_help(FILE *f, const struct berth_command *const *cmds, size_t n, const char *group)
{
        const char *summary = "";

        for (size_t i = 0; i < ARRAY_SIZE(GROUPS); i++)
                if (strcmp(GROUPS[i].word, group) == 0)
                        summary = GROUPS[i].summary;
        fprintf(f, "Usage:  berth %s COMMAND\n\n%s\n\nCommands:\n", group, summary);
        print_commands(f, cmds, n, group);
        fprintf(f, "\nRun 'berth %s COMMAND --help' for more information on a command.\n", group);
}
