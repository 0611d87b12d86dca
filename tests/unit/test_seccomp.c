/* Unit tests for src/runtime/seccomp*.c: parse and validation messages, the compiled program's behaviour
 * (installed in forked children, checked through the syscalls' results), the cache, the listener hand-off,
 * the default profile and features. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "runtime/seccomp_profile.h"
#include "runtime/seccomp_internal.h"
#include "runtime/sync.h"
#include "lib/util.h"

/* ---- helpers ---- */

static json_t *load(const char *text)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);

        if (j == NULL)
                fail_msg("bad test JSON: %s: %s", jerr.text, text);
        return j;
}

/* Parses TEXT and expects the error message MESSAGE exactly. */
static void expect_parse_error(const char *text, const char *message)
{
        json_t *j = load(text);
        struct seccomp_profile *p = (void *) 1;
        berth_error err = {0};

        assert_true(seccomp_profile_parse(j, &p, &err) < 0);
        assert_null(p);
        assert_string_equal(berth_error_message(&err), message);
        berth_error_clear(&err);
        json_decref(j);
}

static struct seccomp_profile *parse_ok(const char *text)
{
        json_t *j = load(text);
        struct seccomp_profile *p = NULL;
        berth_error err = {0};

        if (seccomp_profile_parse(j, &p, &err) < 0)
                fail_msg("parse failed: %s", berth_error_message(&err));
        json_decref(j); /* the profile holds its own reference */
        return p;
}

static struct seccomp_filter *prepare_ok(const char *text, const char *cache)
{
        struct seccomp_profile *p = parse_ok(text);
        struct seccomp_filter *f = NULL;
        berth_error err = {0};

        if (seccomp_filter_prepare(p, cache, &f, &err) < 0)
                fail_msg("prepare failed: %s", berth_error_message(&err));
        seccomp_profile_free(p);
        return f;
}

/* Runs fn in a child under the filter (no_new_privs set first, as an unprivileged init would); returns the
 * child's wait status. fn's return value is the child's exit code. */
static int run_filtered(const struct seccomp_filter *f, int (*fn)(void *), void *arg)
{
        int status = 0;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit no_core = {0, 0};
                berth_error err = {0};
                int listener = -1;

                /* SIGSYS dumps core by default: none from the tests that kill on purpose. */
                setrlimit(RLIMIT_CORE, &no_core);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_install(f, &listener, &err) < 0)
                        _exit(200);
                /* exit_group(2) itself: the sanitizers' _exit hooks (leak check) make syscalls the filter
                 * may deny, which would change the exit status. */
                syscall(SYS_exit_group, fn(arg));
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static char *scratch_dir(void)
{
        char *dir = xstrdup("/tmp/berth-seccomp-test.XXXXXX");

        assert_non_null(mkdtemp(dir));
        return dir;
}

static void remove_tree(const char *dir)
{
        cleanup_free char *cmd = xasprintf("rm -rf '%s'", dir);

        assert_int_equal(system(cmd), 0);
}

/* ---- parse and validation ---- */

static void test_parse_minimal(void **state)
{
        struct seccomp_profile *p = parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");

        assert_int_equal(p->default_action, 0x7fff0000U);
        assert_int_equal(p->n_rules, 0);
        assert_false(p->has_notify);
        seccomp_profile_free(p);
}

static void test_parse_full(void **state)
{
        struct seccomp_profile *p = parse_ok(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
                " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
                " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_TSYNC\"],"
                " \"syscalls\": ["
                "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
                "   \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
                "              {\"index\": 1, \"value\": 3, \"valueTwo\": 1, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                "  {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7},"
                "  {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");

        assert_int_equal(p->default_action, 0x00050000U | 38);
        assert_int_equal(p->n_archs, 3);
        assert_true(p->flags_given);
        assert_int_equal(p->flags, 2 | 1);
        assert_int_equal(p->n_rules, 4);
        assert_int_equal(p->rules[0].n_syscalls, 2);
        assert_int_equal(p->rules[1].n_args, 2);
        assert_false(p->rules[1].split_args);
        assert_int_equal(p->rules[1].args[1].value_two, 1);
        assert_int_equal(p->rules[2].action, 0x7ff00000U | 7);
        assert_int_equal(p->rules[3].action, 0x00050000U | EPERM); /* errnoRet defaults to EPERM */
        seccomp_profile_free(p);
}

static void test_parse_errors(void **state)
{
        expect_parse_error("[]", "linux.seccomp: expected an object, got array");
        expect_parse_error("{}", "linux.seccomp.defaultAction: required field is missing");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_BOGUS\"}",
                           "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BOGUS\" (known: SCMP_ACT_ALLOW, "
                           "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_LOG, "
                           "SCMP_ACT_NOTIFY, SCMP_ACT_TRACE, SCMP_ACT_TRAP)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_KILL\", \"defaultErrnoRet\": 5}",
                           "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno (only SCMP_ACT_ERRNO and "
                           "SCMP_ACT_TRACE do)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/x\"}",
                           "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
                           "\"SCMP_ARCH_Z80\"]}",
                           "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\" (known: "
                           "SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64, SCMP_ARCH_MIPS64N32, "
                           "SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PARISC, "
                           "SCMP_ARCH_PARISC64, SCMP_ARCH_PPC, SCMP_ARCH_PPC64, SCMP_ARCH_PPC64LE, SCMP_ARCH_RISCV64, "
                           "SCMP_ARCH_S390, SCMP_ARCH_S390X, SCMP_ARCH_X32, SCMP_ARCH_X86, SCMP_ARCH_X86_64)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
                           "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\" (known: "
                           "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW, "
                           "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"m\"}",
                           "linux.seccomp.listenerMetadata: set without listenerPath");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                           "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                           "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"@abstract\", \"syscalls\": "
                           "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                           "linux.seccomp.listenerPath: \"@abstract\" is not an absolute path");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/s\", \"syscalls\": "
                           "[{\"names\": [\"getpid\", \"write\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                           "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for write: the runtime needs "
                           "it to hand the listener over");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], \"action\": "
                           "\"SCMP_ACT_ERRNO\"}]}",
                           "linux.seccomp.syscalls[0].names: must contain at least one name");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\", 3], "
                           "\"action\": \"SCMP_ACT_ERRNO\"}]}",
                           "linux.seccomp.syscalls[0].names[1]: expected a syscall name, got integer");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
                           "linux.seccomp.syscalls[0].action: required field is missing");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                           "\"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                           "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and "
                           "SCMP_ACT_TRACE do)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                           "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 65536}]}",
                           "linux.seccomp.syscalls[0].errnoRet: 65536 is out of range 0-65535");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                           "{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                           "{\"names\": [\"b\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                           "{\"names\": [\"c\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                           "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
                           "[{\"index\": 7, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                           "linux.seccomp.syscalls[3].args[0].index: 7 is out of range 0-5");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                           "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 0, \"op\": "
                           "\"SCMP_CMP_APPROX\"}]}]}",
                           "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_APPROX\" (known: "
                           "SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_LE, SCMP_CMP_LT, SCMP_CMP_MASKED_EQ, "
                           "SCMP_CMP_NE)");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                           "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                           "linux.seccomp.syscalls[0].args[0].value: required field is missing");
        expect_parse_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                           "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": -1, \"value\": 0, \"op\": "
                           "\"SCMP_CMP_EQ\"}]}]}",
                           "linux.seccomp.syscalls[0].args[0].index: expected an unsigned integer, got integer");
}

static void test_parse_listener_ignored_without_notify(void **state)
{
        /* runtime-spec: listenerPath "is ignored" when no rule notifies: even an unusable one. */
        struct seccomp_profile *p = parse_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"\","
                                             " \"listenerMetadata\": \"m\"}");

        assert_false(p->has_notify);
        seccomp_profile_free(p);
}

static void test_parse_unknown_syscalls_skipped(void **state)
{
        struct seccomp_profile *p = parse_ok(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", \"no_such_call\", "
                "\"frobnicate\", \"no_such_call\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
        char *const *unknown = seccomp_profile_unknown_syscalls(p);

        assert_int_equal(p->rules[0].n_syscalls, 1);
        assert_string_equal(p->rules[0].names[0], "mkdir");
        assert_string_equal(unknown[0], "no_such_call");
        assert_string_equal(unknown[1], "frobnicate");
        assert_null(unknown[2]);
        seccomp_profile_free(p);
}

static void test_parse_repeated_index_splits(void **state)
{
        struct seccomp_profile *p = parse_ok(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"personality\"], \"action\": "
                "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 0, "
                "\"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}");

        assert_true(p->rules[0].split_args);
        seccomp_profile_free(p);
}

/* ---- the program's behaviour ---- */

static int call_mkdir(void *path)
{
        /* mkdir(2) itself (glibc's mkdir() may use mkdirat). */
        return syscall(SYS_mkdir, (const char *) path, 0700) < 0 ? errno : 0;
}

static void test_errno_action(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *target = xasprintf("%s/d", dir);
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                              "\"errnoRet\": 38}]}",
                                              NULL);
        int status = run_filtered(f, call_mkdir, target);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), ENOSYS);
        assert_int_equal(access(target, F_OK), -1); /* not made */
        seccomp_filter_free(f);
        remove_tree(dir);
}

static void test_default_errno_eperm(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *target = xasprintf("%s/d", dir);
        /* Everything but what the child needs to exit is denied, with the default errno. */
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
                                              "[\"exit_group\", \"exit\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                                              NULL);
        int status = run_filtered(f, call_mkdir, target);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EPERM);
        seccomp_filter_free(f);
        remove_tree(dir);
}

static void test_kill_action(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *target = xasprintf("%s/d", dir);
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"mkdir\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}",
                                              NULL);
        int status = run_filtered(f, call_mkdir, target);

        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
        seccomp_filter_free(f);
        remove_tree(dir);
}

/* personality(2) with a chosen second register: the kernel ignores it, the filter sees it. */
struct personality_call {
        unsigned long value;
        unsigned long second;
};

static int call_personality(void *arg)
{
        const struct personality_call *c = arg;

        return syscall(SYS_personality, c->value, c->second) < 0 ? errno : 0;
}

static int personality_result2(const struct seccomp_filter *f, unsigned long value, unsigned long second)
{
        struct personality_call c = {value, second};
        int status = run_filtered(f, call_personality, &c);

        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static int personality_result(const struct seccomp_filter *f, unsigned long value)
{
        return personality_result2(f, value, 0);
}

static void test_args_and(void **state)
{
        struct seccomp_filter *f = prepare_ok(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22, \"args\": ["
                "  {\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_NE\"},"
                "  {\"index\": 1, \"value\": 5, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                NULL);

        /* Conditions on distinct arguments of one entry are ANDed: EINVAL only when both hold. */
        assert_int_equal(personality_result2(f, PER_LINUX32, 5), EINVAL);
        assert_int_equal(personality_result2(f, PER_LINUX32, 0), 0);
        assert_int_equal(personality_result2(f, 0xffffffffUL, 5), 0);
        seccomp_filter_free(f);
}

static void test_args_masked_eq(void **state)
{
        struct seccomp_filter *f = prepare_ok(
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                " {\"names\": [\"exit_group\", \"exit\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
                "  {\"index\": 0, \"value\": 65280, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
                NULL);

        /* (arg & 0xff00) == 0 passes, anything with a bit in 0xff00 gets the default EPERM. */
        assert_int_equal(personality_result(f, PER_LINUX32), 0);
        assert_int_equal(personality_result(f, 0x0100), EPERM);
        seccomp_filter_free(f);
}

static void test_args_repeated_index_or(void **state)
{
        struct seccomp_filter *f = prepare_ok(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7, \"args\": ["
                "  {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
                "  {\"index\": 0, \"value\": 131072, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                NULL);

        /* runc's rule: a repeated index makes each condition a rule of its own: either value is denied. */
        assert_int_equal(personality_result(f, 8), E2BIG);
        assert_int_equal(personality_result(f, 131072), E2BIG);
        assert_int_equal(personality_result(f, 0xffffffffUL), 0);
        seccomp_filter_free(f);
}

static int call_getpid(void *arg)
{
        return syscall(SYS_getpid) > 0 ? 0 : errno;
}

static void test_trace_without_tracer(void **state)
{
        /* seccomp(2): with no tracer, a TRACE'd syscall fails with ENOSYS. */
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"personality\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 5}]}",
                                              NULL);

        assert_int_equal(personality_result(f, 0xffffffffUL), ENOSYS);
        seccomp_filter_free(f);
}

static void test_log_allows(void **state)
{
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"getpid\"], \"action\": \"SCMP_ACT_LOG\"}]}",
                                              NULL);
        int status = run_filtered(f, call_getpid, NULL);
        bool returns_log = false;

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* The program does return SECCOMP_RET_LOG somewhere (the kernel's log itself: seccomp.bats). */
        for (size_t i = 0; i < f->n_insns; i++)
                returns_log = returns_log || (f->insns[i].code == (BPF_RET | BPF_K) && f->insns[i].k == SECCOMP_RET_LOG);
        assert_true(returns_log);
        seccomp_filter_free(f);
}

static void test_flags(void **state)
{
        struct seccomp_filter *f;

        f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"]}", NULL);
        assert_int_equal(f->flags, SECCOMP_FILTER_FLAG_LOG);
        seccomp_filter_free(f);
        f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": []}", NULL);
        assert_int_equal(f->flags, 0);
        seccomp_filter_free(f);
        /* Absent: SPEC_ALLOW, as upstream runc (when the kernel knows it). */
        f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", NULL);
        assert_int_equal(f->flags, seccomp_kernel_supports_flag(SECCOMP_FILTER_FLAG_SPEC_ALLOW) ? 4 : 0);
        seccomp_filter_free(f);
        f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/s\", \"flags\": "
                       "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"], \"syscalls\": "
                       "[{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                       NULL);
        assert_int_equal(f->flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV |
                                           SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
        seccomp_filter_free(f);
        /* Without a listener, WAIT_KILLABLE_RECV means nothing and the kernel would refuse it. */
        f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
                       "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
                       NULL);
        assert_int_equal(f->flags, 0);
        seccomp_filter_free(f);
}

static void test_rule_equal_to_default_skipped(void **state)
{
        /* libseccomp refuses it (EACCES); it changes nothing, so it is skipped. */
        struct seccomp_filter *f = prepare_ok("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                                              " {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                                              NULL);

        assert_true(f->n_insns > 0);
        seccomp_filter_free(f);
}

/* ---- the cache ---- */

static const char *const cache_profile = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                         "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}";

static char *cache_file(const char *dir, const char *profile)
{
        struct seccomp_profile *p = parse_ok(profile);
        uint8_t key[SECCOMP_CACHE_KEY_SIZE];
        char hex[SECCOMP_CACHE_KEY_HEX + 1];

        seccomp_cache_key(p, key);
        seccomp_cache_key_hex(key, hex);
        seccomp_profile_free(p);
        return xasprintf("%s/%s", dir, hex);
}

static void test_cache_roundtrip(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *cache = xasprintf("%s/a/b/cache", dir);
        cleanup_free char *file = cache_file(cache, cache_profile);
        struct seccomp_filter *cold = prepare_ok(cache_profile, cache), *warm;
        struct stat st;

        assert_false(seccomp_filter_from_cache(cold));
        assert_null(seccomp_filter_cache_note(cold));
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_size, sizeof(struct seccomp_cache_header) + cold->n_insns * 8);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(stat(cache, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        warm = prepare_ok(cache_profile, cache);
        assert_true(seccomp_filter_from_cache(warm));
        assert_int_equal(warm->n_insns, cold->n_insns);
        assert_memory_equal(warm->insns, cold->insns, cold->n_insns * 8);
        /* The cached program behaves as the compiled one. */
        cleanup_free char *target = xasprintf("%s/d", dir);
        int status = run_filtered(warm, call_mkdir, target);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), ENOSYS);
        seccomp_filter_free(cold);
        seccomp_filter_free(warm);
        remove_tree(dir);
}

static void test_cache_key(void **state)
{
        cleanup_free char *a = cache_file("", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
        /* The same profile, keys in another order and other spacing: the same key. */
        cleanup_free char *b = cache_file("", "{\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\",\"names\":[\"mkdir\"]}],"
                                              "\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
        /* Another errno: another key. */
        cleanup_free char *c = cache_file("", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                              "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 2}]}");

        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_int_equal(strlen(a), 1 + 64);
}

static void corrupt(const char *file, off_t offset, const char *bytes, size_t len, bool truncate_there)
{
        cleanup_close int fd = open(file, O_WRONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        if (truncate_there)
                assert_int_equal(ftruncate(fd, offset), 0);
        else
                assert_int_equal(pwrite(fd, bytes, len, offset), (ssize_t) len);
}

static void expect_cache_miss_then_repair(const char *cache, const char *file)
{
        struct seccomp_filter *f = prepare_ok(cache_profile, cache);

        assert_false(seccomp_filter_from_cache(f)); /* compiled, not trusted */
        seccomp_filter_free(f);
        f = prepare_ok(cache_profile, cache); /* and rewritten */
        assert_true(seccomp_filter_from_cache(f));
        seccomp_filter_free(f);
}

static void test_cache_verification(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *file = cache_file(dir, cache_profile);
        struct seccomp_filter *f = prepare_ok(cache_profile, dir);
        size_t header = sizeof(struct seccomp_cache_header);

        seccomp_filter_free(f);
        corrupt(file, (off_t) header + 3, "\x42", 1, false); /* a flipped byte in the program */
        expect_cache_miss_then_repair(dir, file);
        corrupt(file, (off_t) header + 8, NULL, 0, true); /* truncated on an instruction boundary */
        expect_cache_miss_then_repair(dir, file);
        corrupt(file, (off_t) header + 5, NULL, 0, true); /* truncated mid-instruction */
        expect_cache_miss_then_repair(dir, file);
        corrupt(file, offsetof(struct seccomp_cache_header, key), "\0\0\0\0", 4, false); /* another key */
        expect_cache_miss_then_repair(dir, file);
        corrupt(file, 0, "XXXX", 4, false); /* bad magic */
        expect_cache_miss_then_repair(dir, file);
        corrupt(file, 0, NULL, 0, true); /* empty */
        expect_cache_miss_then_repair(dir, file);
        remove_tree(dir);
}

static void test_cache_unwritable(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *blocker = xasprintf("%s/file", dir);
        cleanup_free char *cache = xasprintf("%s/file/cache", dir); /* under a regular file: cannot exist */
        struct seccomp_filter *f;

        assert_int_equal(write_file_atomic_at(AT_FDCWD, blocker, "x", 1, 0600, false, NULL), 0);
        f = prepare_ok(cache_profile, cache);
        assert_false(seccomp_filter_from_cache(f));
        assert_non_null(seccomp_filter_cache_note(f));
        assert_non_null(strstr(seccomp_filter_cache_note(f), "Not a directory"));
        assert_true(f->n_insns > 0);
        seccomp_filter_free(f);
        remove_tree(dir);
}

/* ---- the notify listener ---- */

static void test_process_state(void **state)
{
        cleanup_free char *out = NULL;
        cleanup_json json_t *j = NULL;
        berth_error err = {0};

        assert_int_equal(seccomp_process_state("{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\","
                                               "\"pid\":42,\"bundle\":\"/b\"}",
                                               "meta", &out, &err),
                         0);
        j = load(out);
        assert_string_equal(json_string_value(json_object_get(j, "ociVersion")), "1.2.0");
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "fds"), 0)), "seccompFd");
        assert_int_equal(json_array_size(json_object_get(j, "fds")), 1);
        assert_int_equal(json_integer_value(json_object_get(j, "pid")), 42);
        assert_string_equal(json_string_value(json_object_get(j, "metadata")), "meta");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "state"), "id")), "c1");
        free(steal_pointer(&out));
        assert_true(seccomp_process_state("{\"id\":\"c1\"}", NULL, &out, &err) < 0);
        assert_null(out);
        berth_error_clear(&err);
}

static int child_notify(void *arg)
{
        return 0;
}

static void test_listener_handoff(void **state)
{
        cleanup_free char *dir = scratch_dir();
        cleanup_free char *sock_path = xasprintf("%s/agent.sock", dir);
        cleanup_free char *profile = xasprintf("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\", "
                                               "\"listenerMetadata\": \"hello\", \"syscalls\": [{\"names\": "
                                               "[\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                                               sock_path);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        struct seccomp_filter *f = prepare_ok(profile, NULL);
        cleanup_close int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cleanup_close int conn = -1, received = -1;
        char buf[4096] = {0}, control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        char link[256] = {0}, fdpath[64];
        berth_error err = {0};
        int sp[2], status, listener = -1;
        cleanup_json json_t *payload = NULL;
        pid_t pid;

        assert_string_equal(seccomp_filter_listener_path(f), sock_path);
        assert_string_equal(seccomp_filter_listener_metadata(f), "hello");
        strcpy(addr.sun_path, sock_path);
        assert_int_equal(bind(server, (struct sockaddr *) &addr, sizeof(addr)), 0);
        assert_int_equal(listen(server, 1), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* The container's init: install, hand the listener to the parent. */
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_filter_install(f, &listener, &err) < 0 ||
                    listener < 0 || fd_send(sp[1], listener, "L", 1, &err) < 0)
                        _exit(1);
                _exit(child_notify(NULL));
        }
        close(sp[1]);
        assert_int_equal(fd_receive(sp[0], &listener, &err), 0);
        close(sp[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(seccomp_filter_send_listener(f, listener,
                                                      "{\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"status\":"
                                                      "\"creating\",\"pid\":7,\"bundle\":\"/b\"}",
                                                      &err),
                         0);
        close(listener);
        /* The agent's side: one connection, the fd in SCM_RIGHTS, the state as payload. */
        conn = accept4(server, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        assert_true(recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0);
        assert_non_null(CMSG_FIRSTHDR(&msg));
        assert_int_equal(CMSG_FIRSTHDR(&msg)->cmsg_type, SCM_RIGHTS);
        memcpy(&received, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", received);
        assert_true(readlink(fdpath, link, sizeof(link) - 1) > 0);
        assert_string_equal(link, "anon_inode:seccomp notify");
        payload = load(buf);
        assert_string_equal(json_string_value(json_object_get(payload, "metadata")), "hello");
        assert_int_equal(json_integer_value(json_object_get(payload, "pid")), 7);
        assert_int_equal(recv(conn, buf, sizeof(buf), 0), 0); /* closed after one state */
        seccomp_filter_free(f);
        remove_tree(dir);
}

static void test_listener_unreachable(void **state)
{
        berth_error err = {0};

        assert_true(seccomp_send_listener("/nonexistent/agent.sock", 0, "{}", &err) < 0);
        assert_string_equal(berth_error_message(&err),
                            "connect to the seccomp listener /nonexistent/agent.sock: No such file or directory");
        berth_error_clear(&err);
}

/* ---- the default profile and features ---- */

static json_t *rule_for(json_t *profile, const char *name, const char *action)
{
        json_t *rule, *n;
        size_t i, j;

        json_array_foreach (json_object_get(profile, "syscalls"), i, rule) {
                if (strcmp(json_string_value(json_object_get(rule, "action")), action) != 0)
                        continue;
                json_array_foreach (json_object_get(rule, "names"), j, n)
                        if (strcmp(json_string_value(n), name) == 0)
                                return rule;
        }
        return NULL;
}

static void test_default_profile(void **state)
{
        cleanup_json json_t *p = seccomp_default_profile();
        cleanup_json json_t *admin = seccomp_docker_profile(UINT64_C(1) << 21); /* CAP_SYS_ADMIN */
        json_t *clone, *clone3;
        struct seccomp_profile *parsed = NULL;
        struct seccomp_filter *f = NULL;
        berth_error err = {0};

        assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
#if defined(__x86_64__)
        assert_int_equal(json_array_size(json_object_get(p, "architectures")), 3);
        assert_non_null(rule_for(p, "arch_prctl", "SCMP_ACT_ALLOW"));
#endif
        assert_non_null(rule_for(p, "read", "SCMP_ACT_ALLOW"));
        assert_non_null(rule_for(p, "chroot", "SCMP_ACT_ALLOW")); /* CAP_SYS_CHROOT is a default cap */
        assert_non_null(rule_for(p, "ptrace", "SCMP_ACT_ALLOW")); /* kernel >= 4.8 */
        assert_null(rule_for(p, "unshare", "SCMP_ACT_ALLOW"));
        assert_null(rule_for(p, "mount", "SCMP_ACT_ALLOW"));
        assert_null(rule_for(p, "keyctl", "SCMP_ACT_ALLOW"));
        assert_null(rule_for(p, "reboot", "SCMP_ACT_ALLOW"));
        clone = rule_for(p, "clone", "SCMP_ACT_ALLOW");
        assert_non_null(clone);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(clone, "args"), 0), "op")),
                            "SCMP_CMP_MASKED_EQ");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(clone, "args"), 0),
                                                            "value")),
                         0x7e020000);
        clone3 = rule_for(p, "clone3", "SCMP_ACT_ERRNO");
        assert_non_null(clone3);
        assert_int_equal(json_integer_value(json_object_get(clone3, "errnoRet")), ENOSYS);
        /* With CAP_SYS_ADMIN, Docker allows the namespace syscalls and drops the clone restrictions. */
        assert_non_null(rule_for(admin, "unshare", "SCMP_ACT_ALLOW"));
        assert_null(rule_for(admin, "clone3", "SCMP_ACT_ERRNO"));
        assert_null(rule_for(admin, "chroot", "SCMP_ACT_ALLOW"));
        /* And it is a profile we take. */
        assert_int_equal(seccomp_profile_parse(p, &parsed, &err), 0);
        assert_int_equal(seccomp_filter_prepare(parsed, NULL, &f, &err), 0);
        assert_true(f->n_insns > 100);
        seccomp_filter_free(f);
        seccomp_profile_free(parsed);
}

static int call_unshare(void *arg)
{
        return syscall(SYS_unshare, 0x40000000 /* CLONE_NEWNET */) < 0 ? errno : 0;
}

static void test_default_profile_enforced(void **state)
{
        cleanup_json json_t *p = seccomp_default_profile();
        cleanup_free char *text = json_to_string(p);
        struct seccomp_filter *f = prepare_ok(text, NULL);
        int status = run_filtered(f, call_unshare, NULL);

        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), EPERM);
        status = run_filtered(f, call_getpid, NULL);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        seccomp_filter_free(f);
}

static void test_features(void **state)
{
        cleanup_json json_t *f = seccomp_features();
        json_t *known = json_object_get(f, "knownFlags"), *supported = json_object_get(f, "supportedFlags"), *v;
        size_t i;

        assert_true(json_is_true(json_object_get(f, "enabled")));
        assert_int_equal(json_array_size(json_object_get(f, "actions")), 9);
        assert_int_equal(json_array_size(json_object_get(f, "operators")), 7);
        assert_int_equal(json_array_size(json_object_get(f, "archs")), 19);
        assert_int_equal(json_array_size(known), 4);
        /* supportedFlags is a subset of knownFlags; this kernel (>= 5.19) takes all four. */
        json_array_foreach (supported, i, v) {
                bool found = false;
                json_t *k;
                size_t j;
                json_array_foreach (known, j, k)
                        found = found || json_equal(k, v);
                assert_true(found);
        }
        assert_true(seccomp_kernel_supports_flag(SECCOMP_FILTER_FLAG_LOG));
        cleanup_free char *version = seccomp_library_version();
        unsigned int major = 0, minor = 0, micro = 0;
        assert_int_equal(sscanf(version, "%u.%u.%u", &major, &minor, &micro), 3);
        assert_true(major == 2 && minor >= 5); /* 2.5 is the oldest with what berth uses */
        assert_false(seccomp_kernel_supports_flag(1U << 20));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_minimal),
                cmocka_unit_test(test_parse_full),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_parse_listener_ignored_without_notify),
                cmocka_unit_test(test_parse_unknown_syscalls_skipped),
                cmocka_unit_test(test_parse_repeated_index_splits),
                cmocka_unit_test(test_errno_action),
                cmocka_unit_test(test_default_errno_eperm),
                cmocka_unit_test(test_kill_action),
                cmocka_unit_test(test_args_and),
                cmocka_unit_test(test_args_masked_eq),
                cmocka_unit_test(test_args_repeated_index_or),
                cmocka_unit_test(test_trace_without_tracer),
                cmocka_unit_test(test_log_allows),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_rule_equal_to_default_skipped),
                cmocka_unit_test(test_cache_roundtrip),
                cmocka_unit_test(test_cache_key),
                cmocka_unit_test(test_cache_verification),
                cmocka_unit_test(test_cache_unwritable),
                cmocka_unit_test(test_process_state),
                cmocka_unit_test(test_listener_handoff),
                cmocka_unit_test(test_listener_unreachable),
                cmocka_unit_test(test_default_profile),
                cmocka_unit_test(test_default_profile_enforced),
                cmocka_unit_test(test_features),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
