/* linux.seccomp: the names the runtime-spec takes (actions, architectures, operators, flags), the parse and
 * validation of the whole section, and the `features` description. Compiling and installing the filter is
 * seccomp_filter.c; the compiled-filter cache is seccomp_cache.c. */
#include "runtime/seccomp_profile.h"

#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/seccomp_internal.h"
#include "lib/util.h"

#define WHERE "linux.seccomp"

struct seccomp_action_name {
        const char *name;
        uint32_t action;     /* libseccomp's value; ERRNO and TRACE get their 16-bit data or'ed in */
        bool takes_errno;    /* SCMP_ACT_ERRNO and SCMP_ACT_TRACE only (runtime-spec: errnoRet) */
        uint32_t kernel_ret; /* SECCOMP_RET_* for SECCOMP_GET_ACTION_AVAIL */
};

/* runtime-spec config-linux.md "syscalls[].action", as of libseccomp 2.5. SCMP_ACT_KILL is libseccomp's
 * SCMP_ACT_KILL_THREAD (runc and crun map it the same way). */
static const struct seccomp_action_name seccomp_actions[] = {
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, SECCOMP_RET_ALLOW},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, SECCOMP_RET_ERRNO},
        {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false, SECCOMP_RET_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, SECCOMP_RET_KILL_PROCESS},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, SECCOMP_RET_KILL_THREAD},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG, false, SECCOMP_RET_LOG},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, SECCOMP_RET_USER_NOTIF},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, SECCOMP_RET_TRACE},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, SECCOMP_RET_TRAP},
};

struct seccomp_name_value {
        const char *name;
        uint32_t value;
};

static const struct seccomp_name_value seccomp_operators[] = {
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
        {"SCMP_CMP_NE", SCMP_CMP_NE},
};

/* Every architecture libseccomp 2.5 knows (the runtime-spec lists the same set). */
static const struct seccomp_name_value seccomp_architectures[] = {
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},   {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},         {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32}, {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64}, {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},     {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},           {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},   {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},         {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},           {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
};

/* The flags the runtime-spec lists; they go to seccomp(2) as they are, since berth installs the filter
 * itself. SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is Linux 5.19. */
static const struct seccomp_name_value seccomp_flags[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const struct seccomp_name_value *name_value_find(const struct seccomp_name_value *table, size_t n,
                                                        const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

static const struct seccomp_action_name *action_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++)
                if (strcmp(seccomp_actions[i].name, name) == 0)
                        return &seccomp_actions[i];
        return NULL;
}

const char *seccomp_action_name(uint32_t action)
{
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++) {
                uint32_t base = seccomp_actions[i].action;
                if (seccomp_actions[i].takes_errno ? (action & 0xffff0000U) == base : action == base)
                        return seccomp_actions[i].name;
        }
        return "unknown action";
}

uint32_t seccomp_action_kernel_ret(uint32_t action)
{
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++) {
                uint32_t base = seccomp_actions[i].action;
                if (seccomp_actions[i].takes_errno ? (action & 0xffff0000U) == base : action == base)
                        return seccomp_actions[i].kernel_ret;
        }
        return action & 0xffff0000U;
}

const char *seccomp_flag_name(unsigned int flag)
{
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++)
                if (seccomp_flags[i].value == flag)
                        return seccomp_flags[i].name;
        return "unknown flag";
}

/* "SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ..." for messages that list what is accepted. */
static char *name_list(const char *const *names, size_t n)
{
        size_t len = 1;
        char *out, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(names[i]) + 2;
        out = p = xmalloc(len);
        *p = '\0';
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i ? ", " : "", names[i]);
        return out;
}

static char *table_names(const struct seccomp_name_value *table, size_t n)
{
        const char *names[32];

        for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++)
                names[i] = table[i].name;
        return name_list(names, n < ARRAY_SIZE(names) ? n : ARRAY_SIZE(names));
}

static char *action_names(void)
{
        const char *names[ARRAY_SIZE(seccomp_actions)];

        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++)
                names[i] = seccomp_actions[i].name;
        return name_list(names, ARRAY_SIZE(seccomp_actions));
}

/* ---- parse ---- */

/* An action field plus its errno field ("action"/"errnoRet", "defaultAction"/"defaultErrnoRet"). The errno
 * defaults to EPERM (runtime-spec); it is an error on an action that takes none ("the runtime MUST print an
 * error and fail"). */
static int parse_action(json_t *obj, const char *where, const char *action_key, const char *errno_key,
                        uint32_t *out, berth_error *err)
{
        const struct seccomp_action_name *a;
        const char *name = NULL;
        json_t *errno_value = json_object_get(obj, errno_key);
        uint64_t errno_ret = EPERM;
        int r;

        if ((r = json_field_string(obj, where, action_key, true, &name, err)) < 0)
                return r;
        a = action_find(name);
        if (a == NULL) {
                cleanup_free char *known = action_names();
                return berth_failf(err, EINVAL, "%s.%s: unknown action \"%s\" (known: %s)", where, action_key, name,
                                   known);
        }
        if (errno_value != NULL && !json_is_null(errno_value)) {
                if (!a->takes_errno)
                        return berth_failf(err, EINVAL,
                                           "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                                           where, errno_key, name);
                if ((r = json_field_u64(obj, where, errno_key, false, &errno_ret, err)) < 0)
                        return r;
                /* The filter's return value carries 16 bits of data (SECCOMP_RET_DATA). */
                if (errno_ret > 0xffff)
                        return berth_failf(err, ERANGE, "%s.%s: %" PRIu64 " is out of range 0-65535", where,
                                           errno_key, errno_ret);
        }
        *out = a->action | (a->takes_errno ? (uint32_t) errno_ret : 0);
        return 0;
}

static int parse_default_action(struct seccomp_profile *p, json_t *section, berth_error *err)
{
        int r = parse_action(section, WHERE, "defaultAction", "defaultErrnoRet", &p->default_action, err);

        if (r < 0)
                return r;
        /* A notifying default would stop the runtime's own last syscalls (the listener hand-off, execve)
         * before anyone holds the listener; runc refuses it too. */
        if (p->default_action == SCMP_ACT_NOTIFY)
                return berth_failf(err, EINVAL, WHERE ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        return 0;
}

static int parse_architectures(struct seccomp_profile *p, json_t *section, berth_error *err)
{
        json_t *archs = NULL, *v;
        size_t i;
        int r;

        if ((r = json_field_array(section, WHERE, "architectures", false, &archs, err)) < 0 || archs == NULL)
                return r;
        p->archs = xmalloc((json_array_size(archs) + 1) * sizeof(*p->archs));
        json_array_foreach (archs, i, v) {
                const struct seccomp_name_value *a;

                if (!json_is_string(v))
                        return berth_failf(err, EINVAL, WHERE ".architectures[%zu]: expected a string, got %s", i,
                                           json_type_name(v));
                a = name_value_find(seccomp_architectures, ARRAY_SIZE(seccomp_architectures), json_string_value(v));
                if (a == NULL) {
                        cleanup_free char *known =
                                table_names(seccomp_architectures, ARRAY_SIZE(seccomp_architectures));
                        return berth_failf(err, EINVAL, WHERE ".architectures[%zu]: unknown architecture \"%s\" (known: %s)",
                                           i, json_string_value(v), known);
                }
                p->archs[p->n_archs++] = a->value;
        }
        return 0;
}

static int parse_flags(struct seccomp_profile *p, json_t *section, berth_error *err)
{
        json_t *flags = NULL, *v;
        size_t i;
        int r;

        if ((r = json_field_array(section, WHERE, "flags", false, &flags, err)) < 0 || flags == NULL)
                return r;
        p->flags_given = true; /* even when empty: [] means "no flags", absent means the default */
        json_array_foreach (flags, i, v) {
                const struct seccomp_name_value *f;

                if (!json_is_string(v))
                        return berth_failf(err, EINVAL, WHERE ".flags[%zu]: expected a string, got %s", i,
                                           json_type_name(v));
                f = name_value_find(seccomp_flags, ARRAY_SIZE(seccomp_flags), json_string_value(v));
                if (f == NULL) {
                        cleanup_free char *known = table_names(seccomp_flags, ARRAY_SIZE(seccomp_flags));
                        return berth_failf(err, EINVAL, WHERE ".flags[%zu]: unknown flag \"%s\" (known: %s)", i,
                                           json_string_value(v), known);
                }
                p->flags |= f->value;
        }
        return 0;
}

static int parse_listener(struct seccomp_profile *p, json_t *section, berth_error *err)
{
        const char *path = NULL, *metadata = NULL;
        int r;

        if ((r = json_field_string(section, WHERE, "listenerPath", false, &path, err)) < 0 ||
            (r = json_field_string(section, WHERE, "listenerMetadata", false, &metadata, err)) < 0)
                return r;
        /* runtime-spec: "This field MUST NOT be set if listenerPath is not set." */
        if (metadata != NULL && path == NULL)
                return berth_failf(err, EINVAL, WHERE ".listenerMetadata: set without listenerPath");
        if (path != NULL)
                p->listener_path = xstrdup(path);
        if (metadata != NULL)
                p->listener_metadata = xstrdup(metadata);
        return 0;
}

static int parse_arg(json_t *arg, const char *where, struct seccomp_arg *out, berth_error *err)
{
        const struct seccomp_name_value *op;
        const char *op_name = NULL;
        uint32_t index = 0;
        int r;

        if ((r = json_expect_object(arg, where, err)) < 0 ||
            (r = json_field_u32(arg, where, "index", true, &index, err)) < 0 ||
            (r = json_field_u64(arg, where, "value", true, &out->value, err)) < 0 ||
            (r = json_field_u64(arg, where, "valueTwo", false, &out->value_two, err)) < 0 ||
            (r = json_field_string(arg, where, "op", true, &op_name, err)) < 0)
                return r;
        if (index >= SECCOMP_ARGS_MAX)
                return berth_failf(err, ERANGE, "%s.index: %" PRIu32 " is out of range 0-%d", where, index,
                                   SECCOMP_ARGS_MAX - 1);
        op = name_value_find(seccomp_operators, ARRAY_SIZE(seccomp_operators), op_name);
        if (op == NULL) {
                cleanup_free char *known = table_names(seccomp_operators, ARRAY_SIZE(seccomp_operators));
                return berth_failf(err, EINVAL, "%s.op: unknown operator \"%s\" (known: %s)", where, op_name, known);
        }
        out->index = index;
        out->op = (int) op->value;
        return 0;
}

static int parse_args(struct seccomp_rule *rule, json_t *entry, const char *where, berth_error *err)
{
        unsigned int seen[SECCOMP_ARGS_MAX] = {0};
        json_t *args = NULL, *v;
        size_t i;
        int r;

        if ((r = json_field_array(entry, where, "args", false, &args, err)) < 0 || args == NULL)
                return r;
        rule->args = xzalloc((json_array_size(args) + 1) * sizeof(*rule->args));
        json_array_foreach (args, i, v) {
                cleanup_free char *arg_where = xasprintf("%s.args[%zu]", where, i);

                if ((r = parse_arg(v, arg_where, &rule->args[i], err)) < 0)
                        return r;
                rule->n_args++;
                /* libseccomp takes one comparison per argument in a rule (EINVAL otherwise). runc: when an
                 * index repeats, every condition of the entry becomes a rule of its own (they are ORed);
                 * otherwise they are ANDed in one rule. */
                if (++seen[rule->args[i].index] > 1)
                        rule->split_args = true;
        }
        return 0;
}

static int parse_names(struct seccomp_profile *p, struct seccomp_rule *rule, json_t *entry, const char *where,
                       berth_error *err)
{
        json_t *names = NULL, *v;
        size_t i;
        int r;

        if ((r = json_field_array(entry, where, "names", true, &names, err)) < 0)
                return r;
        if (json_array_size(names) == 0)
                return berth_failf(err, EINVAL, "%s.names: must contain at least one name", where);
        rule->syscalls = xmalloc(json_array_size(names) * sizeof(*rule->syscalls));
        rule->names = xzalloc((json_array_size(names) + 1) * sizeof(*rule->names));
        json_array_foreach (names, i, v) {
                const char *name;
                int nr;

                if (!json_is_string(v) || json_string_value(v)[0] == '\0')
                        return berth_failf(err, EINVAL, "%s.names[%zu]: expected a syscall name, got %s", where, i,
                                           json_is_string(v) ? "an empty string" : json_type_name(v));
                name = json_string_value(v);
                /* Resolved for the native architecture; a syscall that exists only on another one gets a
                 * libseccomp pseudo number, which libseccomp maps for each architecture of the filter. */
                nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR) {
                        /* Unknown to this libseccomp: skipped, as crun and runc do (a newer profile must
                         * keep working on an older host). The caller logs them at debug level. */
                        if (!strv_contains(p->unknown_syscalls, name))
                                p->unknown_syscalls = strv_append(p->unknown_syscalls, name);
                        continue;
                }
                rule->syscalls[rule->n_syscalls] = nr;
                rule->names[rule->n_syscalls] = xstrdup(name);
                rule->n_syscalls++;
        }
        return 0;
}

static int parse_syscall_entry(struct seccomp_profile *p, json_t *entry, size_t index, berth_error *err)
{
        cleanup_free char *where = xasprintf(WHERE ".syscalls[%zu]", index);
        struct seccomp_rule *rule = &p->rules[p->n_rules];
        int r;

        if ((r = json_expect_object(entry, where, err)) < 0)
                return r;
        p->n_rules++; /* counted first so that the free below releases what a failed parse allocated */
        rule->entry = index;
        if ((r = parse_names(p, rule, entry, where, err)) < 0 ||
            (r = parse_action(entry, where, "action", "errnoRet", &rule->action, err)) < 0 ||
            (r = parse_args(rule, entry, where, err)) < 0)
                return r;
        if (rule->action == SCMP_ACT_NOTIFY) {
                /* The init hands the listener over with write/sendmsg after the filter is in: a
                 * notification there would wait for a listener nobody holds yet (runc refuses write too). */
                static const char *const handoff[] = {"write", "sendmsg", "sendto"};
                for (size_t i = 0; i < rule->n_syscalls; i++)
                        for (size_t j = 0; j < ARRAY_SIZE(handoff); j++)
                                if (strcmp(rule->names[i], handoff[j]) == 0)
                                        return berth_failf(err, EINVAL,
                                                           "%s: SCMP_ACT_NOTIFY cannot be used for %s: the runtime "
                                                           "needs it to hand the listener over",
                                                           where, handoff[j]);
                p->has_notify = true;
        }
        return 0;
}

static int parse_syscalls(struct seccomp_profile *p, json_t *section, berth_error *err)
{
        json_t *syscalls = NULL, *v;
        size_t i;
        int r;

        if ((r = json_field_array(section, WHERE, "syscalls", false, &syscalls, err)) < 0 || syscalls == NULL)
                return r;
        p->rules = xzalloc((json_array_size(syscalls) + 1) * sizeof(*p->rules));
        json_array_foreach (syscalls, i, v)
                if ((r = parse_syscall_entry(p, v, i, err)) < 0)
                        return r;
        return 0;
}

static int check_listener(const struct seccomp_profile *p, berth_error *err)
{
        /* Without a listener nobody could answer the notifications: every notified syscall would fail with
         * ENOSYS, which is never what a profile with SCMP_ACT_NOTIFY means. runc refuses it as well. */
        if (!p->has_notify)
                return 0; /* runtime-spec: "If the SCMP_ACT_NOTIFY action is not used this value is ignored." */
        if (p->listener_path == NULL || p->listener_path[0] == '\0')
                return berth_failf(err, EINVAL, WHERE ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
        /* A filesystem socket: the spec's AF_UNIX stream socket at a path (no abstract "@name"). */
        if (p->listener_path[0] != '/')
                return berth_failf(err, EINVAL, WHERE ".listenerPath: \"%s\" is not an absolute path",
                                   p->listener_path);
        if (strlen(p->listener_path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return berth_failf(err, ENAMETOOLONG, WHERE ".listenerPath: longer than a unix socket address (%zu bytes)",
                                   sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
        return 0;
}

int seccomp_profile_parse(json_t *seccomp, struct seccomp_profile **out, berth_error *err)
{
        struct seccomp_profile *p;
        int r;

        *out = NULL;
        if (!json_is_object(seccomp))
                return berth_failf(err, EINVAL, WHERE ": expected an object, got %s", json_type_name(seccomp));
        p = xzalloc(sizeof(*p));
        p->section = json_incref(seccomp);
        if ((r = parse_default_action(p, seccomp, err)) < 0 || (r = parse_architectures(p, seccomp, err)) < 0 ||
            (r = parse_flags(p, seccomp, err)) < 0 || (r = parse_listener(p, seccomp, err)) < 0 ||
            (r = parse_syscalls(p, seccomp, err)) < 0 || (r = check_listener(p, err)) < 0) {
                seccomp_profile_free(p);
                return r;
        }
        *out = p;
        return 0;
}

void seccomp_profile_free(struct seccomp_profile *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->n_rules; i++) {
                free(p->rules[i].syscalls);
                strv_free(p->rules[i].names);
                free(p->rules[i].args);
        }
        free(p->rules);
        free(p->archs);
        free(p->listener_path);
        free(p->listener_metadata);
        strv_free(p->unknown_syscalls);
        json_decref(p->section);
        free(p);
}

char *const *seccomp_profile_unknown_syscalls(const struct seccomp_profile *p)
{
        static char *const none[] = {NULL};

        return p->unknown_syscalls != NULL ? p->unknown_syscalls : none;
}

/* ---- features ---- */

char *seccomp_library_version(void)
{
        const struct scmp_version *v = seccomp_version();

        return xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
}

/* Whether the running kernel accepts a filter flag: seccomp(2) with a NULL program fails with EFAULT once
 * the flags passed validation, EINVAL when they did not (runc's probe). WAIT_KILLABLE_RECV is only valid
 * together with NEW_LISTENER. */
bool seccomp_kernel_supports_flag(unsigned int flag)
{
        unsigned int flags = flag;

        if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

/* SECCOMP_GET_ACTION_AVAIL (Linux 4.14): 0 when the kernel knows the return action. */
bool seccomp_kernel_supports_action(uint32_t action)
{
        uint32_t ret = seccomp_action_kernel_ret(action);

        return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &ret) == 0;
}

static json_t *names_array(const struct seccomp_name_value *table, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(table[i].name));
        return a;
}

json_t *seccomp_features(void)
{
        json_t *f = json_object(), *actions = json_array(), *supported = json_array();

        /* runtime-spec features-linux.md: the names this build recognises (not what the host supports),
         * except supportedFlags, which is what the kernel accepts too. */
        json_object_set_new(f, "enabled", json_true());
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++)
                json_array_append_new(actions, json_string(seccomp_actions[i].name));
        json_object_set_new(f, "actions", actions);
        json_object_set_new(f, "operators", names_array(seccomp_operators, ARRAY_SIZE(seccomp_operators)));
        json_object_set_new(f, "archs", names_array(seccomp_architectures, ARRAY_SIZE(seccomp_architectures)));
        json_object_set_new(f, "knownFlags", names_array(seccomp_flags, ARRAY_SIZE(seccomp_flags)));
        for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++)
                if (seccomp_kernel_supports_flag(seccomp_flags[i].value))
                        json_array_append_new(supported, json_string(seccomp_flags[i].name));
        json_object_set_new(f, "supportedFlags", supported);
        return f;
}
