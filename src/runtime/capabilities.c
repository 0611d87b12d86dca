#include "runtime/capabilities.h"

#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "lib/cleanup.h"
#include "lib/util.h"

static void cap_free_ptr(cap_t *c)
{
        if (*c != NULL)
                cap_free(*c);
}
#define cleanup_cap __attribute__((cleanup(cap_free_ptr)))

int capabilities_prepare(const struct spec_capabilities *caps, berth_error *err)
{
        int last = spec_capability_last();

        if (!caps->present)
                return 0;
        for (int cap = 0; cap <= last; cap++) {
                if (caps->bounding & (UINT64_C(1) << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return berth_fail(err, errno, "drop %s from the bounding set", spec_capability_name(cap));
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
        return 0;
}

int capabilities_keep_across_setuid(berth_error *err)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_KEEPCAPS)");
        return 0;
}

int capabilities_raise_sys_admin(berth_error *err)
{
        cleanup_cap cap_t c = cap_get_proc();
        cap_value_t v = CAP_SYS_ADMIN;

        if (c == NULL)
                return berth_fail(err, errno, "cap_get_proc");
        if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 || cap_set_proc(c) < 0)
                return berth_fail(err, errno, "make CAP_SYS_ADMIN effective to install the seccomp filter");
        return 0;
}

int capabilities_drop_all(berth_error *err)
{
        cleanup_cap cap_t c = cap_init();

        if (c == NULL)
                return berth_fail(err, errno, "cap_init");
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
        if (cap_set_proc(c) < 0)
                return berth_fail(err, errno, "drop every capability");
        return 0;
}

static int set_flag(cap_t c, cap_flag_t flag, uint64_t set, int last)
{
        for (int cap = 0; cap <= last; cap++) {
                cap_value_t v = cap;
                if (cap_set_flag(c, flag, 1, &v, (set & (UINT64_C(1) << cap)) ? CAP_SET : CAP_CLEAR) < 0)
                        return -errno;
        }
        return 0;
}

int capabilities_apply(const struct spec_capabilities *caps, berth_error *err)
{
        cleanup_cap cap_t c = NULL;
        int last = spec_capability_last();
        int r;

        if (!caps->present)
                return 0;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return berth_fail(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
        c = cap_init();
        if (c == NULL)
                return berth_fail(err, errno, "cap_init");
        if ((r = set_flag(c, CAP_EFFECTIVE, caps->effective, last)) < 0 ||
            (r = set_flag(c, CAP_PERMITTED, caps->permitted, last)) < 0 ||
            (r = set_flag(c, CAP_INHERITABLE, caps->inheritable, last)) < 0)
                return berth_fail(err, -r, "build capability sets");
        if (cap_set_proc(c) < 0)
                return berth_fail(err, errno, "set capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
                                  (unsigned long long) caps->effective, (unsigned long long) caps->permitted,
                                  (unsigned long long) caps->inheritable);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return berth_fail(err, errno, "clear ambient capabilities");
        for (int cap = 0; cap <= last; cap++) {
                uint64_t bit = UINT64_C(1) << cap;
                if (!(caps->ambient & bit))
                        continue;
                /* The kernel keeps an ambient capability only if it is permitted and inheritable. runc's own
                 * default spec lists ambient ones without an inheritable set, and runc leaves them out
                 * silently (its tests expect CapAmb 0 there): do the same rather than fail every such config. */
                if (!(caps->permitted & bit) || !(caps->inheritable & bit))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return berth_fail(err, errno, "raise ambient capability %s", spec_capability_name(cap));
        }
        return 0;
}
