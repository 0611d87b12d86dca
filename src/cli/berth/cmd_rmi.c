/* berth rmi [-f] IMAGE... and berth image prune [-a] [-f]. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/berth/cli.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "engine/images.h"

static void print_report(const struct removal_report *rep, const char *deleted_prefix)
{
        for (char **u = rep->untagged; u && *u; u++)
                printf("%s: %s\n", deleted_prefix[0] == 'D' ? "Untagged" : "untagged", *u);
        for (char **d = rep->deleted; d && *d; d++)
                printf("%s: %s\n", deleted_prefix, *d);
}

int cmd_rmi(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"no-prune", no_argument, NULL, 'n'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        bool force = false;
        int c, status = 0;

        while ((c = getopt_long(argc, argv, "fh", options, NULL)) != -1) {
                switch (c) {
                case 'f': force = true; break;
                case 'n': break;
                case 'h': printf("Usage:  berth rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
                                 "  -f, --force      Force removal of the image\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error(cli, "\"%s rmi\" requires at least 1 argument.", cli->program);
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                struct removal_report rep = {0};
                berth_error one = {0};
                if (engine_image_remove(e, argv[i], force, &rep, &one) < 0) {
                        fprintf(stderr, "Error: %s\n", berth_error_message(&one));
                        status = CLI_EXIT_ERROR;
                }
                print_report(&rep, "Deleted");
                removal_report_clear(&rep);
                berth_error_clear(&one);
        }
        return status;
}

int cmd_image_prune(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'},
                {"force", no_argument, NULL, 'f'},
                CLI_HELP_OPTION,
                {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        struct removal_report rep = {0};
        bool all = false, force = false;
        char size[32];
        int c;

        while ((c = getopt_long(argc, argv, "afh", options, NULL)) != -1) {
                switch (c) {
                case 'a': all = true; break;
                case 'f': force = true; break;
                case 'h': printf("Usage:  berth image prune [OPTIONS]\n\n"
                                 "  -a, --all     Remove all unused images, not just dangling ones\n"
                                 "  -f, --force   Do not prompt for confirmation\n");
                          return 0;
                default: return cli_usage_error(cli, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(cli, "\"%s image prune\" accepts no arguments.", cli->program);
        if (!force) {
                char answer[16] = "";
                printf("WARNING! This will remove all%s images%s.\nAre you sure you want to continue? [y/N] ",
                       all ? "" : " dangling", all ? " without at least one container associated to them" : "");
                fflush(stdout);
                if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
                        return 0;
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_image_prune(e, all, &rep, &err) < 0) {
                removal_report_clear(&rep);
                return cli_fail(cli, &err);
        }
        if ((rep.untagged && rep.untagged[0]) || (rep.deleted && rep.deleted[0])) {
                printf("Deleted Images:\n");
                print_report(&rep, "deleted");
                printf("\n");
        }
        format_human_size((double) rep.reclaimed, size, sizeof(size));
        printf("Total reclaimed space: %s\n", size);
        removal_report_clear(&rep);
        return 0;
}
