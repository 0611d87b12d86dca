#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/runtime/commands.h"
#include "lib/json.h"
#include "runtime/spec_default.h"
#include "lib/util.h"

int cmd_spec(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"rootless", no_argument, NULL, 'r'},
                {NULL, 0, NULL, 0},
        };
        cleanup_free char *path = NULL, *text = NULL;
        const char *bundle = ".";
        bool rootless = false;
        berth_error err = {0};
        json_t *spec;
        int opt, fd;

        while ((opt = getopt_long(argc, argv, "+b:", options, NULL)) != -1) {
                if (opt == 'b')
                        bundle = optarg;
                else if (opt == 'r')
                        rootless = true;
                else
                        return 1;
        }
        spec = spec_default(rootless);
        text = json_dumps(spec, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
        json_decref(spec);
        path = xasprintf("%s/config.json", bundle);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                if (errno == EEXIST)
                        return cli_usage_error(ctx, "spec: %s exists: remove it first", path);
                berth_fail(&err, errno, "spec: create %s", path);
                return cli_fail(ctx, &err);
        }
        if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0) {
                berth_fail(&err, errno, "spec: write %s", path);
                close(fd);
                return cli_fail(ctx, &err);
        }
        close(fd);
        return 0;
}
