/* berth-procview: the containers' view of /proc and /sys (docs/proc.md). Started by the engine once per store,
 * by the first container started with the view on, after the engine mounted FUSE on ROOT/procview:
 *
 *   berth-procview --fd N [--seccomp-fd M] [--lock-fd L] DIR
 *                                      serve the FUSE connection on fd N, mounted on DIR, until unmounted;
 *                                      accept seccomp listeners on M and answer their sysinfo(2) calls;
 *                                      keep fd L open (its lock says that the server runs)
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

/* Closes every fd from 3 up but those of keep[] (-1: none). */
static void keep_only(const int *keep, int n)
{
        unsigned next = 3;

        for (;;) {
                int lo = -1;
                for (int i = 0; i < n; i++)
                        if (keep[i] >= (int) next && (lo < 0 || keep[i] < lo))
                                lo = keep[i];
                if (lo < 0)
                        break;
                if ((unsigned) lo > next)
                        close_range(next, (unsigned) lo - 1, 0);
                next = (unsigned) lo + 1;
        }
        close_range(next, ~0U, 0);
}

static bool fd_option(int *argc, char **argv, const char *name, int *out)
{
        if (*argc >= 3 && strcmp(argv[1], name) == 0 && parse_int(argv[2], out) == 0) {
                memmove(&argv[1], &argv[3], sizeof(char *) * (size_t) (*argc - 2));
                *argc -= 2;
                return true;
        }
        return false;
}

int main(int argc, char **argv)
{
        struct procview_options o = {.fuse_fd = -1};
        const char *delay = getenv("BERTH_PROCVIEW_TEST_DELAY_MS");
        berth_error err = {0};
        static struct procview_listeners listeners;
        int lock_fd = -1;

        if (argc == 4 && strcmp(argv[1], "--render") == 0)
                return render(argv[2], argv[3]);
        o.seccomp_fd = -1;
        while (fd_option(&argc, argv, "--fd", &o.fuse_fd) || fd_option(&argc, argv, "--seccomp-fd", &o.seccomp_fd) ||
               fd_option(&argc, argv, "--lock-fd", &lock_fd))
                ;
        if (argc != 2 || o.fuse_fd < 0) {
                fprintf(stderr, "usage: berth-procview --fd N [--seccomp-fd M] [--lock-fd L] DIR | --render FILE PID\n");
                return 2;
        }
        o.dir = argv[1];
        /* Nothing of the engine's but the FUSE fd and stdio. */
        if (o.fuse_fd < 3) {
                fprintf(stderr, "berth-procview: the FUSE fd must not be stdio\n");
                return 2;
        }
        {
                int keep[] = {o.fuse_fd, o.seccomp_fd, lock_fd};
                keep_only(keep, 3);
        }
        if (delay != NULL)
                o.delay_ms = (unsigned) atoi(delay);
        o.shared = mmap(NULL, sizeof(*o.shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (o.shared == MAP_FAILED) {
                fprintf(stderr, "berth-procview: mmap %zu bytes: %s\n", sizeof(*o.shared), strerror(errno));
                return 1;
        }
        prctl(PR_SET_NAME, "procview-sup", 0, 0, 0);
        for (int i = 0; i < PROCVIEW_MAX_LISTENERS; i++)
                listeners.fd[i] = -1;
        if (procview_supervise(&o, &listeners, -1, &err) == 0)
                return 0;
        fprintf(stderr, "berth-procview: %s\n", berth_error_message(&err));
        berth_error_clear(&err);
        return 1;
}
