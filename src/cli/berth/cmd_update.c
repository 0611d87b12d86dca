/* berth update [OPTIONS] CONTAINER...: docker's update of resource limits and the restart policy
 * (engine/update.h). The flags are read by run's own parser (the same syntax and messages), and only the
 * HostConfig keys they set are passed on. Prints each container updated; a failure is a line, exit 1. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "cli/berth/cmd_container.h"
#include "engine/update.h"
#include "lib/util.h"

static const struct {
        const char *flag; /* long name */
        char shortopt;
        const char *key;  /* the HostConfig key it sets */
} FLAGS[] = {
        {"memory", 'm', "Memory"},          {"memory-swap", 0, "MemorySwap"}, {"memory-reservation", 0, "MemoryReservation"},
        {"cpus", 0, "NanoCpus"},            {"cpu-shares", 'c', "CpuShares"}, {"cpu-period", 0, "CpuPeriod"},
        {"cpu-quota", 0, "CpuQuota"},       {"cpuset-cpus", 0, "CpusetCpus"}, {"pids-limit", 0, "PidsLimit"},
        {"cpuset-mems", 0, "CpusetMems"},   {"blkio-weight", 0, "BlkioWeight"}, {"restart", 0, "RestartPolicy"},
};
#define N_FLAGS (sizeof(FLAGS) / sizeof(FLAGS[0]))

int cmd_update(struct berth_cli *cli, int argc, char **argv)
{
        struct option options[N_FLAGS + 2];
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **run_argv = strv_append(xzalloc(sizeof(char *)), "update");
        bool given[N_FLAGS] = {false};
        struct run_flags f;
        json_t *changes;
        int ch, r, status = 0;

        for (size_t i = 0; i < N_FLAGS; i++)
                options[i] = (struct option){FLAGS[i].flag, required_argument, NULL, (int) (256 + i)};
        options[N_FLAGS] = (struct option){"help", no_argument, NULL, 'H'};
        options[N_FLAGS + 1] = (struct option){NULL, 0, NULL, 0};
        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+m:c:", options, NULL)) != -1) {
                size_t i = N_FLAGS;
                if (ch == 'H') {
                        printf("Usage:  berth update [OPTIONS] CONTAINER [CONTAINER...]\n\nUpdate configuration of one or more "
                               "containers\n\n  -m --memory --memory-swap --memory-reservation --cpus -c --cpu-shares "
                               "--cpu-period --cpu-quota\n  --cpuset-cpus --cpuset-mems --blkio-weight --pids-limit --restart\n");
                        return 0;
                }
                if (ch == 'm' || ch == 'c') {
                        for (i = 0; i < N_FLAGS && FLAGS[i].shortopt != ch; i++)
                                ;
                } else if (ch >= 256 && ch < 256 + (int) N_FLAGS) {
                        i = (size_t) (ch - 256);
                }
                if (i == N_FLAGS)
                        return cli_flag_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                given[i] = true;
                cleanup_free char *arg = xasprintf("--%s=%s", FLAGS[i].flag, optarg);
                run_argv = strv_append(run_argv, arg);
        }
        if (optind >= argc)
                return cli_flag_error(cli, "\"berth update\" requires at least 1 argument.");
        {
                bool any = false;
                for (size_t i = 0; i < N_FLAGS; i++)
                        any |= given[i];
                if (!any)
                        return cli_flag_error(cli, "you must provide one or more flags when using this command");
        }
        /* run's parser: the same syntax checks and messages; the image argument is a placeholder. */
        run_argv = strv_append(run_argv, "-");
        {
                int saved = optind;
                optind = 0;
                r = run_flags_parse(cli, (int) strv_length(run_argv), run_argv, false, &f);
                optind = saved;
        }
        if (r != 0) {
                run_flags_clear(&f);
                return r == 1 ? 0 : r;
        }
        changes = json_object();
        for (size_t i = 0; i < N_FLAGS; i++)
                if (given[i] && json_object_get(f.host_config, FLAGS[i].key) != NULL)
                        json_object_set(changes, FLAGS[i].key, json_object_get(f.host_config, FLAGS[i].key));
        run_flags_clear(&f);
        if (cli_engine_open(cli, &e, &err) < 0) {
                json_decref(changes);
                return cli_fail(cli, &err);
        }
        for (int i = optind; i < argc; i++) {
                berth_error one = {0};
                if (engine_container_update(e, argv[i], changes, &one) < 0) {
                        fprintf(stderr, "Error response from daemon: %s\n", berth_error_message(&one));
                        status = 1;
                } else {
                        printf("%s\n", argv[i]);
                }
                berth_error_clear(&one);
        }
        json_decref(changes);
        return status;
}
