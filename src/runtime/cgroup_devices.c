/* The device cgroup's rule list: the spec's linux.resources.devices, runc's default allowed devices and the
 * nodes of linux.devices; its v1 spelling (devices.allow / devices.deny) and the semantics that the v2 BPF
 * program (cgroup_devices_bpf.c) implements. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* runc's specconv.AllowedDevices (runc 1.1 and 1.2.4+, tun/tap included again after #4555): appended after the
 * spec's rules, so a config cannot take them away (documented runc behaviour that engines rely on). */
static const struct cgroup_device_rule default_allowed[] = {
        {true, 'c', CG_DEV_WILDCARD, CG_DEV_WILDCARD, CG_ACC_MKNOD}, /* mknod of any device */
        {true, 'b', CG_DEV_WILDCARD, CG_DEV_WILDCARD, CG_ACC_MKNOD},
        {true, 'c', 1, 3, CG_ACC_ALL},                /* /dev/null */
        {true, 'c', 1, 8, CG_ACC_ALL},                /* /dev/random */
        {true, 'c', 1, 7, CG_ACC_ALL},                /* /dev/full */
        {true, 'c', 5, 0, CG_ACC_ALL},                /* /dev/tty */
        {true, 'c', 1, 5, CG_ACC_ALL},                /* /dev/zero */
        {true, 'c', 1, 9, CG_ACC_ALL},                /* /dev/urandom */
        {true, 'c', 136, CG_DEV_WILDCARD, CG_ACC_ALL}, /* /dev/pts/N (and /dev/console, a pts) */
        {true, 'c', 5, 2, CG_ACC_ALL},                /* /dev/ptmx */
        {true, 'c', 10, 200, CG_ACC_ALL},             /* /dev/net/tun */
};

void cgroup_devices_build(const struct cgroup_resources *r, const struct spec_device *devices, size_t n_devices,
                          struct cgroup_device_rule **out, size_t *n_out)
{
        size_t n_spec = r != NULL ? r->n_devices : 0, n = 0;
        struct cgroup_device_rule *rules =
                xmalloc((n_spec + ARRAY_SIZE(default_allowed) + n_devices + 1) * sizeof(*rules));

        for (size_t i = 0; i < n_spec; i++)
                rules[n++] = r->devices[i];
        for (size_t i = 0; i < ARRAY_SIZE(default_allowed); i++)
                rules[n++] = default_allowed[i];
        for (size_t i = 0; i < n_devices; i++) {
                const struct spec_device *d = &devices[i];
                /* FIFOs ('p') are not devices to the device cgroup; 'u' is an unbuffered character device. */
                if (d->type != 'c' && d->type != 'u' && d->type != 'b')
                        continue;
                rules[n++] = (struct cgroup_device_rule){true, d->type == 'b' ? 'b' : 'c', d->major, d->minor,
                                                         CG_ACC_ALL};
        }
        *out = rules;
        *n_out = n;
}

static void format_number(int64_t v, char *buf, size_t size)
{
        if (v == CG_DEV_WILDCARD)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, v);
}

void cgroup_device_rule_v1_string(const struct cgroup_device_rule *rule, char *buf, size_t size)
{
        char major[24], minor[24], access[4];
        size_t a = 0;

        if (rule->access & CG_ACC_READ)
                access[a++] = 'r';
        if (rule->access & CG_ACC_WRITE)
                access[a++] = 'w';
        if (rule->access & CG_ACC_MKNOD)
                access[a++] = 'm';
        access[a] = '\0';
        format_number(rule->major, major, sizeof(major));
        format_number(rule->minor, minor, sizeof(minor));
        snprintf(buf, size, "%c %s:%s %s", rule->type, major, minor, access);
}

static bool rule_matches(const struct cgroup_device_rule *rule, char type, uint32_t major, uint32_t minor)
{
        if (rule->type != 'a' && rule->type != type)
                return false;
        if (rule->major != CG_DEV_WILDCARD && (uint32_t) rule->major != major)
                return false;
        return rule->minor == CG_DEV_WILDCARD || (uint32_t) rule->minor == minor;
}

bool cgroup_devices_evaluate(const struct cgroup_device_rule *rules, size_t n, char type, uint32_t major,
                             uint32_t minor, unsigned access)
{
        unsigned pending = access;

        for (size_t i = n; i-- > 0;) {
                const struct cgroup_device_rule *rule = &rules[i];

                if (!rule_matches(rule, type, major, minor) || (pending & rule->access) == 0)
                        continue;
                if (!rule->allow)
                        return false;
                pending &= ~rule->access;
                if (pending == 0)
                        return true;
        }
        return false;
}
