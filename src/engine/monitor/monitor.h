/* The monitor's loop (monitor.c), shared by its two hosts:
 *   - berth-monitor (main.c), the static binary berth-launch execs for a detached container: nothing of the
 *     runtime library in its address space, so its RSS stays what one more container costs;
 *   - berth-launch itself, for a container a client attaches to from its first byte (run in the
 *     foreground, start -a): one execve less on the path of `berth run --rm` (a process start costs
 *     ~0.5 ms here, most of it glibc probing the CPU), paid for with the launcher's pages in its RSS for as
 *     long as the client's container runs.
 * Not re-entrant: one monitor per process, and it never returns to a caller that expects to go on (it
 * returns the exit status for main, or execs the exit command). */
#pragma once

/* In berth-launch's arguments, the monitor "path" that means: this process. */
#define MONITOR_IN_PROCESS "-"

/* argv[0] is the monitor's name, then KEY=VALUE... -- EXIT COMMAND... (monitor.c). */
int monitor_main(int argc, char **argv);
