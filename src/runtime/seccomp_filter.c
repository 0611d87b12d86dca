/* A parsed linux.seccomp becomes a BPF program (libseccomp, or the cache of compiled programs), which the
 * container's init installs with seccomp(2) itself: a cached program installs without libseccomp at all.
 * The notify listener fd goes to linux.seccomp.listenerPath over SCM_RIGHTS (runtime-spec config-linux.md
 * "The Container Process State"). */
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/seccomp_profile.h"
#include "runtime/seccomp_internal.h"
#include "runtime/sync.h"
#include "lib/util.h"


static void seccomp_release_ptr(scmp_filter_ctx *ctx)
{
        if (*ctx != NULL)
                seccomp_release(*ctx);
}
#define cleanup_seccomp_ctx __attribute__((cleanup(seccomp_release_ptr)))

/* ---- compile ---- */

static int add_architectures(scmp_filter_ctx ctx, const struct seccomp_profile *p, berth_error *err)
{
        for (size_t i = 0; i < p->n_archs; i++) {
                int r = seccomp_arch_add(ctx, p->archs[i]);
                /* The native architecture is in every new filter already (EEXIST). */
                if (r < 0 && r != -EEXIST)
                        return berth_fail(err, -r, "linux.seccomp.architectures[%zu]: add to the filter", i);
        }
        return 0;
}

static int add_one_rule(scmp_filter_ctx ctx, const struct seccomp_rule *rule, size_t i,
                        const struct scmp_arg_cmp *cmps, unsigned int n_cmps, berth_error *err)
{
        /* Not _exact: libseccomp rewrites the rule for each architecture of the filter (x86's socketcall
         * multiplexing, syscalls missing on one of them: _exact fails with EDOM there). */
        int r = seccomp_rule_add_array(ctx, rule->action, rule->syscalls[i], n_cmps, cmps);

        if (r < 0)
                return berth_fail(err, -r, "linux.seccomp.syscalls[%zu]: add the %s rule for %s", rule->entry,
                                  seccomp_action_name(rule->action), rule->names[i]);
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_profile *p, const struct seccomp_rule *rule,
                    berth_error *err)
{
        struct scmp_arg_cmp cmps[SECCOMP_ARGS_MAX];
        int r;

        /* A rule that repeats the default action changes nothing, and libseccomp refuses it (EACCES):
         * skipped. */
        if (rule->action == p->default_action)
                return 0;
        if (!rule->split_args)
                for (size_t j = 0; j < rule->n_args; j++)
                        cmps[j] = (struct scmp_arg_cmp){
                                .arg = rule->args[j].index,
                                .op = (enum scmp_compare) rule->args[j].op,
                                .datum_a = rule->args[j].value,
                                .datum_b = rule->args[j].value_two,
                        };
        for (size_t i = 0; i < rule->n_syscalls; i++) {
                if (!rule->split_args) {
                        /* Conditions on distinct arguments: one rule, all of them ANDed. */
                        if ((r = add_one_rule(ctx, rule, i, cmps, (unsigned int) rule->n_args, err)) < 0)
                                return r;
                        continue;
                }
                /* An argument index repeats: one rule per condition (ORed), as runc does. */
                for (size_t j = 0; j < rule->n_args; j++) {
                        struct scmp_arg_cmp one = {
                                .arg = rule->args[j].index,
                                .op = (enum scmp_compare) rule->args[j].op,
                                .datum_a = rule->args[j].value,
                                .datum_b = rule->args[j].value_two,
                        };
                        if ((r = add_one_rule(ctx, rule, i, &one, 1, err)) < 0)
                                return r;
                }
        }
        return 0;
}

/* libseccomp 2.5 exports only to an fd: a memfd, read back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *n_insns, berth_error *err)
{
        cleanup_close int fd = memfd_create("berth-seccomp-bpf", MFD_CLOEXEC);
        cleanup_free char *data = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return berth_fail(err, errno, "memfd_create for the seccomp filter");
        if ((r = seccomp_export_bpf(ctx, fd)) < 0)
                return berth_fail(err, -r, "export the seccomp filter");
        if (lseek(fd, 0, SEEK_SET) < 0)
                return berth_fail(err, errno, "seek the seccomp filter memfd");
        if ((r = read_fd(fd, "the seccomp filter memfd", &data, &len, err)) < 0)
                return r;
        if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return berth_failf(err, E2BIG, "the compiled seccomp filter has %zu bytes: not a program of at most "
                                   "%d instructions", len, BPF_MAXINSNS);
        *n_insns = len / sizeof(struct sock_filter);
        *insns = (struct sock_filter *) steal_pointer(&data);
        return 0;
}

int seccomp_compile(const struct seccomp_profile *p, struct sock_filter **insns, size_t *n_insns,
                    berth_error *err)
{
        cleanup_seccomp_ctx scmp_filter_ctx ctx = seccomp_init(p->default_action);
        int r;

        if (ctx == NULL)
                return berth_failf(err, EINVAL, "linux.seccomp.defaultAction: libseccomp refused %s",
                                   seccomp_action_name(p->default_action));
        /* Binary-tree layout (libseccomp >= 2.5): a syscall of a large allowlist such as Docker's is found in
         * ~log2(n) comparisons instead of a linear walk, on every syscall the container makes. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
                return berth_fail(err, -r, "set the seccomp filter's optimisation level");
        if ((r = add_architectures(ctx, p, err)) < 0)
                return r;
        for (size_t i = 0; i < p->n_rules; i++)
                if ((r = add_rule(ctx, p, &p->rules[i], err)) < 0)
                        return r;
        return export_bpf(ctx, insns, n_insns, err);
}

/* ---- prepare ---- */

/* The flags for seccomp(2), each checked against the running kernel now, before anything is created: the
 * same answer whether the program comes from libseccomp or from the cache. */
static int filter_flags(const struct seccomp_profile *p, unsigned int *out, berth_error *err)
{
        unsigned int flags = p->flags;

        /* No "flags" at all: SPEC_ALLOW, as upstream runc does ("runc should set SPEC_ALLOW if no flags are
         * set", its tests/integration/seccomp.bats; the 1.1.5 here supports no flags): the filter does not
         * force the Speculative Store Bypass mitigation on the container. An explicit list, even empty, is
         * taken as it is. */
        if (!p->flags_given && seccomp_kernel_supports_flag(SECCOMP_FILTER_FLAG_SPEC_ALLOW))
                flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        /* WAIT_KILLABLE_RECV only means something to (and is only accepted with) a listener. */
        if (!p->has_notify)
                flags &= ~(unsigned int) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        for (unsigned int bit = 1; bit != 0 && bit <= flags; bit <<= 1)
                if ((flags & bit) && !seccomp_kernel_supports_flag(bit))
                        return berth_failf(err, EOPNOTSUPP, "linux.seccomp.flags: %s is not supported by this kernel",
                                           seccomp_flag_name(bit));
        if (p->has_notify) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* TSYNC and NEW_LISTENER together need TSYNC_ESRCH (Linux 5.7): both return values would
                 * otherwise be a number. */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        *out = flags;
        return 0;
}

/* An action the kernel does not know is taken as KILL_PROCESS when it happens: refuse it up front. */
static int check_actions(const struct seccomp_profile *p, berth_error *err)
{
        if (!seccomp_kernel_supports_action(p->default_action))
                return berth_failf(err, EOPNOTSUPP, "linux.seccomp.defaultAction: %s is not supported by this kernel",
                                   seccomp_action_name(p->default_action));
        for (size_t i = 0; i < p->n_rules; i++) {
                uint32_t a = p->rules[i].action;
                bool seen = false;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = seccomp_action_kernel_ret(p->rules[j].action) == seccomp_action_kernel_ret(a);
                if (!seen && !seccomp_kernel_supports_action(a))
                        return berth_failf(err, EOPNOTSUPP,
                                           "linux.seccomp.syscalls[%zu].action: %s is not supported by this kernel",
                                           p->rules[i].entry, seccomp_action_name(a));
        }
        return 0;
}

static int load_or_compile(const struct seccomp_profile *p, const char *cache_dir, struct seccomp_filter *f,
                           berth_error *err)
{
        uint8_t key[SECCOMP_CACHE_KEY_SIZE];
        berth_error store_err = {0};
        int r;

        if (cache_dir != NULL) {
                seccomp_cache_key(p, key);
                if (seccomp_cache_load(cache_dir, key, &f->insns, &f->n_insns) > 0) {
                        f->from_cache = true;
                        return 0;
                }
        }
        if ((r = seccomp_compile(p, &f->insns, &f->n_insns, err)) < 0)
                return r;
        /* A cache that cannot be written costs the next start a compile, nothing else: not an error. The
         * reason is kept for the caller's debug log. */
        if (cache_dir != NULL && seccomp_cache_store(cache_dir, key, f->insns, f->n_insns, &store_err) < 0) {
                f->cache_note = xstrdup(berth_error_message(&store_err));
                berth_error_clear(&store_err);
        }
        return 0;
}

int seccomp_filter_prepare(const struct seccomp_profile *p, const char *cache_dir, struct seccomp_filter **out,
                           berth_error *err)
{
        struct seccomp_filter *f = xzalloc(sizeof(*f));
        int r;

        *out = NULL;
        f->has_notify = p->has_notify;
        if (p->has_notify) {
                f->listener_path = xstrdup(p->listener_path);
                if (p->listener_metadata != NULL)
                        f->listener_metadata = xstrdup(p->listener_metadata);
        }
        if ((r = filter_flags(p, &f->flags, err)) < 0 || (r = check_actions(p, err)) < 0 ||
            (r = load_or_compile(p, cache_dir, f, err)) < 0) {
                seccomp_filter_free(f);
                return r;
        }
        *out = f;
        return 0;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
        if (f == NULL)
                return;
        free(f->insns);
        free(f->listener_path);
        free(f->listener_metadata);
        free(f->cache_note);
        free(f);
}

const char *seccomp_filter_listener_path(const struct seccomp_filter *f)
{
        return f->has_notify ? f->listener_path : NULL;
}

const char *seccomp_filter_listener_metadata(const struct seccomp_filter *f)
{
        return f->has_notify ? f->listener_metadata : NULL;
}

bool seccomp_filter_from_cache(const struct seccomp_filter *f)
{
        return f->from_cache;
}

const char *seccomp_filter_cache_note(const struct seccomp_filter *f)
{
        return f->cache_note;
}

size_t seccomp_filter_size(const struct seccomp_filter *f)
{
        return f->n_insns;
}

/* ---- install ---- */

int seccomp_filter_install(const struct seccomp_filter *f, int *listener_fd, berth_error *err)
{
        struct sock_fprog prog = {
                .len = (unsigned short) f->n_insns,
                .filter = f->insns,
        };
        long r;

        *listener_fd = -1;
        /* seccomp(2) directly rather than seccomp_load(): the program may come from the cache, and the flags
         * are the kernel's own. The caller set no_new_privs, or still holds CAP_SYS_ADMIN. */
        r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
        if (r < 0) {
                if (errno == EACCES)
                        return berth_fail(err, errno, "install the seccomp filter (neither no_new_privs nor "
                                                      "CAP_SYS_ADMIN)");
                return berth_fail(err, errno, "install the seccomp filter");
        }
        if (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
                *listener_fd = (int) r; /* the kernel made it O_CLOEXEC: it does not reach the container */
                return 0;
        }
        if (r > 0) /* TSYNC without ESRCH: the id of a thread that could not be synchronised */
                return berth_failf(err, ESRCH, "install the seccomp filter: thread %ld could not be synchronised", r);
        return 0;
}

/* ---- the listener ---- */

int seccomp_process_state(const char *state_json, const char *metadata, char **out, berth_error *err)
{
        cleanup_json json_t *state = json_load_text("container state", state_json, strlen(state_json), err);
        cleanup_json json_t *process_state = NULL;
        json_t *version, *pid;

        *out = NULL;
        if (state == NULL)
                return -EINVAL;
        version = json_object_get(state, "ociVersion");
        pid = json_object_get(state, "pid");
        if (!json_is_string(version) || !json_is_integer(pid))
                return berth_failf(err, EINVAL, "container state: ociVersion and pid are required");
        /* runtime-spec config-linux.md "The Container Process State": fds names the SCM_RIGHTS array. */
        process_state = json_pack("{s:O, s:[s], s:O, s:O}", "ociVersion", version, "fds", "seccompFd", "pid", pid,
                                  "state", state);
        if (process_state == NULL)
                return berth_failf(err, ENOMEM, "container process state: build the JSON");
        if (metadata != NULL)
                json_object_set_new(process_state, "metadata", json_string(metadata));
        *out = json_to_string(process_state);
        return 0;
}

static int listener_connect(const char *listener_path, berth_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        cleanup_close int sock = -1;

        if (strlen(listener_path) >= sizeof(addr.sun_path))
                return berth_failf(err, ENAMETOOLONG, "seccomp listener %s: path too long for a unix socket",
                                   listener_path);
        memcpy(addr.sun_path, listener_path, strlen(listener_path) + 1);
        /* runtime-spec: "This socket MUST use AF_UNIX domain and SOCK_STREAM type." */
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return berth_fail(err, errno, "create a socket for the seccomp listener");
        if (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) < 0)
                return berth_fail(err, errno, "connect to the seccomp listener %s", listener_path);
        return steal_fd(&sock);
}


int seccomp_send_listener(const char *listener_path, int listener_fd, const char *state_json, berth_error *err)
{
        cleanup_close int sock = listener_connect(listener_path, err);
        int r;

        if (sock < 0)
                return sock;
        /* One state per connection, and the connection is closed after it (runtime-spec). */
        if ((r = fd_send(sock, listener_fd, state_json, strlen(state_json), err)) < 0)
                return berth_error_prefix(err, "seccomp listener %s: ", listener_path);
        return 0;
}

int seccomp_filter_send_listener(const struct seccomp_filter *f, int listener_fd, const char *state_json,
                                 berth_error *err)
{
        cleanup_free char *process_state = NULL;
        int r;

        if (!f->has_notify || listener_fd < 0)
                return 0;
        if ((r = seccomp_process_state(state_json, f->listener_metadata, &process_state, err)) < 0)
                return r;
        return seccomp_send_listener(f->listener_path, listener_fd, process_state, err);
}
