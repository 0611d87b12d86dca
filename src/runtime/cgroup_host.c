/* What the host's cgroup filesystems look like: /proc/self/mountinfo (which hierarchies are mounted where,
 * v1 / v2 / hybrid) and /proc/self/cgroup (where this process sits, for relative cgroupsPath), each read at
 * most once per command; plus the file helpers every cgroup file uses. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const controller_names[CG_CONTROLLER_COUNT][2] = {
        [CG_CPU] = {"cpu", "cpu"},
        [CG_CPUACCT] = {"cpuacct", NULL},
        [CG_CPUSET] = {"cpuset", "cpuset"},
        [CG_MEMORY] = {"memory", "memory"},
        [CG_DEVICES] = {"devices", NULL},
        [CG_FREEZER] = {"freezer", NULL},
        [CG_BLKIO] = {"blkio", "io"},
        [CG_PIDS] = {"pids", "pids"},
        [CG_HUGETLB] = {"hugetlb", "hugetlb"},
        [CG_NET_CLS] = {"net_cls", NULL},
        [CG_NET_PRIO] = {"net_prio", NULL},
        [CG_PERF_EVENT] = {"perf_event", "perf_event"},
        [CG_RDMA] = {"rdma", "rdma"},
        [CG_MISC] = {"misc", "misc"},
};

const char *cgroup_controller_name(enum cgroup_controller c, bool v2)
{
        const char *name = controller_names[c][v2 ? 1 : 0];
        return name != NULL ? name : controller_names[c][0];
}

int cgroup_controller_from_name(const char *name, bool v2)
{
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                const char *n = controller_names[c][v2 ? 1 : 0];
                if (n != NULL && strcmp(n, name) == 0)
                        return c;
        }
        return -1;
}

uint32_t cgroup_controllers_parse(const char *list, char sep, bool v2)
{
        uint32_t mask = 0;
        const char *p = list;

        while (p != NULL && *p) {
                const char *end = strchr(p, sep);
                size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
                char name[32];

                if (len > 0 && len < sizeof(name)) {
                        memcpy(name, p, len);
                        name[len] = '\0';
                        if (name[len - 1] == '\n')
                                name[len - 1] = '\0';
                        int c = cgroup_controller_from_name(name, v2);
                        if (c >= 0)
                                mask |= CG_BIT(c);
                }
                p = end != NULL ? end + 1 : NULL;
        }
        return mask;
}

/* ---- /proc/self/mountinfo --------------------------------------------------------------------------- */

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo (fs/proc_namespace.c: mangle). */
static char *unescape_octal(const char *s, size_t len)
{
        char *out = xmalloc(len + 1), *o = out;

        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else {
                        *o++ = s[i];
                }
        }
        *o = '\0';
        return out;
}

/* Splits one line into at most max space-separated fields (pointers into the line, lengths). */
static size_t split_fields(const char *line, size_t line_len, const char **f, size_t *len, size_t max)
{
        size_t n = 0, i = 0;

        while (i < line_len && n < max) {
                while (i < line_len && line[i] == ' ')
                        i++;
                if (i >= line_len)
                        break;
                f[n] = line + i;
                while (i < line_len && line[i] != ' ')
                        i++;
                len[n] = (size_t) (line + i - f[n]);
                n++;
        }
        return n;
}

/* The super options of a v1 mount ("rw,cpu,cpuacct" / "rw,xattr,name=systemd") -> controllers and the
 * hierarchy's key as /proc/self/cgroup spells it ("cpu,cpuacct", "name=systemd"). */
static void parse_v1_super_options(const char *opts, size_t len, uint32_t *mask, char **key)
{
        cleanup_free char *copy = xstrndup(opts, len);
        cleanup_free char *name = NULL;
        char *save = NULL, *key_buf = xzalloc(len + 2);

        *mask = 0;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
                int c = cgroup_controller_from_name(tok, false);
                if (c >= 0) {
                        *mask |= CG_BIT(c);
                        if (key_buf[0])
                                strcat(key_buf, ",");
                        strcat(key_buf, tok);
                } else if (str_has_prefix(tok, "name=")) {
                        free(name);
                        name = xstrdup(tok);
                }
        }
        if (name != NULL) {
                if (key_buf[0])
                        strcat(key_buf, ",");
                strcat(key_buf, name);
        }
        *key = key_buf;
}

static bool same_v1_hierarchy(const struct cgroup_mount *a, const char *key)
{
        return !a->v2 && strcmp(a->options, key) == 0;
}

int cgroup_parse_mountinfo(const char *text, struct cgroup_mount **out, size_t *n_out)
{
        struct cgroup_mount *mounts = NULL;
        size_t n = 0;
        bool have_v2 = false;

        for (const char *line = text; line != NULL && *line;) {
                const char *eol = strchr(line, '\n');
                size_t line_len = eol != NULL ? (size_t) (eol - line) : strlen(line);
                const char *f[64];
                size_t len[64], nf = split_fields(line, line_len, f, len, 64), sep;

                line = eol != NULL ? eol + 1 : NULL;
                for (sep = 6; sep < nf && !(len[sep] == 1 && f[sep][0] == '-'); sep++)
                        ;
                if (sep + 3 >= nf)
                        continue;
                bool v2 = len[sep + 1] == 7 && memcmp(f[sep + 1], "cgroup2", 7) == 0;
                bool v1 = len[sep + 1] == 6 && memcmp(f[sep + 1], "cgroup", 6) == 0;
                if (!v1 && !v2)
                        continue;
                struct cgroup_mount m = {0};
                if (v2) {
                        if (have_v2)
                                continue; /* the same hierarchy mounted again (a bind mount): the first one */
                        have_v2 = true;
                        m.v2 = true;
                        m.options = xstrdup("");
                } else {
                        parse_v1_super_options(f[sep + 3], len[sep + 3], &m.controllers, &m.options);
                        bool dup = m.options[0] == '\0';
                        for (size_t i = 0; i < n && !dup; i++)
                                dup = same_v1_hierarchy(&mounts[i], m.options);
                        if (dup) {
                                free(m.options);
                                continue;
                        }
                }
                m.root = unescape_octal(f[3], len[3]);
                m.mountpoint = unescape_octal(f[4], len[4]);
                mounts = xrealloc(mounts, (n + 1) * sizeof(*mounts));
                mounts[n++] = m;
        }
        *out = mounts;
        *n_out = n;
        return 0;
}

void cgroup_mounts_free(struct cgroup_mount *mounts, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(mounts[i].mountpoint);
                free(mounts[i].root);
                free(mounts[i].options);
        }
        free(mounts);
}

/* ---- /proc/self/cgroup ------------------------------------------------------------------------------ */

char *cgroup_proc_self_path(const char *text, const char *key)
{
        for (const char *line = text; line != NULL && *line;) {
                const char *eol = strchr(line, '\n');
                size_t line_len = eol != NULL ? (size_t) (eol - line) : strlen(line);
                const char *c1 = memchr(line, ':', line_len), *c2;

                if (c1 != NULL && (c2 = memchr(c1 + 1, ':', (size_t) (line + line_len - c1 - 1))) != NULL) {
                        size_t klen = (size_t) (c2 - c1 - 1);
                        bool v2_line = klen == 0 && (size_t) (c1 - line) == 1 && line[0] == '0';
                        if ((key[0] == '\0' && v2_line) ||
                            (key[0] != '\0' && strlen(key) == klen && memcmp(c1 + 1, key, klen) == 0))
                                return xstrndup(c2 + 1, (size_t) (line + line_len - c2 - 1));
                }
                line = eol != NULL ? eol + 1 : NULL;
        }
        return NULL;
}

char *cgroup_resolve_path(const char *cgroups_path, const char *own, const char *id)
{
        cleanup_free char *joined = NULL;

        if (cgroups_path == NULL || cgroups_path[0] == '\0')
                joined = xasprintf("/berth/%s", id);
        else if (cgroups_path[0] == '/')
                joined = xstrdup(cgroups_path);
        else {
                /* Relative: below the runtime's own cgroup, as runc reads it, and never above it: the path is
                 * cleaned as if rooted first (runc's utils.CleanPath), so "../x" is "x". */
                cleanup_free char *rooted = xasprintf("/%s", cgroups_path);
                cleanup_free char *inner = path_clean(rooted);
                joined = xasprintf("%s%s", own != NULL && strcmp(own, "/") != 0 ? own : "", inner);
        }
        char *clean = path_clean(joined);
        if (clean[0] != '/') { /* path_clean keeps the leading "/"; be explicit anyway */
                char *abs = xasprintf("/%s", clean);
                free(clean);
                clean = abs;
        }
        return clean;
}

/* ---- layout name ------------------------------------------------------------------------------------ */

const char *cgroup_host_layout_name(void)
{
        struct statfs fs;

        /* The same probe as runc and crun: cgroup2 at /sys/fs/cgroup is v2 only; cgroup2 at
         * /sys/fs/cgroup/unified next to v1 hierarchies is hybrid. */
        if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return "v2";
        if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return "hybrid";
        return "v1";
}

/* ---- file helpers ------------------------------------------------------------------------------------ */

int cgroup_hierarchy_fd(struct cgroup_hierarchy *h, berth_error *err)
{
        if (h->fd >= 0)
                return h->fd;
        h->fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (h->fd < 0)
                return berth_fail(err, errno, "open cgroup %s", h->dir);
        return h->fd;
}

int cgroup_write_raw(struct cgroup_hierarchy *h, const char *file, const char *value)
{
        int dfd = cgroup_hierarchy_fd(h, NULL);
        cleanup_close int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        if (dfd < 0)
                return dfd;
        fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

int cgroup_write(struct cgroup_hierarchy *h, const char *file, const char *value, berth_error *err)
{
        int r = cgroup_write_raw(h, file, value);

        if (r < 0)
                return berth_fail(err, -r, "write '%s' to %s/%s", value, h->dir, file);
        return 0;
}

int cgroup_writef(struct cgroup_hierarchy *h, berth_error *err, const char *file, const char *fmt, ...)
{
        cleanup_free char *value = NULL;
        va_list ap;

        va_start(ap, fmt);
        value = xvasprintf(fmt, ap);
        va_end(ap);
        return cgroup_write(h, file, value, err);
}

int cgroup_read(struct cgroup_hierarchy *h, const char *file, char **out, berth_error *err)
{
        int dfd = cgroup_hierarchy_fd(h, err);
        cleanup_close int fd = -1;
        cleanup_free char *what = NULL;

        if (dfd < 0)
                return dfd;
        fd = openat(dfd, file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_fail(err, errno, "open %s/%s", h->dir, file);
        what = xasprintf("%s/%s", h->dir, file);
        return read_fd(fd, what, out, NULL, err);
}

int cgroup_read_u64(struct cgroup_hierarchy *h, const char *file, uint64_t *out, berth_error *err)
{
        cleanup_free char *text = NULL;
        int r = cgroup_read(h, file, &text, err);

        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = '\0';
        if (strcmp(text, "max") == 0) {
                *out = UINT64_MAX;
                return 0;
        }
        if (parse_u64(text, out) < 0)
                return berth_failf(err, EINVAL, "%s/%s: \"%s\" is not a number", h->dir, file, text);
        return 0;
}

bool cgroup_file_exists(struct cgroup_hierarchy *h, const char *file)
{
        int dfd = cgroup_hierarchy_fd(h, NULL);
        return dfd >= 0 && faccessat(dfd, file, F_OK, 0) == 0;
}

uint64_t cgroup_keyed_value(const char *text, const char *key)
{
        size_t klen = strlen(key);

        for (const char *line = text; line != NULL && *line;) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        uint64_t v = 0;
                        char *end;
                        errno = 0;
                        v = strtoull(line + klen + 1, &end, 10);
                        return errno == 0 ? v : 0;
                }
                line = strchr(line, '\n');
                if (line != NULL)
                        line++;
        }
        return 0;
}

int cgroup_set_cpuset(struct cgroup_hierarchy *h, const struct cgroup_resources *r, berth_error *err)
{
        int ret;

        /* mems first: a task's memory placement must be allowed before its cpus move (as runc orders it). */
        if (r->cpu.mems != NULL && (ret = cgroup_write(h, "cpuset.mems", r->cpu.mems, err)) < 0)
                return ret;
        if (r->cpu.cpus != NULL && (ret = cgroup_write(h, "cpuset.cpus", r->cpu.cpus, err)) < 0)
                return ret;
        return 0;
}

int cgroup_write_device_line(struct cgroup_hierarchy *h, const char *file, const char *line, const char *field,
                             int64_t major, int64_t minor, berth_error *err)
{
        int r = cgroup_write_raw(h, file, line);

        if (r == -ENODEV || r == -ENXIO)
                return berth_failf(err, ENODEV, "linux.resources.blockIO.%s: device %" PRId64 ":%" PRId64
                                                " is not a block device on this host",
                                   field, major, minor);
        if (r < 0)
                return berth_fail(err, -r, "write '%s' to %s/%s", line, h->dir, file);
        return 0;
}

int cgroup_set_hugetlb(struct cgroup_hierarchy *h, const struct cgroup_resources *r, const char *suffix,
                       berth_error *err)
{
        for (size_t i = 0; i < r->n_hugepages; i++) {
                cleanup_free char *file = xasprintf("hugetlb.%s.%s", r->hugepages[i].page_size, suffix);
                char buf[24];
                int ret;

                snprintf(buf, sizeof(buf), "%" PRIu64, r->hugepages[i].limit);
                ret = cgroup_write_raw(h, file, buf);
                if (ret == -ENOENT)
                        return berth_failf(err, EINVAL, "linux.resources.hugepageLimits[%zu]: page size %s is not "
                                                        "supported by this host",
                                           i, r->hugepages[i].page_size);
                if (ret < 0)
                        return berth_fail(err, -ret, "write '%s' to %s/%s", buf, h->dir, file);
        }
        return 0;
}
