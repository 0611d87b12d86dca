/* berth-procview: the container's view of /proc and /sys (docs/proc.md). Started by the engine for each
 * container it starts with the view on, after the engine mounted FUSE on ROOT/containers/ID/procview:
 *
 *   berth-procview --fd N [--seccomp-fd M] DIR
 *                                      serve the FUSE connection on fd N, mounted on DIR, until unmounted;
 *                                      accept seccomp listeners on M and answer their sysinfo(2) calls
 *   berth-procview --render FILE PID   print FILE (meminfo, cpuinfo, ...) as PID's container would see it
 *
 * Environment (tests): BERTH_PROCVIEW_TEST_DELAY_MS=N delays every open by N ms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "engine/procview/procview.h"
#include "lib/util.h"

static int render(const char *name, const char *pid_text)
{
        struct procview_mounts m;
        struct procview_context ctx = {0};
        berth_error err = {0};
        char *out = NULL;
        size_t len = 0;
        int pid = 0;

        for (int i = 0; i < PROCVIEW_NFILES; i++) {
                if (strcmp(name, procview_file_names[i]) != 0)
                        continue;
                if (parse_int(pid_text, &pid) < 0 || pid <= 0) {
                        fprintf(stderr, "berth-procview: invalid pid: %s\n", pid_text);
                        return 2;
                }
                if (procview_mounts_read(&m, &err) < 0 || procview_render(i, &m, &ctx, pid, &out, &len, &err) < 0) {
                        fprintf(stderr, "berth-procview: %s\n", berth_error_message(&err));
                        berth_error_clear(&err);
                        return 1;
                }
                fwrite(out, 1, len, stdout);
                free(out);
                return 0;
        }
        fprintf(stderr, "berth-procview: no such file: %s\n", name);
        return 2;
}

/* Closes every fd from 3 up but a and b (b may be -1). */
static void keep_only(int a, int b)
{
        int lo = b >= 0 && b < a ? b : a, hi = b >= 0 && b > a ? b : a;
        unsigned next = 3;

        if (lo >= 3 && (unsigned) lo > next)
                close_range(next, (unsigned) lo - 1, 0);
        next = (unsigned) lo + 1;
        if (hi != lo && (unsigned) hi > next)
                close_range(next, (unsigned) hi - 1, 0);
        close_range((unsigned) hi + 1, ~0U, 0);
}

int main(int argc, char **argv)
{
        struct procview_options o = {.fuse_fd = -1};
        const char *delay = getenv("BERTH_PROCVIEW_TEST_DELAY_MS");
        berth_error err = {0};
        struct timespec ts;

        if (argc == 4 && strcmp(argv[1], "--render") == 0)
                return render(argv[2], argv[3]);
        o.seccomp_fd = -1;
        if (argc == 6 && strcmp(argv[3], "--seccomp-fd") == 0 && parse_int(argv[4], &o.seccomp_fd) == 0) {
                argv[3] = argv[5];
                argc = 4;
        }
        if (argc != 4 || strcmp(argv[1], "--fd") != 0 || parse_int(argv[2], &o.fuse_fd) < 0) {
                fprintf(stderr, "usage: berth-procview --fd N [--seccomp-fd M] DIR | --render FILE PID\n");
                return 2;
        }
        o.dir = argv[3];
        /* Nothing of the engine's but the FUSE fd and stdio. */
        if (o.fuse_fd < 3) {
                fprintf(stderr, "berth-procview: the FUSE fd must not be stdio\n");
                return 2;
        }
        keep_only(o.fuse_fd, o.seccomp_fd);
        clock_gettime(CLOCK_BOOTTIME, &ts);
        o.started = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
        if (delay != NULL)
                o.delay_ms = (unsigned) atoi(delay);
        o.shared = mmap(NULL, sizeof(*o.shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (o.shared == MAP_FAILED) {
                fprintf(stderr, "berth-procview: mmap %zu bytes: %s\n", sizeof(*o.shared), strerror(errno));
                return 1;
        }
        prctl(PR_SET_NAME, "procview-sup", 0, 0, 0);
        if (procview_supervise(&o, &err) < 0) {
                fprintf(stderr, "berth-procview: %s\n", berth_error_message(&err));
                berth_error_clear(&err);
                return 1;
        }
        return 0;
}
