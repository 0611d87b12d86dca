/* When the monitor probes a container's health (health.h). */
#include "engine/monitor/health.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static long ms_between(const struct timespec *a, const struct timespec *b)
{
        return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void schedule(struct monitor_health *h)
{
        struct timespec now;
        long delay;

        clock_gettime(CLOCK_MONOTONIC, &now);
        /* docker: the start interval while the start period lasts, then the interval. */
        delay = h->start_period_ms > 0 && ms_between(&h->started, &now) < h->start_period_ms ? h->start_interval_ms
                                                                                             : h->interval_ms;
        h->next = now;
        h->next.tv_sec += delay / 1000;
        h->next.tv_nsec += (delay % 1000) * 1000000;
        if (h->next.tv_nsec >= 1000000000) {
                h->next.tv_sec++;
                h->next.tv_nsec -= 1000000000;
        }
}

void monitor_health_init(struct monitor_health *h, const char *spec, char **exit_command)
{
        size_t n = 0;

        *h = (struct monitor_health){0};
        if (spec == NULL || exit_command == NULL ||
            sscanf(spec, "%ld:%ld:%ld", &h->interval_ms, &h->start_period_ms, &h->start_interval_ms) != 3 ||
            h->interval_ms <= 0 || h->start_interval_ms <= 0)
                return;
        for (; exit_command[n] != NULL && n + 1 < MONITOR_HEALTH_ARGV_MAX; n++)
                h->argv[n] = strcmp(exit_command[n], "cleanup") == 0 ? "healthcheck" : exit_command[n];
        h->argv[n] = NULL;
        h->enabled = true;
        clock_gettime(CLOCK_MONOTONIC, &h->started);
        schedule(h);
}

int monitor_health_timeout(const struct monitor_health *h)
{
        struct timespec now;
        long ms;

        if (!h->enabled || h->probe > 0)
                return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = ms_between(&now, &h->next);
        return ms < 0 ? 0 : (int) (ms > 1000000 ? 1000000 : ms);
}

void monitor_health_tick(struct monitor_health *h)
{
        pid_t pid;

        if (monitor_health_timeout(h) != 0)
                return;
        pid = fork();
        if (pid < 0) {
                schedule(h); /* try again at the next interval */
                return;
        }
        if (pid == 0) {
                /* Not the container's stdio (its log), and below the container's own work in the scheduler. */
                int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd >= 0) {
                        dup2(null_fd, STDIN_FILENO);
                        dup2(null_fd, STDOUT_FILENO);
                        dup2(null_fd, STDERR_FILENO);
                }
                setpriority(PRIO_PROCESS, 0, 10);
                execv(h->argv[0], h->argv);
                _exit(127);
        }
        h->probe = pid;
}

bool monitor_health_reaped(struct monitor_health *h, pid_t pid)
{
        if (!h->enabled || pid != h->probe)
                return false;
        h->probe = 0;
        schedule(h);
        return true;
}
