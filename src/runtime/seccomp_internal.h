/* Shared between seccomp.c (parse, compile, install), seccomp_cache.c (compiled filters on disk) and the
 * unit tests. Not part of the runtime's interface: use seccomp.h. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "runtime/seccomp_profile.h"

/* Linux 5.19; the build host's headers may predate it. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define SECCOMP_ARGS_MAX 6 /* syscalls take at most six arguments: index 0-5 */

struct seccomp_arg {
        unsigned int index;
        uint64_t value;
        uint64_t value_two;
        int op; /* enum scmp_compare */
};

/* One linux.seccomp.syscalls[] entry, names resolved for the native architecture. */
struct seccomp_rule {
        size_t entry;          /* its index in syscalls[], for messages */
        uint32_t action;       /* libseccomp action, errno/trace data included */
        int *syscalls;         /* resolved numbers (pseudo numbers for other architectures' syscalls) */
        char **names;          /* the resolved names, parallel to syscalls; NULL-terminated */
        size_t n_syscalls;
        struct seccomp_arg *args;
        size_t n_args;
        bool split_args; /* an index repeats: one rule per condition (ORed), as runc does */
};

struct seccomp_profile {
        json_t *section;         /* linux.seccomp itself (a reference): its canonical form keys the cache */
        uint32_t default_action; /* libseccomp action */
        uint32_t *archs;         /* SCMP_ARCH_* tokens, as listed (the native one is always added) */
        size_t n_archs;
        unsigned int flags;      /* SECCOMP_FILTER_FLAG_* given in linux.seccomp.flags */
        bool flags_given;        /* flags present (maybe empty); absent: SPEC_ALLOW when supported (runc) */
        char *listener_path;
        char *listener_metadata;
        struct seccomp_rule *rules;
        size_t n_rules;
        bool has_notify;       /* some rule says SCMP_ACT_NOTIFY: the install asks for a listener fd */
        char **unknown_syscalls; /* names libseccomp does not know: skipped, as crun and runc do */
};

struct seccomp_filter {
        struct sock_filter *insns;
        size_t n_insns;
        unsigned int flags;     /* for seccomp(SECCOMP_SET_MODE_FILTER), NEW_LISTENER included when needed */
        bool has_notify;
        bool from_cache;        /* for tests and the benchmark */
        char *cache_note;       /* why the compiled program could not be cached, for a debug log */
        char *listener_path;
        char *listener_metadata;
};

/* Names for messages, and the kernel's view (seccomp.c). */
const char *seccomp_action_name(uint32_t action);
uint32_t seccomp_action_kernel_ret(uint32_t action); /* SECCOMP_RET_* of a libseccomp action */
const char *seccomp_flag_name(unsigned int flag);
bool seccomp_kernel_supports_flag(unsigned int flag);
bool seccomp_kernel_supports_action(uint32_t action);

/* libseccomp: profile -> BPF (exported through a memfd, as libseccomp 2.5 exports only to an fd). */
int seccomp_compile(const struct seccomp_profile *p, struct sock_filter **insns, size_t *n_insns,
                    berth_error *err);

/* The compiled-filter cache (seccomp_cache.c). */
#define SECCOMP_CACHE_KEY_SIZE 32 /* SHA-256 */
#define SECCOMP_CACHE_KEY_HEX (SECCOMP_CACHE_KEY_SIZE * 2)

/* SHA-256 over a format tag, the libseccomp version, the native architecture and the profile's canonical
 * JSON (compact, keys sorted). */
void seccomp_cache_key(const struct seccomp_profile *p, uint8_t key[SECCOMP_CACHE_KEY_SIZE]);
void seccomp_cache_key_hex(const uint8_t key[SECCOMP_CACHE_KEY_SIZE], char out[SECCOMP_CACHE_KEY_HEX + 1]);

/* Returns 1 and the program when cache_dir holds a valid entry for key; 0 when it does not (missing,
 * unreadable, truncated, or for another key: the caller compiles); never fails otherwise. */
int seccomp_cache_load(const char *cache_dir, const uint8_t key[SECCOMP_CACHE_KEY_SIZE], struct sock_filter **insns,
                       size_t *n_insns);
/* Writes the entry atomically (temporary file + rename), creating cache_dir (0700) when missing. */
int seccomp_cache_store(const char *cache_dir, const uint8_t key[SECCOMP_CACHE_KEY_SIZE],
                        const struct sock_filter *insns, size_t n_insns, berth_error *err);

/* The entry's file format, all little/native-endian (a cache never leaves its host). */
#define SECCOMP_CACHE_MAGIC "BERTHBPF"
#define SECCOMP_CACHE_VERSION 1
struct seccomp_cache_header {
        char magic[8];
        uint32_t version;
        uint32_t n_insns;
        uint8_t key[SECCOMP_CACHE_KEY_SIZE];   /* must equal the key the entry is looked up with */
        uint8_t body_sha256[SECCOMP_CACHE_KEY_SIZE]; /* of the n_insns * 8 bytes that follow */
};
