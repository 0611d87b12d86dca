/* seccomp-syscall NAME|NUMBER [ARG...]: makes one raw syscall with up to six arguments (numbers in decimal or
 * 0x hex; anything else is passed as a pointer to the string, for paths) and prints what the kernel answered: "ok RET" (exit 0) or "errno N MESSAGE" (exit 1). Linked
 * statically so that it runs inside a busybox rootfs; the seccomp tests use it to reach syscalls busybox
 * has no applet for (keyctl, personality with chosen arguments, ...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
        const char *name;
        long nr;
} syscalls[] = {
        {"getpid", SYS_getpid},   {"personality", SYS_personality}, {"mkdir", SYS_mkdir},
        {"mkdirat", SYS_mkdirat}, {"unshare", SYS_unshare},         {"keyctl", SYS_keyctl},
        {"socket", SYS_socket},   {"chroot", SYS_chroot},           {"ptrace", SYS_ptrace},
        {"uname", SYS_uname},     {"getppid", SYS_getppid},
};

static int parse_long(const char *s, long *out)
{
        char *end;

        errno = 0;
        *out = (long) strtoull(s, &end, 0);
        return (errno != 0 || *end != '\0' || end == s) ? -1 : 0;
}

int main(int argc, char **argv)
{
        long nr = -1, args[6] = {0}, ret;

        if (argc < 2 || argc > 8) {
                fprintf(stderr, "usage: %s NAME|NUMBER [ARG...]\n", argv[0]);
                return 2;
        }
        for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
                if (strcmp(argv[1], syscalls[i].name) == 0)
                        nr = syscalls[i].nr;
        if (nr < 0 && parse_long(argv[1], &nr) < 0) {
                fprintf(stderr, "%s: unknown syscall %s\n", argv[0], argv[1]);
                return 2;
        }
        for (int i = 2; i < argc; i++)
                if (parse_long(argv[i], &args[i - 2]) < 0)
                        args[i - 2] = (long) argv[i];
        ret = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        if (ret < 0) {
                int e = errno;
                printf("errno %d %s\n", e, strerror(e));
                return 1;
        }
        printf("ok %ld\n", ret);
        return 0;
}
