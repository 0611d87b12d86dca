/* Unit tests for the device cgroup rules (src/runtime/cgroup_devices.c, cgroup_devices_bpf.c): the list a
 * container gets (spec rules, runc's defaults, linux.devices), its v1 spelling, and the v2 BPF program,
 * which is run here by a small interpreter of the instructions it uses and compared with the reference
 * semantics (cgroup_devices_evaluate) on fixed and on random rule sets. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/cgroup_internal.h"
#include "lib/json.h"

/* ---- a BPF interpreter for the subset the device program uses ---- */

static int run_program(const struct bpf_insn *insns, size_t n, char type, uint32_t major, uint32_t minor,
                       unsigned access)
{
        uint32_t ctx[3] = {(uint32_t) (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major,
                           minor};
        uint64_t reg[11] = {0};
        size_t pc = 0;
        int steps = 0;

        reg[1] = (uint64_t) (uintptr_t) ctx;
        while (pc < n) {
                const struct bpf_insn *i = &insns[pc++];
                uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code), src = BPF_SRC(i->code);
                uint64_t operand = src == BPF_X ? reg[i->src_reg] : (uint64_t) (int64_t) i->imm;

                if (++steps > 100000)
                        fail_msg("program does not terminate");
                switch (cls) {
                case BPF_LDX:
                        assert_int_equal(BPF_SIZE(i->code), BPF_W);
                        assert_true(i->src_reg == 1 && i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
                        reg[i->dst_reg] = ctx[i->off / 4];
                        break;
                case BPF_ALU:
                case BPF_ALU64: {
                        uint64_t v = reg[i->dst_reg];
                        if (op == BPF_MOV)
                                v = operand;
                        else if (op == BPF_AND)
                                v &= operand;
                        else if (op == BPF_RSH)
                                v >>= (operand & 63);
                        else
                                fail_msg("unexpected ALU op %#x", op);
                        reg[i->dst_reg] = cls == BPF_ALU ? (uint32_t) v : v;
                        break;
                }
                case BPF_JMP:
                case BPF_JMP32: {
                        if (op == BPF_EXIT)
                                return (int) reg[0];
                        uint64_t a = reg[i->dst_reg], b = operand;
                        if (cls == BPF_JMP32) {
                                a = (uint32_t) a;
                                b = (uint32_t) b;
                        }
                        if (op != BPF_JNE && op != BPF_JEQ)
                                fail_msg("unexpected jump op %#x", op);
                        bool taken = op == BPF_JNE ? a != b : a == b;
                        if (taken)
                                pc += (size_t) (int64_t) i->off;
                        break;
                }
                default:
                        fail_msg("unexpected instruction class %#x", cls);
                }
        }
        fail_msg("fell off the end of the program");
        return -1;
}

static bool bpf_allows(const struct cgroup_device_rule *rules, size_t n, char type, uint32_t maj, uint32_t min,
                       unsigned access)
{
        struct bpf_insn *insns = NULL;
        size_t count = 0;
        int r;

        cgroup_devices_bpf_build(rules, n, &insns, &count);
        r = run_program(insns, count, type, maj, min, access);
        free(insns);
        return r == 1;
}

/* ---- the container's list ---- */

static struct cgroup_resources *parse(const char *text)
{
        json_t *j = json_loads(text, 0, NULL);
        struct cgroup_resources *r = NULL;
        berth_error err = {0};

        assert_non_null(j);
        if (cgroup_resources_parse(j, &r, &err) < 0)
                fail_msg("%s", berth_error_message(&err));
        json_decref(j);
        return r;
}

/* runc's default spec: deny everything, then runc's defaults are appended. */
static const char default_spec[] = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}";

static void test_default_list(void **state)
{
        struct cgroup_resources *r = parse(default_spec);
        struct spec_device devs[] = {{.path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229},
                                     {.path = "/dev/loop7", .type = 'b', .major = 7, .minor = 7},
                                     {.path = "/dev/fifo", .type = 'p'}};
        struct cgroup_device_rule *rules = NULL;
        size_t n = 0;
        char line[64];

        (void) state;
        cgroup_devices_build(r, devs, 3, &rules, &n);
        assert_int_equal(n, 1 + 11 + 2); /* the fifo is not a device for the cgroup */
        cgroup_device_rule_v1_string(&rules[0], line, sizeof(line));
        assert_string_equal(line, "a *:* rwm");
        cgroup_device_rule_v1_string(&rules[1], line, sizeof(line));
        assert_string_equal(line, "c *:* m");
        cgroup_device_rule_v1_string(&rules[3], line, sizeof(line));
        assert_string_equal(line, "c 1:3 rwm");
        cgroup_device_rule_v1_string(&rules[9], line, sizeof(line));
        assert_string_equal(line, "c 136:* rwm");
        cgroup_device_rule_v1_string(&rules[11], line, sizeof(line));
        assert_string_equal(line, "c 10:200 rwm");
        cgroup_device_rule_v1_string(&rules[13], line, sizeof(line));
        assert_string_equal(line, "b 7:7 rwm");

        /* What a container may do, by the reference semantics and by the program. */
        const struct {
                char type;
                uint32_t maj, min;
                unsigned acc;
                bool allowed;
        } cases[] = {
                {'c', 1, 3, CG_ACC_READ | CG_ACC_WRITE, true},   /* /dev/null */
                {'c', 1, 9, CG_ACC_READ, true},                  /* /dev/urandom */
                {'c', 5, 2, CG_ACC_READ | CG_ACC_WRITE, true},   /* /dev/ptmx */
                {'c', 136, 7, CG_ACC_ALL, true},                 /* /dev/pts/7 */
                {'c', 10, 200, CG_ACC_READ, true},               /* /dev/net/tun */
                {'c', 10, 229, CG_ACC_READ, true},               /* linux.devices /dev/fuse */
                {'b', 7, 7, CG_ACC_READ | CG_ACC_WRITE, true},   /* linux.devices /dev/loop7 */
                {'c', 4, 1, CG_ACC_MKNOD, true},                 /* mknod of any char device... */
                {'c', 4, 1, CG_ACC_READ, false},                 /* ...but not opening it */
                {'b', 8, 0, CG_ACC_MKNOD, true},
                {'b', 8, 0, CG_ACC_READ, false},                 /* the host's disk */
                {'b', 7, 6, CG_ACC_READ, false},                 /* another loop device */
                {'c', 1, 1, CG_ACC_READ | CG_ACC_WRITE, false},  /* /dev/mem */
                {'c', 10, 200, CG_ACC_READ | CG_ACC_MKNOD, true},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool ref = cgroup_devices_evaluate(rules, n, cases[i].type, cases[i].maj, cases[i].min, cases[i].acc);
                bool prog = bpf_allows(rules, n, cases[i].type, cases[i].maj, cases[i].min, cases[i].acc);
                if (ref != cases[i].allowed || prog != cases[i].allowed)
                        fail_msg("case %zu (%c %u:%u acc %u): expected %d, reference %d, program %d", i, cases[i].type,
                                 cases[i].maj, cases[i].min, cases[i].acc, cases[i].allowed, ref, prog);
        }
        free(rules);
        cgroup_resources_free(r);
}

static void test_last_match_and_partial_access(void **state)
{
        /* allow all, then deny writes to /dev/null: reads still pass, writes and read+write do not. */
        struct cgroup_device_rule rules[] = {
                {true, 'a', CG_DEV_WILDCARD, CG_DEV_WILDCARD, CG_ACC_ALL},
                {false, 'c', 1, 3, CG_ACC_WRITE},
        };
        (void) state;
        assert_true(bpf_allows(rules, 2, 'c', 1, 3, CG_ACC_READ));
        assert_false(bpf_allows(rules, 2, 'c', 1, 3, CG_ACC_WRITE));
        assert_false(bpf_allows(rules, 2, 'c', 1, 3, CG_ACC_READ | CG_ACC_WRITE));
        assert_true(bpf_allows(rules, 2, 'c', 1, 5, CG_ACC_WRITE));
        assert_true(bpf_allows(rules, 2, 'b', 1, 3, CG_ACC_WRITE)); /* a block device 1:3 is another device */
        /* No rules: nothing is allowed. */
        assert_false(bpf_allows(rules, 0, 'c', 1, 3, CG_ACC_READ));
        /* Read from one rule and write from another combine. */
        struct cgroup_device_rule split[] = {
                {true, 'c', 1, 3, CG_ACC_READ},
                {true, 'c', 1, CG_DEV_WILDCARD, CG_ACC_WRITE},
        };
        assert_true(bpf_allows(split, 2, 'c', 1, 3, CG_ACC_READ | CG_ACC_WRITE));
        assert_false(bpf_allows(split, 2, 'c', 1, 4, CG_ACC_READ | CG_ACC_WRITE));
        /* Numbers above INT32_MAX (the spec's int64) compare as 32-bit values. */
        struct cgroup_device_rule big[] = {{true, 'c', 4000000000LL, 1, CG_ACC_ALL}};
        assert_true(bpf_allows(big, 1, 'c', 4000000000u, 1, CG_ACC_READ));
        assert_false(bpf_allows(big, 1, 'c', 4000000001u, 1, CG_ACC_READ));
}

static void test_random_rule_sets(void **state)
{
        static const char types[] = {'a', 'b', 'c'};
        unsigned seed = 12345;

        (void) state;
        for (int round = 0; round < 300; round++) {
                struct cgroup_device_rule rules[8];
                size_t n = (size_t) (rand_r(&seed) % 8);
                struct bpf_insn *insns = NULL;
                size_t count = 0;

                for (size_t i = 0; i < n; i++) {
                        rules[i].allow = rand_r(&seed) % 2;
                        rules[i].type = types[rand_r(&seed) % 3];
                        rules[i].major = rand_r(&seed) % 3 == 0 ? CG_DEV_WILDCARD : rand_r(&seed) % 3;
                        rules[i].minor = rand_r(&seed) % 3 == 0 ? CG_DEV_WILDCARD : rand_r(&seed) % 3;
                        rules[i].access = 1 + (unsigned) (rand_r(&seed) % 7);
                        if (rules[i].type == 'a')
                                rules[i].major = rules[i].minor = CG_DEV_WILDCARD;
                }
                cgroup_devices_bpf_build(rules, n, &insns, &count);
                for (int t = 0; t < 2; t++)
                        for (uint32_t maj = 0; maj < 3; maj++)
                                for (uint32_t min = 0; min < 3; min++)
                                        for (unsigned acc = 1; acc <= 7; acc++) {
                                                char type = t ? 'b' : 'c';
                                                bool ref = cgroup_devices_evaluate(rules, n, type, maj, min, acc);
                                                bool prog = run_program(insns, count, type, maj, min, acc) == 1;
                                                if (ref != prog)
                                                        fail_msg("round %d: %c %u:%u acc %u: reference %d, program %d",
                                                                 round, type, maj, min, acc, ref, prog);
                                        }
                free(insns);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_list),
                cmocka_unit_test(test_last_match_and_partial_access),
                cmocka_unit_test(test_random_rule_sets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
