/* build (image build): parses docker's flags and calls the builder (src/build/builder.h); prints the
 * steps' progress and, with -q, only the image ID. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build/builder.h"
#include "cli/berth/cmd_container.h"
#include "cli/berth/registry_cli.h"
#include "lib/cleanup.h"
#include "lib/util.h"

enum {
        OPT_BUILD_ARG = 0x2000, OPT_TARGET, OPT_NO_CACHE, OPT_PULL, OPT_PLATFORM, OPT_LABEL, OPT_NETWORK, OPT_IIDFILE,
        OPT_PROGRESS, OPT_SECRET,
};

static void usage(void)
{
        printf("Usage:  berth build [OPTIONS] PATH\n\n"
               "Build an image from a Dockerfile\n\n"
               "Options:\n"
               "      --build-arg list      Set build-time variables\n"
               "  -f, --file string         Name of the Dockerfile (default: \"PATH/Dockerfile\")\n"
               "      --iidfile string      Write the image ID to the file\n"
               "      --label list          Set metadata for an image\n"
               "      --network string      Networking mode for the RUN instructions (default \"default\")\n"
               "      --no-cache            Do not use cache when building the image\n"
               "      --platform string     Platform of the FROM images\n"
               "      --progress string     Type of progress output (auto, plain) (default \"auto\")\n"
               "      --pull                Always attempt to pull a newer version of the image\n"
               "  -q, --quiet               Suppress the build output and print image ID on success\n"
               "  -t, --tag list            Name and optionally a tag in the \"name:tag\" format\n"
               "      --secret stringArray  Secret to expose to the build: id=ID,src=PATH\n"
               "      --target string       Set the target build stage to build\n"
               REGISTRY_CLI_HELP);
}

int cmd_build(struct berth_cli *cli, int argc, char **argv)
{
        static const struct option options[] = {
                {"tag", required_argument, NULL, 't'},       {"file", required_argument, NULL, 'f'},
                {"quiet", no_argument, NULL, 'q'},           {"build-arg", required_argument, NULL, OPT_BUILD_ARG},
                {"target", required_argument, NULL, OPT_TARGET}, {"no-cache", no_argument, NULL, OPT_NO_CACHE},
                {"pull", no_argument, NULL, OPT_PULL},       {"platform", required_argument, NULL, OPT_PLATFORM},
                {"label", required_argument, NULL, OPT_LABEL}, {"network", required_argument, NULL, OPT_NETWORK},
                {"iidfile", required_argument, NULL, OPT_IIDFILE}, {"progress", required_argument, NULL, OPT_PROGRESS},
                {"secret", required_argument, NULL, OPT_SECRET}, {"help", no_argument, NULL, 'h'},
                REGISTRY_CLI_OPTIONS,                        {NULL, 0, NULL, 0},
        };
        cleanup_error berth_error err = {0};
        cleanup_engine struct engine *e = NULL;
        cleanup_strv char **tags = xzalloc(sizeof(char *)), **args = xzalloc(sizeof(char *)),
                          **labels = xzalloc(sizeof(char *)), **secrets = xzalloc(sizeof(char *));
        cleanup_free char *image = NULL;
        struct registry_options ro;
        struct build_options o = {.pull = ENGINE_PULL_MISSING, .progress = stdout};
        const char *iidfile = NULL;
        int c, r, step_exit = 0;

        registry_cli_init(&ro);
        opterr = 0;
        while ((c = getopt_long(argc, argv, "t:f:qh", options, NULL)) != -1) {
                switch (c) {
                case 't': tags = strv_append(tags, optarg); break;
                case 'f': o.dockerfile = optarg; break;
                case 'q': o.progress = NULL; break;
                case OPT_BUILD_ARG: args = strv_append(args, optarg); break;
                case OPT_TARGET: o.target = optarg; break;
                case OPT_NO_CACHE: o.no_cache = true; break;
                case OPT_PULL: o.pull = ENGINE_PULL_ALWAYS; break;
                case OPT_PLATFORM: o.platform = optarg; break;
                case OPT_LABEL: labels = strv_append(labels, optarg); break;
                case OPT_NETWORK:
                        if (strcmp(optarg, "default") != 0 && strcmp(optarg, "none") != 0 && strcmp(optarg, "host") != 0)
                                return cli_usage_error(cli, "--network: %s is not one of default, none, host", optarg);
                        o.network = optarg;
                        break;
                case OPT_IIDFILE: iidfile = optarg; break;
                case OPT_PROGRESS:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "plain") != 0)
                                return cli_usage_error(cli, "--progress: %s is not supported (auto, plain)", optarg);
                        break;
                case OPT_SECRET:
                        if (strstr(optarg, "id=") == NULL || (strstr(optarg, "src=") == NULL && strstr(optarg, "source=") == NULL))
                                return cli_usage_error(cli, "--secret %s: id=ID,src=PATH expected", optarg);
                        secrets = strv_append(secrets, optarg);
                        break;
                case 'h': usage(); return 0;
                default:
                        if ((r = registry_cli_option(cli, c, optarg, &ro)) < 0)
                                return CLI_EXIT_ERROR;
                        if (r == 0)
                                return cli_usage_error(cli, "unknown flag: %s", cli_bad_option(argv, optind));
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(cli, "\"berth build\" requires exactly 1 argument.");
        o.context = argv[optind];
        if (strstr(o.context, "://") != NULL || str_has_prefix(o.context, "git@"))
                return cli_usage_error(cli, "a build context at a URL is not supported yet: give a directory, a tar "
                                            "archive or -");
        o.tags = tags;
        o.build_args = args;
        o.labels = labels;
        o.secrets = secrets;
        o.registry = &ro;
        if (iidfile != NULL && unlink(iidfile) < 0 && errno != ENOENT) {
                berth_fail(&err, errno, "remove %s", iidfile);
                return cli_fail(cli, &err);
        }
        if (cli_engine_open(cli, &e, &err) < 0)
                return cli_fail(cli, &err);
        ro.store_root = e->store->root;
        if (build_run(e, &o, &image, &step_exit, &err) < 0) {
                fprintf(stderr, "ERROR: %s\n", berth_error_message(&err));
                return 1;
        }
        if (iidfile != NULL && write_file_atomic_at(AT_FDCWD, iidfile, image, strlen(image), 0644, false, &err) < 0)
                return cli_fail(cli, &err);
        if (o.progress == NULL)
                printf("%s\n", image);
        return 0;
}
