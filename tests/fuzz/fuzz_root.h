/* A throwaway root for the harnesses that write a tar's entries (fuzz_unpack, fuzz_copy_tar): DIR/root
 * beside a canary file and an empty DIR/cwd, the process's working directory. fuzz_root_check aborts (a
 * crash for libFuzzer) when an entry escaped: DIR holds anything else, the canary changed, or cwd is no
 * longer empty. File sizes are capped (RLIMIT_FSIZE, SIGXFSZ ignored): a few KB of compressed input can
 * expand to gigabytes of zeros, a disk filler rather than a parser bug. */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "image/fsutil.h"
#include "fuzz.h"

#define CANARY "berth fuzz canary\n"

static char outer[] = "/tmp/berth-fuzz-root-XXXXXX";
static int outer_fd = -1, root_fd = -1, cwd_fd = -1;

/* At the end of a run (libFuzzer exits normally), the throwaway directories go. */
static void remove_outer(void)
{
        berth_error err = {0};

        fs_remove_tree_at(AT_FDCWD, outer, &err);
        berth_error_clear(&err);
}

static void fuzz_root_setup(void)
{
        struct rlimit fsize = {.rlim_cur = 16u << 20, .rlim_max = 16u << 20};
        int fd;

        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &fsize) < 0 || mkdtemp(outer) == NULL)
                abort();
        outer_fd = open(outer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (outer_fd < 0 || mkdirat(outer_fd, "root", 0755) < 0 || mkdirat(outer_fd, "cwd", 0755) < 0)
                abort();
        root_fd = openat(outer_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cwd_fd = openat(outer_fd, "cwd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fd = openat(outer_fd, "canary", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (root_fd < 0 || cwd_fd < 0 || fd < 0 || write(fd, CANARY, strlen(CANARY)) != (ssize_t) strlen(CANARY))
                abort();
        close(fd);
        if (fchdir(cwd_fd) < 0)
                abort();
        atexit(remove_outer);
}

/* Names in dir, other than "." and "..", that are not in allowed. */
static void check_only(int dirfd, const char *const *allowed, const char *what)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (d == NULL)
                abort();
        while ((e = readdir(d)) != NULL) {
                bool ok = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
                for (size_t i = 0; !ok && allowed[i] != NULL; i++)
                        ok = strcmp(e->d_name, allowed[i]) == 0;
                if (!ok) {
                        fprintf(stdout, "escape: %s holds %s\n", what, e->d_name);
                        dprintf(2, "berth fuzz: an entry escaped the layer root: %s/%s\n", what, e->d_name);
                        abort();
                }
        }
        closedir(d);
}

static void fuzz_root_check(void)
{
        static const char *const around[] = {"root", "cwd", "canary", NULL};
        static const char *const none[] = {NULL};
        char buf[64] = {0};
        struct stat st;
        int fd = openat(outer_fd, "canary", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        check_only(outer_fd, around, outer);
        check_only(cwd_fd, none, "the working directory");
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || read(fd, buf, sizeof(buf) - 1) < 0 ||
            strcmp(buf, CANARY) != 0) {
                dprintf(2, "berth fuzz: the canary beside the layer root changed\n");
                abort();
        }
        close(fd);
}

/* Empties the root for the next input; libFuzzer installs its own SIGXFSZ handler after
 * LLVMFuzzerInitialize (unless -handle_xfsz=0): ignored again. */
static void fuzz_root_reset(void)
{
        berth_error err = {0};

        signal(SIGXFSZ, SIG_IGN);
        if (fs_empty_dir(root_fd, &err) < 0) {
                dprintf(2, "berth fuzz: cannot empty the root: %s\n", berth_error_message(&err));
                abort();
        }
}
