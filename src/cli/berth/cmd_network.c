/* berth network create|ls|inspect|rm|prune: docker's bridge networks (engine/network.h, docs/networking.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/berth/cmd_container.h"
#include "cli/berth/format.h"
#include "engine/network.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

enum { OPT_SUBNET = 1000, OPT_GATEWAY, OPT_IP_RANGE, OPT_INTERNAL, OPT_LABEL, OPT_NO_TRUNC, OPT_HELP, OPT_FORMAT, OPT_FILTER };

static const struct option OPTIONS[] = {
        {"driver", required_argument, NULL, 'd'},  {"subnet", required_argument, NULL, OPT_SUBNET},
        {"gateway", required_argument, NULL, OPT_GATEWAY}, {"ip-range", required_argument, NULL, OPT_IP_RANGE},
        {"internal", no_argument, NULL, OPT_INTERNAL}, {"label", required_argument, NULL, OPT_LABEL},
        {"opt", required_argument, NULL, 'o'},     {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, OPT_NO_TRUNC}, {"format", required_argument, NULL, OPT_FORMAT},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"force", no_argument, NULL, 'F'},         {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

int cmd_network_create(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *labels = json_object();
        cleanup_free char *id = NULL;
        struct engine_network_create_options o = {.labels = labels};
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "d:o:", OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'd': o.driver = optarg; break;
                case OPT_SUBNET:
                        if (o.subnet != NULL)
                                return cli_flag_error(cli, "berth networks have one IPv4 subnet: --subnet given twice");
                        o.subnet = optarg;
                        break;
                case OPT_GATEWAY: o.gateway = optarg; break;
                case OPT_IP_RANGE: o.ip_range = optarg; break;
                case OPT_INTERNAL: o.internal = true; break;
                case OPT_LABEL: {
                        cleanup_free char *k = xstrndup(optarg, strcspn(optarg, "="));
                        json_object_set_new(labels, k, json_string(strchr(optarg, '=') ? strchr(optarg, '=') + 1 : ""));
                        break;
                }
                case 'o':
                        if (str_has_prefix(optarg, "com.docker.network.bridge.name="))
                                o.bridge_name = optarg + strlen("com.docker.network.bridge.name=");
                        else
                                return cli_flag_error(cli, "network option %s is not supported (com.docker.network.bridge.name)",
                                                      optarg);
                        break;
                case OPT_HELP:
                        printf("Usage:  berth network create [--subnet CIDR] [--gateway IP] [--ip-range CIDR] [--internal]\n"
                               "        [--label K=V] [-o com.docker.network.bridge.name=NAME] NETWORK\n");
                        return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (optind + 1 != argc)
                return cli_flag_error(cli, "\"berth network create\" requires exactly 1 argument.");
        o.name = argv[optind];
        if (cli_engine_open(cli, &e, &err) < 0 || engine_network_create(e, &o, &id, &err) < 0)
                return cli_fail(cli, &err);
        printf("%s\n", id);
        return 0;
}

int cmd_network_ls(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *all = NULL;
        cleanup_strv char **filters = NULL;
        bool quiet = false, no_trunc = false;
        const char *format = NULL;
        json_t *v;
        size_t i;
        int c;

        opterr = 0;
        /* docker's network ls: -f is --filter; --format has no short form. */
        while ((c = getopt_long(argc, argv, "qf:", OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'q': quiet = true; break;
                case OPT_NO_TRUNC: no_trunc = true; break;
                case 'f':
                case OPT_FILTER: filters = strv_append(filters, optarg); break;
                case OPT_FORMAT: format = optarg; break;
                case OPT_HELP:
                        printf("Usage:  berth network ls [-q] [--no-trunc] [-f|--filter KEY=VALUE] [--format TEMPLATE]\n");
                        return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (cli_engine_open(cli, &e, &err) < 0 || engine_network_list(e, &all, &err) < 0 ||
            engine_network_filter(all, filters, &err) < 0)
                return cli_fail(cli, &err);
        if (!quiet && format == NULL)
                printf("%-14s %-20s %-10s %s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
        json_array_foreach(all, i, v) {
                const char *id = json_string_value(json_object_get(v, "Id"));
                cleanup_free char *shown = no_trunc ? xstrdup(id) : xstrndup(id, 12);
                if (format != NULL) {
                        cleanup_free char *line = NULL;
                        json_object_set_new(v, "ID", json_string(shown));
                        if (template_render(format, v, &line, &err) < 0)
                                return cli_fail(cli, &err);
                        printf("%s\n", line);
                } else if (quiet) {
                        printf("%s\n", shown);
                } else {
                        printf("%-14s %-20s %-10s %s\n", shown, json_string_value(json_object_get(v, "Name")),
                               json_string_value(json_object_get(v, "Driver")), "local");
                }
        }
        return 0;
}

int cmd_network_inspect(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_json json_t *out = json_array();
        const char *format = NULL;
        int c, status = 0;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "f:", OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'f':
                case OPT_FORMAT: format = optarg; break;
                case OPT_HELP: printf("Usage:  berth network inspect [-f TEMPLATE] NETWORK...\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth network inspect\" requires at least 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                json_t *n = NULL;
                berth_error e2 = {0};
                if (engine_network_inspect(e, argv[i], &n, &e2) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&e2));
                        berth_error_clear(&e2);
                        status = 1;
                        continue;
                }
                if (format != NULL) {
                        cleanup_free char *line = NULL;
                        int r = template_render(format, n, &line, &e2);
                        json_decref(n);
                        if (r < 0) {
                                r = cli_fail(cli, &e2);
                                berth_error_clear(&e2);
                                return r;
                        }
                        printf("%s\n", line);
                } else {
                        json_array_append_new(out, n);
                }
        }
        if (format == NULL) {
                cleanup_free char *t = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                printf("%s\n", t);
        }
        return status;
}

int cmd_network_rm(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        int c, status = 0;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "f", OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'f':
                case 'F': break;
                case OPT_HELP: printf("Usage:  berth network rm NETWORK...\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth network rm\" requires at least 1 argument.");
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        for (int i = optind; i < argc; i++) {
                berth_error e2 = {0};
                if (engine_network_remove(e, argv[i], &e2) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&e2));
                        berth_error_clear(&e2);
                        status = 1;
                        continue;
                }
                printf("%s\n", argv[i]);
        }
        return status;
}

int cmd_network_prune(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **removed = NULL;
        cleanup_strv char **filters = xzalloc(sizeof(char *));
        struct engine_prune_filter f = {0};
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "f", OPTIONS, NULL)) != -1) {
                switch (c) {
                case 'f': break;
                case OPT_FILTER: filters = strv_append(filters, optarg); break;
                case OPT_HELP: printf("Usage:  berth network prune [-f] [--filter until=|label=|label!=]\n"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (engine_prune_filter_parse(filters, true, &f, &err) < 0)
                return cli_fail(cli, &err);
        r = cli_engine_open(cli, &e, &err) < 0 ? -1 : engine_network_prune(e, &f, &removed, &err);
        engine_prune_filter_clear(&f);
        if (r < 0)
                return cli_fail(cli, &err);
        if (removed != NULL) {
                printf("Deleted Networks:\n");
                for (char **n = removed; *n; n++)
                        printf("%s\n", *n);
        }
        return 0;
}

int cmd_network_reload(struct berth_cli *cli, int argc, char **argv)
{
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;

        if (argc > 1 && strcmp(argv[1], "--help") == 0) {
                printf("Usage:  berth network reload\n\nPut berth's nftables table, its networks' elements and the published "
                       "ports back (after nft flush ruleset or a firewall reload).\n");
                return 0;
        }
        if (argc > 1)
                return cli_flag_error(cli, "\"berth network reload\" accepts no arguments.");
        if (cli_engine_open(cli, &e, &err) < 0 || engine_network_reload(e, &err) < 0)
                return cli_fail(cli, &err);
        return 0;
}

/* network connect [--ip IP] NETWORK CONTAINER; network disconnect [-f] NETWORK CONTAINER */
static int connect_or_disconnect(struct berth_cli *cli, int argc, char **argv, bool connect)
{
        static const struct option opts[] = {{"ip", required_argument, NULL, 'i'}, {"force", no_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        const char *ip = NULL;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        if (!connect)
                                return cli_flag_error(cli, "unknown flag: --ip");
                        ip = optarg;
                        break;
                case 'f': break;
                case 'H': printf("Usage:  berth network %s NETWORK CONTAINER\n", connect ? "connect [--ip IP]" : "disconnect"); return 0;
                default: return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (optind + 2 != argc)
                return cli_flag_error(cli, "\"berth network %s\" requires exactly 2 arguments.", connect ? "connect" : "disconnect");
        if (cli_engine_open(cli, &e, &err) < 0 ||
            (connect ? engine_network_connect(e, argv[optind], argv[optind + 1], ip, &err)
                     : engine_network_disconnect(e, argv[optind], argv[optind + 1], &err)) < 0)
                return cli_fail(cli, &err);
        return 0;
}

int cmd_network_connect(struct berth_cli *cli, int argc, char **argv)
{
        return connect_or_disconnect(cli, argc, argv, true);
}

int cmd_network_disconnect(struct berth_cli *cli, int argc, char **argv)
{
        return connect_or_disconnect(cli, argc, argv, false);
}
