/* The container process's attributes outside namespaces, mounts and capabilities: rlimits, oom score,
 * personality, hostname, user and groups, umask, scheduler, I/O priority, CPU affinity, session keyring,
 * LSM exec labels, the executable's lookup, and the environment. Used by the init and by exec. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runtime/spec.h"

int process_set_rlimits(const struct spec_process *p, berth_error *err);
int process_set_oom_score_adj(const struct spec_process *p, berth_error *err);
int process_set_personality(const struct spec_linux *lx, berth_error *err);
int process_set_hostname(const struct runtime_spec *spec, berth_error *err);
int process_set_scheduler(const struct spec_process *p, berth_error *err);
int process_set_io_priority(const struct spec_process *p, berth_error *err);
/* which: "initial" (applied when the process is made) or "final" (right before execve). */
int process_set_cpu_affinity(const struct spec_process *p, const char *which, berth_error *err);
/* A new session keyring named after the container (runc's default; --no-new-keyring skips it). */
int process_join_session_keyring(const char *id, berth_error *err);

/* setgroups (unless forbidden in this user namespace and none are asked), setresgid, setresuid, umask.
 * keep_groups (crun's run.oci.keep_original_groups=1 annotation): no setgroups at all, the process keeps the
 * supplementary groups of the runtime's caller. */
int process_switch_user(const struct spec_process *p, bool setgroups_allowed, bool keep_groups, berth_error *err);
/* Whether the spec asks for keep_groups. */
bool process_keep_original_groups(const struct runtime_spec *spec);

/* AppArmor profile / SELinux label for the next execve; refused clearly when the host lacks the LSM. */
int process_set_exec_labels(const struct spec_process *p, berth_error *err);

/* Looks args[0] up as execve would through $PATH of the process's env (runc's LookPath semantics);
 * errors are runc's: exec: "foo": executable file not found in $PATH. Returns a new string. */
int process_find_executable(const struct spec_process *p, char **out, berth_error *err);

/* Whether the running kernel's setgroups(2) is allowed in our user namespace. */
bool process_setgroups_allowed(void);

/* Marks every fd from `from` upward close-on-exec, except those in keep[] (n_keep entries). */
int process_cloexec_fds_from(int from, const int *keep, size_t n_keep, berth_error *err);
/* Closes every fd >= from except those in keep[]. */
int process_close_fds_from(int from, const int *keep, size_t n_keep, berth_error *err);

/* --preserve-fds N with gaps among fds 3..3+N-1: every free number in that range is taken by a close-on-exec
 * placeholder (/dev/null), so that what the runtime opens afterwards (its state-dir lock, exec.fifo, cgroup
 * fds, sync sockets) lands above the range and never passes into the container. The placeholders vanish at
 * the container's execve; process_release_fd_range closes them in the runtime. *out is NULL when N is 0. */
int process_reserve_fd_range(int preserve_fds, int **out, berth_error *err);
void process_release_fd_range(int *placeholders);

/* The process's environment for execve: env as it is, plus HOME when it has none, from the container's
 * /etc/passwd (read in the current root) for uid, or "/" when uid has no entry (runc's rule). New vector. */
char **process_env_with_home(char *const *env, uid_t uid);
