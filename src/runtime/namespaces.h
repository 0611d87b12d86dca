/* Creating and joining namespaces (linux.namespaces), and the time namespace's offsets. */
#pragma once

#include "lib/error.h"
#include "runtime/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* CLONE_NEW* flags of the namespaces the config asks to create (no path), except cgroup and time: the
 * cgroup namespace is unshared by the init after it joined its cgroup (so that cgroup is its root), the
 * time namespace needs its offsets written before any process is in it. */
int namespaces_new_clone_flags(const struct spec_linux *lx);

/* Whether the namespaces can all be made by one clone() of the init: true unless a new user namespace
 * must be combined with joined ones (they must be joined with the host's privileges, before the user
 * namespace exists), or a new time namespace with a user namespace (it must be owned by the container's user
 * namespace, made first). Otherwise the init is made in two stages. A new time namespace without a user
 * namespace is made for the init's clone by namespaces_enter_time_for_children. */
bool namespaces_single_clone(const struct spec_linux *lx);

/* setns() into every namespace with a path, except those in `skip` (a mask of 1 << type) and the user
 * namespace unless include_user. The fd is checked to be a namespace of the right type. */
int namespaces_join_paths(const struct spec_linux *lx, unsigned skip, bool include_user, berth_error *err);

/* setns() into one namespace by path. */
int namespaces_join_one(enum spec_namespace_type type, const char *path, berth_error *err);

/* Clones a child with fork semantics (it returns 0 there, in a copy of our memory) and the CLONE_NEW* flags.
 * With a cgroup v2 directory fd (cgroup_fd >= 0) the child is born in that cgroup (clone3's
 * CLONE_INTO_CGROUP) and *placed is set; otherwise the caller must move it. Returns the pid or -errno. */
pid_t namespaces_clone(int flags, int cgroup_fd, bool *placed, berth_error *err);

/* Our children's pid namespace (setns affects only them): enter the one of fd (a namespace fd or a
 * pidfd), remembering ours in *saved; then come back to it. */
int namespaces_enter_pid_for_children(int fd, int *saved, berth_error *err);
int namespaces_leave_pid_for_children(int *saved, berth_error *err);

/* A new time namespace for our children only (unshare(CLONE_NEWTIME) leaves us in ours), its offsets written,
 * ours remembered in *saved; after the clone, namespaces_leave_time_for_children comes back to it. Saves the
 * two-stage init's extra fork (docs/proc.md). Nothing done (*saved -1) when the config has no new one. */
int namespaces_enter_time_for_children(const struct spec_linux *lx, int *saved, berth_error *err);
int namespaces_leave_time_for_children(int *saved, berth_error *err);

/* Writes linux.timeOffsets into /proc/self/timens_offsets; must follow unshare(CLONE_NEWTIME) and precede
 * the fork of the first process that lives in the new time namespace. */
int namespaces_write_time_offsets(const struct spec_linux *lx, berth_error *err);
