/* Scope-bound cleanup (systemd style): a variable marked cleanup_* is released on every return path.
 * Ownership leaves a scope explicitly, with steal_pointer()/steal_fd(). */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void free_ptr(void *p)
{
        free(*(void **) p);
}

static inline void close_fd(int *fd)
{
        if (*fd >= 0) {
                int saved = errno; /* close() in cleanup must not clobber the errno a caller reports */
                close(*fd);
                errno = saved;
        }
}

static inline void fclose_ptr(FILE **f)
{
        if (*f != NULL)
                fclose(*f);
}

static inline void closedir_ptr(DIR **d)
{
        if (*d != NULL)
                closedir(*d);
}

/* A NULL-terminated array of strings that owns its members. */
static inline void strv_free(char **v)
{
        if (v == NULL)
                return;
        for (char **p = v; *p != NULL; p++)
                free(*p);
        free(v);
}

static inline void strv_free_ptr(char ***v)
{
        strv_free(*v);
}

#define cleanup_free __attribute__((cleanup(free_ptr)))
#define cleanup_close __attribute__((cleanup(close_fd)))
#define cleanup_fclose __attribute__((cleanup(fclose_ptr)))
#define cleanup_closedir __attribute__((cleanup(closedir_ptr)))
#define cleanup_strv __attribute__((cleanup(strv_free_ptr)))

#define steal_pointer(pp)                                                                                     \
        ({                                                                                                     \
                __typeof__(*(pp)) stolen_ = *(pp);                                                             \
                *(pp) = NULL;                                                                                  \
                stolen_;                                                                                       \
        })

static inline int steal_fd(int *fd)
{
        int stolen = *fd;
        *fd = -1;
        return stolen;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
