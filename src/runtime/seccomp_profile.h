/* linux.seccomp through libseccomp. The profile is validated at create time (before anything is made),
 * compiled in the parent (or taken from the cache of compiled filters, keyed by a hash of the profile as
 * crun does: compiling Docker's profile dominates start-up otherwise), and installed by the container's init
 * as the last step before execve when noNewPrivileges is set, else before capabilities are dropped. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

struct seccomp_profile; /* parsed linux.seccomp */
struct seccomp_filter;  /* compiled BPF program + flags, ready to install */

/* Validates the whole section: actions, architectures, flags, syscalls, argument indexes and operators.
 * Unknown syscall names are accepted (skipped at compile time, as crun does); an unknown action or an
 * argument index above 5 is an error naming the field. */
int seccomp_profile_parse(json_t *seccomp, struct seccomp_profile **out, berth_error *err);
void seccomp_profile_free(struct seccomp_profile *p);

/* Compiles the profile to BPF, or loads it from cache_dir (NULL: no cache). The cache key is a hash of
 * the profile's canonical JSON, the libseccomp version and the native architecture. */
int seccomp_filter_prepare(const struct seccomp_profile *p, const char *cache_dir, struct seccomp_filter **out,
                           berth_error *err);
void seccomp_filter_free(struct seccomp_filter *f);

/* Installs the filter in the calling thread (the container's init). Returns the notify listener fd when
 * the profile has SCMP_ACT_NOTIFY rules (else -1) in *listener_fd. */
int seccomp_filter_install(const struct seccomp_filter *f, int *listener_fd, berth_error *err);

/* Whether the profile asks for a notify listener, and where to send it: linux.seccomp.listenerPath. */
const char *seccomp_filter_listener_path(const struct seccomp_filter *f);
const char *seccomp_filter_listener_metadata(const struct seccomp_filter *f);

/* Sends the listener fd over SCM_RIGHTS to the unix socket at listener_path, with the container state
 * (a JSON text as the spec's "containerProcessState") as the message payload. */
int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json, berth_error *err);

/* Added by the seccomp work: */

/* The spec's "containerProcessState" around the runtime's state JSON (runtime.md "State", the text hooks get):
 * {"ociVersion", "fds": ["seccompFd"], "pid" (the state's), "metadata" (listenerMetadata, when set), "state"}. */
int seccomp_process_state(const char *state_json, const char *metadata, char **out, berth_error *err);
/* seccomp_process_state + seccomp_send_listener to the filter's listenerPath with its listenerMetadata; does
 * nothing when the profile has no SCMP_ACT_NOTIFY rule. state_json is the runtime state. */
int seccomp_filter_send_listener(const struct seccomp_filter *f, int listener_fd, const char *state_json,
                                 berth_error *err);

/* Syscall names of the profile that libseccomp does not know (skipped): for a debug log line each. Never NULL. */
char *const *seccomp_profile_unknown_syscalls(const struct seccomp_profile *p);
/* Whether the program came from the cache; why it could not be stored there (NULL: it was, or no cache). */
bool seccomp_filter_from_cache(const struct seccomp_filter *f);
const char *seccomp_filter_cache_note(const struct seccomp_filter *f);
size_t seccomp_filter_size(const struct seccomp_filter *f); /* BPF instructions */
/* "2.5.4", newly allocated: for `features`' annotations (runc: io.github.seccomp.libseccomp.version). */
char *seccomp_library_version(void);

/* The default profile `berth-runtime spec` writes: equivalent to Docker's default seccomp profile (moby
 * profiles/seccomp/default.json) for the capabilities of the default spec. New reference. */
json_t *seccomp_default_profile(void);

/* Docker's default profile resolved for a container with these capabilities (bit i = capability i, as
 * struct spec_capabilities has them): seccomp_default_profile() is this for the default spec's set. */
json_t *seccomp_docker_profile(uint64_t capabilities);

/* For `features`: the actions, operators, architectures and flags this build knows / the kernel supports. */
json_t *seccomp_features(void);
