/* A small driver of src/runtime/cgroup*.c without the rest of the runtime (built, not installed):
 *
 *   cgroup-driver bench N BUNDLE ID   create + enter + destroy N times with BUNDLE/config.json's
 *                                     linux.resources/cgroupsPath/devices; prints the mean time of each step
 *   cgroup-driver run BUNDLE ID -- CMD...
 *                                     creates the cgroup, forks CMD into it (no namespaces, no rootfs), waits,
 *                                     prints the exit status, destroys the cgroup
 *
 * Used to measure the cgroup part of create/delete and to exercise the manager where the runtime is not
 * wanted (a cgroup v2 VM check of the library alone). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "runtime/spec.h"
#include "lib/util.h"

static double now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int die(berth_error *err)
{
        fprintf(stderr, "cgroup-driver: %s\n", berth_error_message(err));
        return 1;
}

/* A child that waits on a pipe until released, then execs argv (or exits 0 when argv is NULL). */
static pid_t fork_waiting(char **argv, int *release_fd)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                char c;
                close(p[1]);
                if (read(p[0], &c, 1) != 1)
                        _exit(0);
                if (argv == NULL)
                        _exit(0);
                execvp(argv[0], argv);
                _exit(127);
        }
        close(p[0]);
        *release_fd = p[1];
        return pid;
}

static int load(const char *bundle, const char *id, struct runtime_spec **spec, struct cgroup_resources **res,
                struct cgroup_config *config, berth_error *err)
{
        int r;

        if ((r = spec_load(bundle, spec, err)) < 0 ||
            (r = cgroup_resources_parse((*spec)->linux_section.resources, res, err)) < 0)
                return r;
        *config = (struct cgroup_config){
                .id = id,
                .cgroups_path = (*spec)->linux_section.cgroups_path,
                .resources = *res,
                .devices = (*spec)->linux_section.devices,
                .n_devices = (*spec)->linux_section.n_devices,
                .rootless = geteuid() != 0,
        };
        return 0;
}

static int bench(int n, const char *bundle, const char *id)
{
        cleanup_spec struct runtime_spec *spec = NULL;
        struct cgroup_resources *res = NULL;
        struct cgroup_config config;
        berth_error err = {0};
        double t_create = 0, t_enter = 0, t_destroy = 0;

        if (load(bundle, id, &spec, &res, &config, &err) < 0)
                return die(&err);
        for (int i = 0; i < n; i++) {
                struct cgroup_manager *m = NULL;
                int release = -1, status;
                double t0 = now_us();
                if (cgroup_manager_create(&config, &m, &err) < 0)
                        return die(&err);
                double t1 = now_us();
                pid_t pid = fork_waiting(NULL, &release);
                double t2 = now_us();
                if (cgroup_manager_enter(m, pid, &err) < 0)
                        return die(&err);
                double t3 = now_us();
                close(release);
                waitpid(pid, &status, 0);
                double t4 = now_us();
                if (cgroup_manager_destroy(m, &err) < 0)
                        return die(&err);
                double t5 = now_us();
                cgroup_manager_free(m);
                t_create += t1 - t0;
                t_enter += t3 - t2;
                t_destroy += t5 - t4;
        }
        printf("layout %s, %d rounds: create %.0f us, enter %.0f us, destroy %.0f us (means)\n",
               cgroup_host_layout_name(), n, t_create / n, t_enter / n, t_destroy / n);
        cgroup_resources_free(res);
        return 0;
}

static int run(const char *bundle, const char *id, char **argv)
{
        cleanup_spec struct runtime_spec *spec = NULL;
        struct cgroup_resources *res = NULL;
        struct cgroup_manager *m = NULL;
        struct cgroup_config config;
        berth_error err = {0};
        int release = -1, status = 0;
        pid_t pid;

        if (load(bundle, id, &spec, &res, &config, &err) < 0 || cgroup_manager_create(&config, &m, &err) < 0)
                return die(&err);
        pid = fork_waiting(argv, &release);
        if (pid < 0 || cgroup_manager_enter(m, pid, &err) < 0) {
                if (pid > 0)
                        kill(pid, SIGKILL);
                cgroup_manager_destroy(m, NULL);
                return die(&err);
        }
        if (write(release, "x", 1) != 1)
                perror("release");
        close(release);
        waitpid(pid, &status, 0);
        printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (cgroup_manager_destroy(m, &err) < 0)
                return die(&err);
        cgroup_manager_free(m);
        cgroup_resources_free(res);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 5 && strcmp(argv[1], "bench") == 0)
                return bench(atoi(argv[2]), argv[3], argv[4]);
        if (argc >= 6 && strcmp(argv[1], "run") == 0 && strcmp(argv[4], "--") == 0)
                return run(argv[2], argv[3], argv + 5);
        fprintf(stderr, "usage: cgroup-driver bench N BUNDLE ID | run BUNDLE ID -- CMD...\n");
        return 2;
}
