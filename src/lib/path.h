/* Path resolution confined to a root directory. Every path that comes from an image or a config is
 * resolved here, as if rootfd were "/": ".." stops at the root and symlinks (absolute or relative) are
 * followed inside it, so an image cannot redirect a mount or a write to the host (CVE-2021-30465). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or the component walk below on kernels without
 * openat2 (< 5.6) and for paths longer than PATH_MAX (one openat per component). flags are open(2) flags; O_CLOEXEC is always added. Returns an fd or -errno. */
int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error *err);

/* The fallback, exposed for tests: walks the path one component at a time with O_PATH|O_NOFOLLOW,
 * expanding symlinks itself (at most 40, then ELOOP) and clamping ".." at the root. */
int path_open_in_root_walk(int rootfd, const char *path, int flags, mode_t mode, berth_error *err);

/* mkdir -p of path inside root; returns an O_PATH fd of the resulting directory. */
int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, berth_error *err);

/* Makes sure a mount target exists inside root: a directory, or an empty regular file when !directory
 * (missing parents are created 0755). Returns an O_PATH fd of the target. An existing target of the other
 * kind is used as it is: mount(2) decides whether the pair is valid and says so. */
int path_ensure_in_root(int rootfd, const char *path, bool directory, mode_t mode, berth_error *err);

/* Lexical normalisation: collapses "//", "." and ".." (never above "/"); keeps a leading "/".
 * "" becomes ".". Newly allocated. */
char *path_clean(const char *path);

/* "/proc/self/fd/N", the name through which mount(2) and friends act on an fd. */
#define PROC_FD_PATH_MAX 32
void proc_fd_path(int fd, char buf[PROC_FD_PATH_MAX]);
