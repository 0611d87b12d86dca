/* `events`: runc's event stream, one JSON object per line. `--stats` prints one
 * {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio,hugetlb}} and exits; without it, a stats event comes
 * every --interval (default 5s) and {"type":"oom","id":ID} whenever the kernel OOM-killed a process of the
 * container, until the container's init exits. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/runtime/cgroup_flags.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "cli/runtime/commands.h"
#include "lib/json.h"
#include "lib/util.h"

static void print_event(const char *type, const char *id, json_t *data)
{
        json_t *event = json_object();
        char *text;

        json_object_set_new(event, "type", json_string(type));
        json_object_set_new(event, "id", json_string(id));
        if (data != NULL)
                json_object_set(event, "data", data);
        text = json_to_string(event);
        /* Line by line, flushed: a reader (containerd's shim, a test) acts on each event as it comes. */
        printf("%s\n", text);
        fflush(stdout);
        free(text);
        json_decref(event);
}

static int print_stats(struct container *c, berth_error *err)
{
        cleanup_json json_t *data = NULL;
        int r = container_stats(c, &data, err);

        if (r < 0)
                return r;
        /* runc's shape: intel_rdt and network_interfaces are there, empty. */
        json_object_set_new(data, "intel_rdt", json_object());
        json_object_set_new(data, "network_interfaces", json_null());
        print_event("stats", c->id, data);
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void report_oom(struct container *c, uint64_t *kills)
{
        if (container_oom_count(c, kills, NULL) > 0)
                print_event("oom", c->id, NULL);
}

static int stream_events(struct container *c, uint64_t interval_ms, berth_error *err)
{
        cleanup_close int pidfd = (int) syscall(SYS_pidfd_open, c->pid, 0);
        int oom_fd = container_oom_fd(c, NULL); /* no memory cgroup: stats only */
        uint64_t kills = 0, next = now_ms() + interval_ms;
        int r;

        if (pidfd < 0)
                return berth_fail(err, errno, "watch the init process %d of container %s", (int) c->pid, c->id);
        /* A process that exited and was replaced under the same pid is not our container any more. */
        if (!container_init_alive(c))
                return 0;
        if (oom_fd >= 0)
                container_oom_count(c, &kills, NULL); /* the baseline: report only new kills */
        for (;;) {
                struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = oom_fd, .events = POLLIN}};
                uint64_t now = now_ms();
                int timeout = now >= next ? 0 : (int) (next - now);

                r = poll(fds, oom_fd >= 0 ? 2 : 1, timeout);
                if (r < 0 && errno != EINTR)
                        return berth_fail(err, errno, "poll");
                if (oom_fd >= 0 && (fds[1].revents & POLLIN))
                        report_oom(c, &kills);
                if (fds[0].revents & (POLLIN | POLLHUP)) {
                        /* The init is gone: an OOM kill that took it down is reported before leaving. */
                        if (oom_fd >= 0)
                                report_oom(c, &kills);
                        return 0;
                }
                if (now_ms() >= next) {
                        /* The init may exit between poll and the reading (the stats then refuse a stopped
                         * container): that is the stream's end, not a failure. */
                        if ((r = print_stats(c, err)) < 0) {
                                if (container_init_alive(c))
                                        return r;
                                berth_error_clear(err);
                                if (oom_fd >= 0)
                                        report_oom(c, &kills);
                                return 0;
                        }
                        next += interval_ms;
                        if (next < now_ms())
                                next = now_ms() + interval_ms;
                }
        }
}

int cmd_events(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"interval", required_argument, NULL, 'i'},
                {"stats", no_argument, NULL, 's'},
                {NULL, 0, NULL, 0},
        };
        cleanup_container struct container *c = NULL;
        enum container_status status;
        uint64_t interval_ms = 5000;
        bool stats_once = false;
        cleanup_error berth_error err = {0};
        int opt;

        while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
                if (opt == 'i') {
                        if (cgroup_flags_parse_duration_ms(optarg, &interval_ms) < 0)
                                return cli_usage_error(ctx, "events: --interval: \"%s\" is not a duration (like 5s)",
                                                       optarg);
                } else if (opt == 's') {
                        stats_once = true;
                } else {
                        return 1;
                }
        }
        if (argc - optind != 1)
                return cli_usage_error(ctx, "events: usage: events [--stats] [--interval 5s] CONTAINER_ID");
        if (container_load(ctx, argv[optind], &c, &err) < 0 || container_status(c, &status, &err) < 0)
                return cli_fail(ctx, &err);
        if (status == CONTAINER_STOPPED) {
                berth_failf(&err, EINVAL, "container %s is not running", c->id);
                return cli_fail(ctx, &err);
        }
        if (stats_once ? print_stats(c, &err) < 0 : stream_events(c, interval_ms, &err) < 0)
                return cli_fail(ctx, &err);
        return 0;
}
