#include "engine/user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/path.h"
#include "lib/util.h"

void engine_user_clear(struct engine_user *u)
{
        free(u->groups);
        free(u->home);
        u->groups = NULL;
        u->home = NULL;
        u->n_groups = 0;
}

static bool is_number(const char *s, uint32_t *out)
{
        uint64_t v;

        if (*s == '\0' || parse_u64(s, &v) < 0 || v > UINT32_MAX)
                return false;
        *out = (uint32_t) v;
        return true;
}

/* The lines of ROOT/path; NULL when the file does not exist (a scratch image has no /etc/passwd). */
static char *read_in_root(int rootfd, const char *path)
{
        cleanup_close int fd = path_open_in_root(rootfd, path, O_RDONLY, 0, NULL);
        char *text = NULL;
        size_t len = 0;

        if (fd < 0 || read_fd(fd, path, &text, &len, NULL) < 0)
                return NULL;
        return text;
}

/* Splits "a:b:c" in place into at most n fields. */
static size_t split_fields(char *line, char **fields, size_t n)
{
        size_t i = 0;

        fields[i++] = line;
        for (char *p = line; *p && i < n; p++)
                if (*p == ':') {
                        *p = '\0';
                        fields[i++] = p + 1;
                }
        return i;
}

struct passwd_entry {
        bool found;
        uint32_t uid, gid;
        char *name, *home;
};

static void find_passwd(char *text, const char *want, struct passwd_entry *out)
{
        uint32_t want_uid = 0;
        bool numeric = is_number(want, &want_uid);

        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
                char *f[7];
                uint32_t uid, gid;
                if (line[0] == '#' || split_fields(line, f, 7) < 7 || !is_number(f[2], &uid) || !is_number(f[3], &gid))
                        continue;
                if (numeric ? uid == want_uid : strcmp(f[0], want) == 0) {
                        out->found = true;
                        out->uid = uid;
                        out->gid = gid;
                        out->name = xstrdup(f[0]);
                        out->home = xstrdup(f[5]);
                        return;
                }
        }
}

/* The group's id, and the supplementary groups whose member list names the user. */
static int scan_groups(char *text, const char *group, const char *user, uint32_t *gid, bool *group_found,
                       struct engine_user *out)
{
        for (char *line = text ? strtok(text, "\n") : NULL; line != NULL; line = strtok(NULL, "\n")) {
                char *f[4];
                uint32_t id;
                if (line[0] == '#' || split_fields(line, f, 4) < 4 || !is_number(f[2], &id))
                        continue;
                if (group != NULL && !*group_found && strcmp(f[0], group) == 0) {
                        *gid = id;
                        *group_found = true;
                }
                if (user == NULL)
                        continue;
                char *save = NULL;
                for (char *m = strtok_r(f[3], ",", &save); m != NULL; m = strtok_r(NULL, ",", &save))
                        if (strcmp(m, user) == 0) {
                                out->groups = xrealloc(out->groups, (out->n_groups + 1) * sizeof(uint32_t));
                                out->groups[out->n_groups++] = id;
                        }
        }
        return 0;
}

int engine_user_resolve(int rootfd, const char *spec, struct engine_user *out, berth_error *err)
{
        cleanup_free char *user = xstrdup(spec && *spec ? spec : "0");
        cleanup_free char *passwd = NULL, *groups = NULL;
        struct passwd_entry pw = {0};
        char *group = strchr(user, ':');
        bool group_found = false;
        uint32_t gid = 0;

        memset(out, 0, sizeof(*out));
        if (group != NULL)
                *group++ = '\0';
        passwd = read_in_root(rootfd, "/etc/passwd");
        if (passwd != NULL)
                find_passwd(passwd, user, &pw);
        if (pw.found) {
                out->uid = pw.uid;
                out->gid = pw.gid;
                out->home = xstrdup(*pw.home ? pw.home : "/");
        } else if (is_number(user, &out->uid)) {
                out->gid = 0;
                out->home = xstrdup("/");
        } else {
                free(pw.name);
                free(pw.home);
                return berth_failf(err, ENOENT, "unable to find user %s: no matching entries in passwd file", user);
        }
        groups = read_in_root(rootfd, "/etc/group");
        if (group != NULL && is_number(group, &gid)) {
                out->gid = gid;
                group = NULL;
        }
        scan_groups(groups, group, pw.found ? pw.name : NULL, &gid, &group_found, out);
        free(pw.name);
        free(pw.home);
        if (group != NULL) {
                if (!group_found) {
                        engine_user_clear(out);
                        return berth_failf(err, ENOENT, "unable to find group %s: no matching entries in group file",
                                           group);
                }
                out->gid = gid;
        }
        /* runc's GetExecUser: with no supplementary group, the primary one is the list (docker's `id` shows
         * groups=GID). */
        if (out->n_groups == 0) {
                out->groups = xmalloc(sizeof(uint32_t));
                out->groups[0] = out->gid;
                out->n_groups = 1;
        }
        return 0;
}
