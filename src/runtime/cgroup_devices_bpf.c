/* The cgroup v2 device filter. cgroup v2 has no devices.allow: the kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the cgroup (Documentation/admin-guide/cgroup-v2.rst, "Device controller"), as runc and
 * crun do. The program is built here from raw instructions and loaded with bpf(2), without libbpf.
 *
 * Semantics (cgroup_devices_evaluate() is the same in C): each requested access bit (read, write, mknod) is
 * decided by the LAST rule that matches the device and holds that bit; a bit no rule decides is denied. So
 * "deny all, then allow X" behaves as on v1, and a later deny punches a hole into an earlier allow.
 *
 * The program, for rules R0..Rn-1 (visited from the last):
 *     w2 = ctx->access_type & 0xffff   (BPF_DEVCG_DEV_BLOCK / _CHAR)
 *     w3 = ctx->access_type >> 16      (BPF_DEVCG_ACC_* still undecided)
 *     w4 = ctx->major; w5 = ctx->minor
 *   per rule:  if type/major/minor differ goto next
 *     allow:   w3 &= ~access; if w3 != 0 goto next; return 1
 *     deny:    w1 = w3 & access; if w1 == 0 goto next; return 0
 *   return 0
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

struct program {
        struct bpf_insn *insns;
        size_t n, cap;
};

static size_t emit(struct program *p, struct bpf_insn insn)
{
        if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 64;
                p->insns = xrealloc(p->insns, p->cap * sizeof(*p->insns));
        }
        p->insns[p->n] = insn;
        return p->n++;
}

/* "if reg != value goto next": the jump offset is patched when the rule's block is complete. Values above
 * INT32_MAX need a 32-bit compare (the 64-bit one sign-extends its immediate). */
static size_t emit_jne(struct program *p, int reg, int64_t value)
{
        unsigned cls = value > INT32_MAX ? BPF_JMP32 : BPF_JMP;
        return emit(p, INSN(cls | BPF_JNE | BPF_K, reg, 0, 0, (int32_t) (uint32_t) value));
}

static void emit_rule(struct program *p, const struct cgroup_device_rule *rule)
{
        size_t jumps[4], n_jumps = 0;

        if (rule->type != 'a')
                jumps[n_jumps++] = emit_jne(p, BPF_REG_2, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (rule->major != CG_DEV_WILDCARD)
                jumps[n_jumps++] = emit_jne(p, BPF_REG_4, rule->major);
        if (rule->minor != CG_DEV_WILDCARD)
                jumps[n_jumps++] = emit_jne(p, BPF_REG_5, rule->minor);
        if (rule->allow) {
                emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_3, 0, 0, (int32_t) ~rule->access));
                jumps[n_jumps++] = emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 0, 0));
                emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
        } else {
                emit(p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
                emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t) rule->access));
                jumps[n_jumps++] = emit(p, INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0));
                emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
        }
        emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
        for (size_t i = 0; i < n_jumps; i++)
                p->insns[jumps[i]].off = (int16_t) (p->n - jumps[i] - 1);
}

void cgroup_devices_bpf_build(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **out,
                              size_t *n_out)
{
        struct program p = {0};

        /* struct bpf_cgroup_dev_ctx { __u32 access_type; __u32 major; __u32 minor; } */
        emit(&p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0));
        emit(&p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0));
        emit(&p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
        emit(&p, INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
        emit(&p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0));
        emit(&p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0));
        for (size_t i = n; i-- > 0;)
                emit_rule(&p, &rules[i]);
        emit(&p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
        emit(&p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
        *out = p.insns;
        *n_out = p.n;
}

static int bpf_syscall(int cmd, union bpf_attr *attr)
{
        return (int) syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) n;
        attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
        if (log != NULL) {
                attr.log_buf = (uint64_t) (uintptr_t) log;
                attr.log_size = (uint32_t) log_size;
                attr.log_level = 1;
        }
        return bpf_syscall(BPF_PROG_LOAD, &attr);
}

int cgroup_devices_bpf_attach(int cgroup_fd, const char *path, const struct cgroup_device_rule *rules, size_t n,
                              berth_error *err)
{
        cleanup_free struct bpf_insn *insns = NULL;
        cleanup_close int prog = -1;
        union bpf_attr attr;
        size_t count = 0;

        cgroup_devices_bpf_build(rules, n, &insns, &count);
        prog = load_program(insns, count, NULL, 0);
        if (prog < 0) {
                int saved = errno;
                cleanup_free char *log = NULL;
                if (saved == EACCES || saved == EINVAL) { /* the verifier refused it: say why */
                        log = xzalloc(8192);
                        int again = load_program(insns, count, log, 8192);
                        if (again >= 0)
                                close(again);
                        char *nl = strchr(log, '\n');
                        if (nl != NULL)
                                *nl = '\0';
                }
                return berth_fail(err, saved, "load the device filter (BPF_PROG_TYPE_CGROUP_DEVICE) for %s%s%s", path,
                                  log != NULL && log[0] ? ": " : "", log != NULL ? log : "");
        }
        /* ALLOW_MULTI: the programs of the parents keep running too (all must allow), so a nested runtime
         * cannot widen what its own container may access. */
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgroup_fd;
        attr.attach_bpf_fd = (uint32_t) prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (bpf_syscall(BPF_PROG_ATTACH, &attr) < 0)
                return berth_fail(err, errno, "attach the device filter to %s", path);
        return 0;
}
